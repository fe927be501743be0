// docs/services.md runs as written: every `$ netpol ...` line of its ```console blocks is run
// (single quotes removed, as a shell would) against the built CLI from the repository root and prints exactly the lines below it (exit 2
// when it shows an invalid input or a flow error, else 0); its ```ts example prints what its
// comments say and type-checks under strict.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { runReadmeExample } from '../helpers.js';
import { testConsoleExamples } from './console-sessions.js';
import { codeBlocks, typecheckBlocks } from './typecheck-blocks.js';

const root = join(import.meta.dirname, '../..');
const doc = readFileSync(join(root, 'docs/services.md'), 'utf8');

testConsoleExamples('docs/services.md', 6);

test('the library example prints what its comments say', () => {
  const { printed, expected } = runReadmeExample('## Library', 'docs/services.md');
  expect(expected).toHaveLength(2);
  expect(printed).toEqual(expected);
});

test('the ts block type-checks under strict against the built package', () => {
  expect(typecheckBlocks(codeBlocks(doc, 'ts'), 'docs/services.md')).toEqual([]);
});
