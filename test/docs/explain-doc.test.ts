// docs/explain.md runs as written: every `$ netpol ...` line of its ```console blocks prints
// exactly the lines below it (console-sessions.ts), and its library example prints what its
// comments say and type-checks under strict against the built package.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { runReadmeExample } from '../helpers.js';
import { testConsoleExamples } from './console-sessions.js';
import { codeBlocks, typecheckBlocks } from './typecheck-blocks.js';

const doc = readFileSync(join(import.meta.dirname, '../../docs/explain.md'), 'utf8');

testConsoleExamples('docs/explain.md', 4);

test('the library example prints what its comments say', () => {
  const { printed, expected } = runReadmeExample('## Library', 'docs/explain.md');
  expect(expected).toHaveLength(3);
  expect(printed).toEqual(expected);
});

test('the ts block type-checks under strict against the built package', () => {
  expect(typecheckBlocks(codeBlocks(doc, 'ts'), 'docs/explain.md')).toEqual([]);
});
