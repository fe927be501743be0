/**
 * Object-by-object changes to a LiveCompiler for the model-based compiler tests: each op sets
 * one object drawn from two clusters (the same names with other content are replacements) or
 * deletes one of those now compiled, then commits.
 */
import fc from 'fast-check';
import type { Cluster } from '@netpol/core';
import type { LiveCompiler } from '../../packages/core/src/compile/live/compiler.js';
import { clusterPolicyKey } from '../../packages/core/src/model/types.js';

export type OpKind = 'pod' | 'policy' | 'cluster-policy' | 'namespace' | 'node' | 'delete';
export interface Op {
  readonly kind: OpKind;
  readonly i: number;
}

/** Ops of these kinds (a kind listed twice is drawn twice as often). */
export const opArbitrary = (kinds: readonly OpKind[]): fc.Arbitrary<Op> => fc.oneof(...kinds.map((kind) => fc.nat().map((i): Op => ({ kind, i }))));

/** The `i`-th of the objects of both lists, wrapping; undefined when both are empty. */
function pick<T>(xs: readonly T[] | undefined, ys: readonly T[] | undefined, i: number): T | undefined {
  const all = [...(xs ?? []), ...(ys ?? [])];
  return all.length ? all[i % all.length] : undefined;
}

/** Applies one op, objects from `a` and `b`, and commits. */
export function applyOp(compiler: LiveCompiler, o: Op, a: Cluster, b: Cluster): void {
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
}
