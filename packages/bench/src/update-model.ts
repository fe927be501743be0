/**
 * The benchmark's own view of the cluster while LiveDataplane follows changes: every change
 * given to the dataplane is applied here too, each object loaded alone exactly as the
 * dataplane validates it, so that the reference evaluator can judge the same objects at any
 * point without reloading the whole cluster.
 */
import { isDeepStrictEqual } from 'node:util';
import { ReferenceEvaluator, loadObjects, type Change, type Cluster, type Namespace, type NetworkPolicy, type Node, type Pod } from '@netpol/core';
import { loadOne, rawObject, type Doc } from './update-objects.js';

const key = (namespace: string, name: string): string => `${namespace}/${name}`;

export class ClusterModel {
  readonly namespaces = new Map<string, Namespace>();
  readonly nodes = new Map<string, Node>();
  readonly pods = new Map<string, Pod>();
  readonly policies = new Map<string, NetworkPolicy>();
  private snapshot: Cluster | null = null;
  private ref: ReferenceEvaluator | null = null;

  constructor(cluster: Cluster) {
    for (const ns of cluster.namespaces) this.namespaces.set(ns.name, ns);
    for (const n of cluster.nodes) this.nodes.set(n.name, n);
    for (const p of cluster.pods) this.pods.set(key(p.namespace, p.name), p);
    for (const p of cluster.policies) this.policies.set(key(p.namespace, p.name), p);
  }

  /** Mirrors one change the dataplane accepted. */
  apply(change: Change): void {
    this.snapshot = null;
    this.ref = null;
    if (change.op === 'delete') {
      const ns = change.namespace ?? 'default';
      const gone =
        change.kind === 'Namespace'
          ? this.namespaces.delete(change.name)
          : change.kind === 'Node'
            ? this.nodes.delete(change.name)
            : change.kind === 'Pod'
              ? this.pods.delete(key(ns, change.name))
              : this.policies.delete(key(ns, change.name));
      if (!gone) throw new Error(`model: no ${change.kind} ${ns}/${change.name} to delete`);
      return;
    }
    const o = loadOne(change.object as Doc);
    if (o.kind === 'Namespace') this.namespaces.set(o.value.name, o.value);
    else if (o.kind === 'Node') this.nodes.set(o.value.name, o.value);
    else if (o.kind === 'Pod') this.pods.set(key(o.value.namespace, o.value.name), o.value);
    else this.policies.set(key(o.value.namespace, o.value.name), o.value);
  }

  cluster(): Cluster {
    this.snapshot ??= {
      namespaces: [...this.namespaces.values()],
      nodes: [...this.nodes.values()],
      pods: [...this.pods.values()],
      policies: [...this.policies.values()],
    };
    return this.snapshot;
  }

  /** The reference evaluator over the current objects (rebuilt lazily after a change). */
  reference(): ReferenceEvaluator {
    this.ref ??= new ReferenceEvaluator(this.cluster());
    return this.ref;
  }
}

/** The loader keeps label maps in null-prototype objects; the generator writes ordinary ones. */
function withObjectPrototypes(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withObjectPrototypes);
  if (typeof v !== 'object' || v === null) return v;
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, withObjectPrototypes(x)]));
}

/**
 * Loads the objects as a whole and checks that they give back `c` object for object: the
 * benchmark must measure the generator's cluster, not whatever a conversion bug makes of it.
 */
export function roundTrip(c: Cluster, objects: readonly Doc[]): Cluster {
  const r = loadObjects(objects.map((o, i) => rawObject(o, i)));
  if (!r.cluster)
    throw new Error(
      `the generated objects do not load: ${r.issues
        .filter((i) => i.severity === 'error')
        .map((i) => i.message)
        .slice(0, 3)
        .join('; ')}`,
    );
  for (const f of ['namespaces', 'nodes', 'pods', 'policies'] as const) {
    const got: readonly unknown[] = r.cluster[f];
    const want: readonly unknown[] = c[f];
    const bad = want.findIndex((x, i) => !isDeepStrictEqual(x, withObjectPrototypes(got[i])));
    if (got.length !== want.length || bad >= 0)
      throw new Error(`the generated ${f} do not load back unchanged (${got.length} vs ${want.length}; first difference at #${bad})`);
  }
  return r.cluster;
}
