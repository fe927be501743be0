// docs/diff.md runs as written: every `$ netpol ...` line of its ```console blocks is run
// against the built CLI from the repository root and prints exactly the lines below it; its
// ```ts example prints what its comments say and type-checks under strict.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { runReadmeExample } from '../helpers.js';
import { testConsoleExamples } from './console-sessions.js';
import { codeBlocks, typecheckBlocks } from './typecheck-blocks.js';

const root = join(import.meta.dirname, '../..');
const doc = readFileSync(join(root, 'docs/diff.md'), 'utf8');

testConsoleExamples('docs/diff.md', 2);

test('the library example prints what its comments say', () => {
  const { printed, expected } = runReadmeExample('## Library', 'docs/diff.md');
  expect(printed).toEqual(expected.map((l) => l.replace(/\s+/g, ' ')));
  expect(printed).toHaveLength(4);
});

test('the ts block type-checks under strict against the built package', () => {
  expect(typecheckBlocks(codeBlocks(doc, 'ts'), 'docs/diff.md')).toEqual([]);
});
