// The live compiler, object by object: after every change its image answers exactly as a
// fresh compile of the same objects and as the reference evaluator.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { CompiledDataplane, ImageDataplane, ReferenceEvaluator, type Cluster, type Flow } from '@netpol/core';
import { LiveCompiler } from '../../packages/core/src/compile/live/compiler.js';
import { clusterArbitrary, flowArbitrary } from '../../packages/core/src/fuzz/arbitraries.js';
import { referenceVerdicts, runs } from '../helpers.js';

function agree(compiler: LiveCompiler, seed: number, extra?: Cluster): void {
  const cluster = compiler.cluster();
  const live = new ImageDataplane(compiler.master.buffer, { native: 'off' });
  const fresh = new CompiledDataplane(cluster, { native: 'off' });
  const reference = new ReferenceEvaluator(cluster);
  const flows = [...fc.sample(flowArbitrary(cluster), { numRuns: 40, seed }), ...(extra ? fc.sample(flowArbitrary(extra), { numRuns: 20, seed }) : [])] as Flow[];
  for (const [f, want] of referenceVerdicts(reference, flows)) {
    expect(fresh.verdict(f)).toEqual(want);
    expect(live.verdict(f), JSON.stringify(f, (_, v) => (typeof v === 'bigint' ? v.toString() : v))).toEqual(want);
  }
}

type Op =
  | { kind: 'pod'; i: number }
  | { kind: 'policy'; i: number }
  | { kind: 'namespace'; i: number }
  | { kind: 'node'; i: number }
  | { kind: 'delete'; i: number };

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
    const op = fc.oneof(
      fc.nat().map((i): Op => ({ kind: 'pod', i })),
      fc.nat().map((i): Op => ({ kind: 'policy', i })),
      fc.nat().map((i): Op => ({ kind: 'namespace', i })),
      fc.nat().map((i): Op => ({ kind: 'node', i })),
      fc.nat().map((i): Op => ({ kind: 'delete', i })),
    );
    fc.assert(
      fc.property(clusterArbitrary(), clusterArbitrary(), fc.array(op, { maxLength: 30 }), fc.integer(), (a, b, ops, seed) => {
        const compiler = new LiveCompiler({ namespaces: [], pods: [], nodes: [], policies: [] });
        // Objects come from two clusters: the same names with other content are replacements.
        const pick = <T,>(xs: readonly T[], ys: readonly T[], i: number): T | undefined => {
          const all = [...xs, ...ys];
          return all.length ? all[i % all.length] : undefined;
        };
        for (const o of ops) {
          const c = compiler.cluster();
          if (o.kind === 'pod') {
            const p = pick(a.pods, b.pods, o.i);
            if (p) compiler.setPod(p);
          } else if (o.kind === 'policy') {
            const p = pick(a.policies, b.policies, o.i);
            if (p) compiler.setPolicy(p);
          } else if (o.kind === 'namespace') {
            const n = pick(a.namespaces, b.namespaces, o.i);
            if (n) compiler.setNamespace(n);
          } else if (o.kind === 'node') {
            const n = pick(a.nodes, b.nodes, o.i);
            if (n) compiler.setNode(n);
          } else {
            const all = [...c.pods.map((p) => () => compiler.deletePod(p.namespace, p.name)), ...c.policies.map((p) => () => compiler.deletePolicy(p.namespace, p.name)), ...c.namespaces.map((n) => () => compiler.deleteNamespace(n.name)), ...c.nodes.map((n) => () => compiler.deleteNode(n.name))];
            if (all.length) all[o.i % all.length]!();
          }
          compiler.commit();
          agree(compiler, seed, a);
        }
      }),
      { numRuns: runs(60) },
    );
  });
});
