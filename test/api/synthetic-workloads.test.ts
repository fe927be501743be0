// syntheticCluster's `workloads` option: the same cluster with its pods grouped into workloads
// ('pods', a running cluster's dump) or as manifests only ('manifests', helm template output).
import { describe, expect, test } from 'vitest';
import { syntheticCluster } from '@netpol/core/internal';

const shape = { pods: 2000, policies: 200, seed: 5 };
const plain = syntheticCluster(shape);
const withPods = syntheticCluster({ ...shape, workloads: 'pods' });
const manifests = syntheticCluster({ ...shape, workloads: 'manifests' });

describe("workloads: 'pods'", () => {
  test('the pods, policies and nodes are the default cluster, each pod with an owner', () => {
    expect(withPods.pods.map(({ owner: _, ...p }) => p)).toEqual(plain.pods);
    expect(withPods.policies).toEqual(plain.policies);
    expect(withPods.nodes).toEqual(plain.nodes);
    expect(plain.workloads).toBeUndefined();
    expect(plain.pods.every((p) => p.owner === undefined)).toBe(true);
  });

  test("every pod's owner is a workload of its namespace whose template labels the pod carries", () => {
    const byKey = new Map(withPods.workloads!.map((w) => [`${w.namespace}/${w.kind}/${w.name}`, w]));
    for (const p of withPods.pods) {
      const w = byKey.get(`${p.namespace}/${p.owner!.kind}/${p.owner!.name}`);
      expect(w, `${p.namespace}/${p.name}`).toBeDefined();
      for (const [k, v] of Object.entries(w!.labels)) expect(p.labels[k]).toBe(v);
      expect(p.ports).toEqual(w!.ports);
    }
    // Every workload has pods, and names are unique per namespace and kind.
    const owned = new Set(withPods.pods.map((p) => `${p.namespace}/${p.owner!.kind}/${p.owner!.name}`));
    expect(owned.size).toBe(byKey.size);
    expect(byKey.size).toBe(withPods.workloads!.length);
  });

  test('about 5 pods per workload (L: 10k pods are about 2k workloads)', () => {
    const perWorkload = withPods.pods.length / withPods.workloads!.length;
    expect(perWorkload).toBeGreaterThan(4);
    expect(perWorkload).toBeLessThan(6);
    expect(withPods.workloads!.filter((w) => w.kind === 'DaemonSet').map((w) => `${w.namespace}/${w.name}`)).toEqual(['monitoring/prometheus']);
  });
});

describe("workloads: 'manifests'", () => {
  test('the same workloads and policies, no pods, no nodes: no address anywhere', () => {
    expect(manifests.workloads).toEqual(withPods.workloads);
    expect(manifests.policies).toEqual(plain.policies);
    expect(manifests.namespaces).toEqual(plain.namespaces);
    expect(manifests.pods).toEqual([]);
    expect(manifests.nodes).toEqual([]);
  });

  test('an unknown variant is refused', () => {
    expect(() => syntheticCluster({ ...shape, workloads: 'deployments' as 'pods' })).toThrow(/workloads/);
  });
});
