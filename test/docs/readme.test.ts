// The README's library example runs as written (against the built package) and prints
// what its comments say.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect, test } from 'vitest';

const root = join(import.meta.dirname, '../..');

test('Library API example', () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const block = readme.slice(readme.indexOf('## Library API'));
  const code = block.slice(block.indexOf('```ts\n') + 6, block.indexOf('\n```', block.indexOf('```ts\n')));
  const dist = pathToFileURL(join(root, 'packages/core/dist/index.js')).href;
  const file = join(mkdtempSync(join(tmpdir(), 'netpol-readme-')), 'example.mjs');
  writeFileSync(file, code.replace("'@netpol/core'", JSON.stringify(dist)));
  const stdout = execFileSync(process.execPath, [file], { cwd: root, encoding: 'utf8' });
  // Each console.log line's trailing comment is the expected output.
  const expected = code
    .split('\n')
    .filter((l) => l.trimStart().startsWith('console.log('))
    .map((l) => l.slice(l.indexOf('// ') + 3).trim());
  const printed = stdout.trim().split('\n').map((l) => l.trim().replace(/\s+/g, ' '));
  expect(printed).toHaveLength(expected.length);
  // A comment is the printed value, optionally followed by an explanation.
  printed.forEach((line, i) => expect(expected[i]!.startsWith(line), `${line} vs ${expected[i]}`).toBe(true));
});
