// The live compiler, object by object: after every change its image answers exactly as a
// fresh compile of the same objects and as the reference evaluator.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { CompiledDataplane, ImageDataplane, ReferenceEvaluator, type Cluster, type Flow } from '@netpol/core';
import { LiveCompiler } from '../../packages/core/src/compile/live/compiler.js';
import { clusterArbitrary, flowArbitrary } from '../../packages/core/src/fuzz/arbitraries.js';
import { referenceVerdicts, runs } from '../helpers.js';
import { applyOp, opArbitrary } from './compiler-ops.js';

function agree(compiler: LiveCompiler, seed: number, extra?: Cluster): void {
  const cluster = compiler.cluster();
  const live = new ImageDataplane(compiler.master.buffer, { native: 'off' });
  const fresh = new CompiledDataplane(cluster, { native: 'off' });
  const reference = new ReferenceEvaluator(cluster);
  const flows = [
    ...fc.sample(flowArbitrary(cluster), { numRuns: 40, seed }),
    ...(extra ? fc.sample(flowArbitrary(extra), { numRuns: 20, seed }) : []),
  ] as Flow[];
  for (const [f, want] of referenceVerdicts(reference, flows)) {
    expect(fresh.verdict(f)).toEqual(want);
    expect(
      live.verdict(f),
      JSON.stringify(f, (_, v) => (typeof v === 'bigint' ? v.toString() : v)),
    ).toEqual(want);
  }
}

describe('LiveCompiler', () => {
  test('built from a cluster, answers as compile() and the reference', () => {
    fc.assert(
      fc.property(clusterArbitrary(), fc.integer(), (cluster, seed) => {
        agree(new LiveCompiler(cluster), seed);
      }),
      { numRuns: runs(150) },
    );
  });

  test('object by object from an empty start, with deletes and replacements', () => {
    const op = opArbitrary(['pod', 'policy', 'namespace', 'node', 'delete']);
    fc.assert(
      fc.property(clusterArbitrary(), clusterArbitrary(), fc.array(op, { maxLength: 30 }), fc.integer(), (a, b, ops, seed) => {
        const compiler = new LiveCompiler({ namespaces: [], pods: [], nodes: [], policies: [] });
        for (const o of ops) {
          applyOp(compiler, o, a, b);
          agree(compiler, seed, a);
        }
      }),
      { numRuns: runs(60) },
    );
  });
});
