// docs/test-vectors.md shows what the commands write: its truth table and flows.jsonl line are
// those of the command it names, its bounds are the code's, and its library example prints
// what its comments say and type-checks under strict.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { expect, test } from 'vitest';
import {
  DEFAULT_MAX_VECTOR_FLOWS,
  MAX_VECTOR_CLUSTER_POLICIES,
  MAX_VECTOR_EXTERNALS,
  MAX_VECTOR_PODS,
  MAX_VECTOR_POLICIES,
  MAX_VECTOR_PORTS,
  MAX_VECTOR_RUNS,
} from '@netpol/core';
import { runCli, runReadmeExample } from '../helpers.js';
import { codeBlocks, typecheckBlocks } from './typecheck-blocks.js';

const root = join(import.meta.dirname, '../..');
const doc = readFileSync(join(root, 'docs/test-vectors.md'), 'utf8');

test('the sample truth table and flow are what the documented command writes', async () => {
  const command = 'netpol fuzz --emit DIR --seed 1 --pods 4\n--policies 2 --port TCP/80 --port UDP/53';
  expect(doc).toContain(command);
  const dir = join(mkdtempSync(join(tmpdir(), 'netpol-doc-')), 'DIR');
  try {
    const r = await runCli('fuzz', '--emit', dir, ...command.split(/\s+/).slice(4));
    expect(r.code).toBe(0);
    const tables = readFileSync(join(dir, 'truth-table.txt'), 'utf8');
    const [sample] = codeBlocks(doc, 'text');
    expect(tables).toContain(`\n${sample!.code}\n`);
    const [line] = codeBlocks(doc, 'json');
    expect(readFileSync(join(dir, 'flows.jsonl'), 'utf8').split('\n')).toContain(line!.code);
  } finally {
    rmSync(dirname(dir), { recursive: true, force: true });
  }
});

test('the documented bounds are the code', () => {
  const worst = MAX_VECTOR_PORTS * (MAX_VECTOR_PODS ** 2 + 2 * MAX_VECTOR_PODS * MAX_VECTOR_EXTERNALS);
  expect(doc).toContain(
    `at most ${MAX_VECTOR_PODS} pods, ${MAX_VECTOR_POLICIES} NetworkPolicies and ${MAX_VECTOR_CLUSTER_POLICIES} cluster-scoped policies per random cluster,\n${MAX_VECTOR_PORTS} protocol/ports, ${MAX_VECTOR_EXTERNALS} external addresses, ${MAX_VECTOR_RUNS} cases, and ${DEFAULT_MAX_VECTOR_FLOWS} flows per case`,
  );
  expect(doc).toContain(`= ${worst} flows`);
});

test('the library example prints what its comments say, and type-checks under strict', () => {
  const { printed, expected } = runReadmeExample('## Library', 'docs/test-vectors.md');
  expect(printed).toEqual(expected.map((l) => l.replace(/\s+/g, ' ')));
  expect(printed).toHaveLength(3);
  expect(typecheckBlocks(codeBlocks(doc, 'ts'), 'docs/test-vectors.md')).toEqual([]);
});
