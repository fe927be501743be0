// The bench's connlist part: its clusters, change set, figures and targets (never a timing).
import { describe, expect, test } from 'vitest';
import { changeSet, connlistTargets, renderConnlist, runConnlist, workloadCluster } from '../../packages/bench/src/connlist.js';

describe('bench connlist part', () => {
  const r = runConnlist({
    maps: [
      { size: 'S', level: 'workload', variant: 'pods', runs: 1, matrix: true },
      { size: 'S', level: 'pod', variant: 'pods', runs: 1, matrix: false },
      { size: 'S', level: 'workload', variant: 'manifests', runs: 1, matrix: false },
    ],
    diffs: [{ size: 'S', runs: 1 }],
  });

  test('maps: endpoints are the workloads (or pods), the listed connections a part of the pairs', () => {
    const [workload, pod, manifests] = r.maps;
    expect(workload!.endpoints).toBe(workload!.workloads);
    expect(pod!.endpoints).toBe(pod!.pods);
    expect(manifests!.pods).toBe(0);
    expect(manifests!.endpoints).toBe(workload!.endpoints);
    for (const m of r.maps) {
      expect(m.connections).toBeGreaterThan(0);
      expect(m.connections).toBeLessThanOrEqual(m.pairs);
      expect(m.runsMs).toHaveLength(1);
    }
    expect(workload!.matrixMs).not.toBeNull();
    expect(pod!.matrixMs).toBeNull();
  });

  test('the change set changes some connections, and leaves the base cluster as it was', () => {
    const a = workloadCluster('S', 'pods');
    const before = structuredClone(a.policies);
    const { cluster: b } = changeSet(a);
    expect(a.policies).toEqual(before);
    expect(b.policies.length).toBe(a.policies.length - 1);
    expect(r.diffs[0]!.changes).toBeGreaterThan(0);
  });

  test('targets are on L only: not measured here; the report lists every map and diff', () => {
    expect(connlistTargets(r).map((t) => [t.id, t.met])).toEqual([
      ['connlist-L', null],
      ['diff-L', null],
    ]);
    const text = renderConnlist(r);
    for (const id of ['S-workload', 'S-pod', 'S-workload-manifests', 'S-diff']) expect(text).toContain(id);
  });
});
