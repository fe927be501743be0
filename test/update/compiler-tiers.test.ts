// The live compiler with cluster-scoped policies (Admin and Baseline tiers), object by object:
// after every change its image gives every flow (names included) the verdict bytes of a fresh
// compile of the same objects and of the reference evaluator.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { CompiledDataplane, ImageDataplane, ReferenceEvaluator, type Cluster, type Flow } from '@netpol/core';
import { LiveCompiler } from '../../packages/core/src/compile/live/compiler.js';
import type { NameClasses } from '../../packages/core/src/compile/name-classes.js';
import { clusterPolicyKey } from '../../packages/core/src/model/types.js';
import { clusterArbitrary, flowArbitrary } from '../../packages/core/src/fuzz/arbitraries.js';
import { referenceVerdicts, runs } from '../helpers.js';

/** The live image read as a generation reads it: names through the compiler's classes. */
class LiveImage extends ImageDataplane {
  constructor(
    buffer: ArrayBuffer,
    private readonly names: NameClasses,
  ) {
    super(buffer, { native: 'off' });
  }
  override nameClassOf(flow: Flow): number {
    return this.names.classOf(flow.dstName);
  }
}

const show = (f: Flow): string => JSON.stringify(f, (_, v) => (typeof v === 'bigint' ? v.toString() : v));

let tiered = 0;

function agree(compiler: LiveCompiler, seed: number, extra?: Cluster): void {
  const cluster = compiler.cluster();
  const live = new LiveImage(compiler.master.buffer, compiler.nameClasses());
  const fresh = new CompiledDataplane(cluster, { native: 'off' });
  const reference = new ReferenceEvaluator(cluster);
  const flows = [...fc.sample(flowArbitrary(cluster), { numRuns: 40, seed }), ...(extra ? fc.sample(flowArbitrary(extra), { numRuns: 20, seed }) : [])] as Flow[];
  for (const [f, want] of referenceVerdicts(reference, flows)) {
    expect(fresh.verdict(f), show(f)).toEqual(want);
    expect(live.verdict(f), show(f)).toEqual(want);
    if (/admin|baseline/.test(want.egress + want.ingress)) tiered++;
  }
}

type Op =
  | { kind: 'pod' | 'policy' | 'cluster-policy' | 'namespace' | 'node' | 'delete'; i: number };

const tiers = { maxClusterPolicies: 4 };

describe('LiveCompiler with cluster-scoped tiers', () => {
  test('built from a cluster, answers as compile() and the reference', () => {
    tiered = 0;
    fc.assert(
      fc.property(clusterArbitrary(tiers), fc.integer(), (cluster, seed) => {
        agree(new LiveCompiler(cluster), seed);
      }),
      { numRuns: runs(100) },
    );
    // The clusters exercise the tiers: flows decided by an Admin or Baseline rule.
    expect(tiered).toBeGreaterThan(100);
  });

  test('object by object from an empty start: pods, namespaces and nodes relabelled, cluster-scoped policies added, replaced and deleted', () => {
    tiered = 0;
    const op = fc.oneof(...(['pod', 'pod', 'pod', 'policy', 'cluster-policy', 'cluster-policy', 'cluster-policy', 'namespace', 'node', 'delete'] as const).map((kind) => fc.nat().map((i): Op => ({ kind, i }))));
    fc.assert(
      fc.property(clusterArbitrary(tiers), clusterArbitrary(tiers), fc.array(op, { maxLength: 30 }), fc.integer(), (a, b, ops, seed) => {
        const compiler = new LiveCompiler({ namespaces: [], pods: [], nodes: [], policies: [] });
        // Objects come from two clusters: the same names with other content are replacements.
        const pick = <T,>(xs: readonly T[] | undefined, ys: readonly T[] | undefined, i: number): T | undefined => {
          const all = [...(xs ?? []), ...(ys ?? [])];
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
          } else if (o.kind === 'cluster-policy') {
            const p = pick(a.clusterPolicies, b.clusterPolicies, o.i);
            if (p) compiler.setClusterPolicy(p);
          } else if (o.kind === 'namespace') {
            const n = pick(a.namespaces, b.namespaces, o.i);
            if (n) compiler.setNamespace(n);
          } else if (o.kind === 'node') {
            const n = pick(a.nodes, b.nodes, o.i);
            if (n) compiler.setNode(n);
          } else {
            const all = [
              ...c.pods.map((p) => () => compiler.deletePod(p.namespace, p.name)),
              ...c.policies.map((p) => () => compiler.deletePolicy(p.namespace, p.name)),
              ...(c.clusterPolicies ?? []).map((p) => () => compiler.deleteClusterPolicy(clusterPolicyKey(p))),
              ...c.namespaces.map((n) => () => compiler.deleteNamespace(n.name)),
              ...c.nodes.map((n) => () => compiler.deleteNode(n.name)),
            ];
            if (all.length) all[o.i % all.length]!();
          }
          compiler.commit();
          agree(compiler, seed, a);
        }
      }),
      { numRuns: runs(60) },
    );
    expect(tiered).toBeGreaterThan(100);
  });
});
