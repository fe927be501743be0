// The README's packet example ("Packets, conntrack and replay") runs as written against the
// built package and prints what its comments say.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect, test } from 'vitest';

const root = join(import.meta.dirname, '../..');

test('Packets, conntrack and replay: the example', () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const block = readme.slice(readme.indexOf('## Packets, conntrack and replay'));
  const from = block.indexOf('```ts\n') + 6;
  const code = block.slice(from, block.indexOf('\n```', from));
  const dist = pathToFileURL(join(root, 'packages/core/dist/index.js')).href;
  const file = join(mkdtempSync(join(tmpdir(), 'netpol-readme-')), 'packets.mjs');
  writeFileSync(file, code.replace("'@netpol/core'", JSON.stringify(dist)));
  const stdout = execFileSync(process.execPath, [file], { cwd: root, encoding: 'utf8' });
  const expected = code
    .split('\n')
    .filter((l) => l.trimStart().startsWith('console.log('))
    .map((l) => l.slice(l.indexOf('// ') + 3).trim());
  const printed = stdout.trim().split('\n').map((l) => l.trim().replace(/\s+/g, ' '));
  expect(expected.length).toBe(6);
  expect(printed).toHaveLength(expected.length);
  printed.forEach((line, i) => expect(expected[i]!.startsWith(line), `${line} vs ${expected[i]}`).toBe(true));
});
