// The README's examples run as written (against the built package) and print what their
// comments say. A comment is the printed value, optionally followed by an explanation. Every
// ```ts and ```js block also type-checks under `strict` as a user's project would compile it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { runReadmeExample } from '../helpers.js';
import { codeBlocks, typecheckBlocks } from './typecheck-blocks.js';

const readme = readFileSync(join(import.meta.dirname, '../../README.md'), 'utf8');

test.each([
  ['## Library API', 3],
  ['## Live updates and worker threads', 6],
  ['## Packets, conntrack and replay', 6],
])('%s example', (heading, lines) => {
  const { printed, expected } = runReadmeExample(heading);
  expect(expected).toHaveLength(lines);
  expect(printed).toHaveLength(expected.length);
  printed.forEach((line, i) => expect(expected[i]!.startsWith(line), `${line} vs ${expected[i]}`).toBe(true));
});

describe('TypeScript blocks', () => {
  test('every ```ts and ```js block of the README type-checks under strict against the built package', () => {
    // A JavaScript example is valid TypeScript too: checked as such, a misnamed export or a
    // wrong argument shows up here rather than in a user's editor.
    const blocks = [...codeBlocks(readme, 'ts'), ...codeBlocks(readme, 'js')];
    expect(blocks.length).toBeGreaterThanOrEqual(5);
    expect(typecheckBlocks(blocks, 'README.md')).toEqual([]);
  });

  test("@netpol/core's own README (the one npm shows) type-checks the same way", () => {
    const own = readFileSync(join(import.meta.dirname, '../../packages/core/README.md'), 'utf8');
    const blocks = [...codeBlocks(own, 'ts'), ...codeBlocks(own, 'js')];
    expect(blocks.length).toBeGreaterThanOrEqual(1);
    expect(typecheckBlocks(blocks, 'packages/core/README.md')).toEqual([]);
  });

  test('the check finds what strict rejects: an implicit any, a possibly undefined address, an unknown export', () => {
    const bad = [
      "import { parseIP } from '@netpol/core';\nconst brief = (r) => r;\nconst a: { family: 4 | 6 } = parseIP('10.0.0.1');\nconsole.log(brief(a));",
      "import { notAnExport } from '@netpol/core';\nnotAnExport();",
    ];
    const found = typecheckBlocks(
      bad.map((code, i) => ({ line: 10 * i + 1, code })),
      'X.md',
    );
    expect(found).toHaveLength(3);
    expect(found[0]).toMatch(/^X\.md:2:16 Parameter 'r' implicitly has an 'any' type/);
    expect(found[1]).toMatch(/^X\.md:3:7 Type 'IPAddress \| undefined' is not assignable/);
    expect(found[2]).toMatch(/^X\.md:11:10 Module '"@netpol\/core"' has no exported member 'notAnExport'/);
  });

  test('codeBlocks: fenced blocks of one language, with their first line', () => {
    expect(codeBlocks('a\n```ts\nx;\ny;\n```\n```js\nz;\n```\n```ts\nw;\n```\n', 'ts')).toEqual([
      { line: 3, code: 'x;\ny;' },
      { line: 10, code: 'w;' },
    ]);
  });
});
