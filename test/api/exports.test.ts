// The root export is the documented API; what the benchmarks and tests build on lives under
// `@netpol/core/internal` (package.json `exports`), so a user's autocompletion and the API
// reference show only what is promised.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import * as core from '@netpol/core';
import * as internal from '@netpol/core/internal';

const repo = join(import.meta.dirname, '../..');
const INTERNALS = [
  'Random',
  'Zipf',
  'buildLPM',
  'lookup4',
  'lookup6',
  'syntheticCluster',
  'syntheticTrace',
  'SIZES',
  'clusterObjects',
  'namespaceDoc',
  'nodeDoc',
  'podDoc',
  'policyDoc',
  'clusterPolicyDoc',
  'IMAGE_INVARIANTS',
  'CONNTRACK_MAX_CHAIN',
];

describe('exports', () => {
  test('the root export has none of the internals', () => {
    expect(Object.keys(core).filter((k) => INTERNALS.includes(k))).toEqual([]);
  });

  test('@netpol/core/internal has them all', () => {
    expect(INTERNALS.filter((k) => !(k in internal))).toEqual([]);
  });

  test('package.json maps ./internal to built files, types first', () => {
    const pkg = JSON.parse(readFileSync(join(repo, 'packages/core/package.json'), 'utf8')) as { exports: Record<string, unknown> };
    expect(pkg.exports['./internal']).toEqual({ types: './dist/internal.d.ts', default: './dist/internal.js' });
    expect(Object.keys(pkg.exports['./internal'] as object)[0]).toBe('types');
  });

  test('the built package resolves both entry points through its exports map, as a dependent does', () => {
    expect(existsSync(join(repo, 'packages/core/dist/internal.js'))).toBe(true);
    // packages/bench depends on @netpol/core (a workspace link): resolve from there.
    const script = `const c = await import('@netpol/core'); const i = await import('@netpol/core/internal'); console.log(typeof c.CompiledDataplane, typeof c.Random, typeof i.Random)`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: join(repo, 'packages/bench'), encoding: 'utf8' });
    expect(out.trim()).toBe('function undefined function');
  });
});
