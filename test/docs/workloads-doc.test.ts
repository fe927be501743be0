// docs/workloads.md runs as written: every `$ netpol ...` line of its ```console blocks is run
// against the built CLI from the repository root (`cat FILE | netpol ...` feeds FILE on stdin)
// and prints exactly the lines below it; its ```ts example prints what its comments say and
// type-checks under strict.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { runReadmeExample } from '../helpers.js';
import { testConsoleExamples } from './console-sessions.js';
import { codeBlocks, typecheckBlocks } from './typecheck-blocks.js';

const root = join(import.meta.dirname, '../..');
const doc = readFileSync(join(root, 'docs/workloads.md'), 'utf8');

testConsoleExamples('docs/workloads.md', 5);

test('the owners example prints what its comments say', () => {
  const { printed, expected } = runReadmeExample('## Owners', 'docs/workloads.md');
  expect(expected).toHaveLength(4);
  expect(printed).toHaveLength(4);
  printed.forEach((line, i) => expect(expected[i]!.startsWith(line), `${line} vs ${expected[i]}`).toBe(true));
});

test('the ts block type-checks under strict against the built package', () => {
  expect(typecheckBlocks(codeBlocks(doc, 'ts'), 'docs/workloads.md')).toEqual([]);
});
