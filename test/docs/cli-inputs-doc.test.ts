// docs/cli-inputs.md runs as written: every `$ netpol ...` line of its ```console blocks is run
// against the built CLI from the repository root and prints exactly the lines below it; its
// ```ts example prints what its comment says and type-checks under strict. The ```text blocks
// (usage errors, on stderr) are tested in test/cli/namespace-flags, flow-records and matrix-in.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { runReadmeExample } from '../helpers.js';
import { testConsoleExamples } from './console-sessions.js';
import { codeBlocks, typecheckBlocks } from './typecheck-blocks.js';

const root = join(import.meta.dirname, '../..');
const doc = readFileSync(join(root, 'docs/cli-inputs.md'), 'utf8');

testConsoleExamples('docs/cli-inputs.md', 5);

test('the loadFiles example prints what its comment says', () => {
  const { printed, expected } = runReadmeExample('In the library, a path may come', 'docs/cli-inputs.md');
  expect(expected).toHaveLength(1);
  expect(printed).toEqual(expected);
});

test('the ts block type-checks under strict against the built package', () => {
  expect(typecheckBlocks(codeBlocks(doc, 'ts'), 'docs/cli-inputs.md')).toEqual([]);
});
