// diffClusters computes a NetworkPolicy change set's diff from the rows and columns the changed
// policies select: it must give exactly what comparing the two full maps gives.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { diffClusters } from '../../packages/core/src/analysis/cluster-diff.js';
import { connectivity, type ConnectivityOptions } from '../../packages/core/src/analysis/connectivity.js';
import { diffConnectivity } from '../../packages/core/src/analysis/diff.js';
import { syntheticCluster } from '../../packages/core/src/synthetic/cluster.js';
import type { Cluster, NetworkPolicy } from '../../packages/core/src/model/types.js';
import { runs } from '../helpers.js';

const full = (a: Cluster, b: Cluster, o: ConnectivityOptions = {}) => {
  const ca = connectivity(a, o);
  return diffConnectivity(ca, connectivity(b, o), { ignoreOtherProtocols: ca.ignoreOtherProtocols });
};

/** A change set drawn from `picks`: policies removed, one moved to another port, copies of others re-pointed at another pod selector. */
function changeSet(c: Cluster, picks: readonly number[]): Cluster {
  const policies: NetworkPolicy[] = [...c.policies];
  for (const [k, pick] of picks.entries()) {
    const i = pick % policies.length;
    const p = policies[i]!;
    if (k % 3 === 0) policies.splice(i, 1);
    else if (k % 3 === 1)
      policies[i] = { ...p, ingress: p.ingress.map((r) => ({ ...r, ports: [{ protocol: 'TCP', port: 1000 + pick }] })), egress: p.egress.slice(1) };
    else policies.push({ ...policies[(pick * 7) % policies.length]!, name: `copy-${k}`, podSelector: policies[(pick * 3) % policies.length]!.podSelector });
  }
  return { ...c, policies };
}

describe('diffClusters', () => {
  const base = syntheticCluster({ pods: 200, policies: 40, workloads: 'pods', seed: 3 });
  const manifests = syntheticCluster({ pods: 200, policies: 40, workloads: 'manifests', seed: 4 });

  test('the same cluster: no change', () => {
    expect(diffClusters(base, { ...base, policies: [...base.policies] }).changes).toEqual([]);
  });

  test.each([
    ['a dump, workload level', base, {}],
    ['a dump, pod level', base, { level: 'pod' as const }],
    ['manifests', manifests, {}],
    ['a dump, netpol-analyzer semantics', base, { compat: 'netpol-analyzer' as const }],
  ])('%s: the change set diff is the full diff, on random change sets', (_name, cluster, options: ConnectivityOptions) => {
    fc.assert(
      fc.property(fc.array(fc.nat(1000), { minLength: 1, maxLength: 4 }), (picks) => {
        const changed = changeSet(cluster, picks);
        expect(diffClusters(cluster, changed, options).changes).toEqual(full(cluster, changed, options));
      }),
      { numRuns: runs(8) },
    );
  });

  test('a changed workload: the full maps are compared (and the result is still the full diff)', () => {
    const changed = { ...base, pods: base.pods.map((p, i) => (i === 0 ? { ...p, labels: { ...p.labels, tier: 'db' } } : p)) };
    expect(diffClusters(base, changed).changes).toEqual(full(base, changed));
    expect(diffClusters(base, changed).changes.length).toBeGreaterThan(0);
  });

  test('a change set that changes something is found (the test above is not vacuous)', () => {
    const changed = changeSet(base, [5, 9]);
    expect(diffClusters(base, changed).changes.length).toBeGreaterThan(0);
  });
});
