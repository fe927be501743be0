// docs/endpoints.md runs as written: its library example prints what its comments say and
// type-checks under strict against the built package.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { runReadmeExample } from '../helpers.js';
import { codeBlocks, typecheckBlocks } from './typecheck-blocks.js';

const root = join(import.meta.dirname, '../..');
const doc = readFileSync(join(root, 'docs/endpoints.md'), 'utf8');

test('the library example prints what its comments say', () => {
  const { printed, expected } = runReadmeExample('## Library', 'docs/endpoints.md');
  expect(expected).toHaveLength(5);
  expect(printed).toEqual(expected);
});

test('the ts block type-checks under strict against the built package', () => {
  expect(typecheckBlocks(codeBlocks(doc, 'ts'), 'docs/endpoints.md')).toEqual([]);
});
