// Clusters with workloads and owned pods (clusterArbitrary's maxWorkloads) written as manifests
// (clusterToYaml: Deployments, ReplicaSets, ... with their selectors, ownerReferences) load back
// as the same model: the writer is the loader's inverse for them too, so a property test's
// failing cluster printed as YAML reproduces.
import fc from 'fast-check';
import { expect, test } from 'vitest';
import { loadText } from '@netpol/core';
import { clusterArbitrary } from '../../packages/core/src/fuzz/arbitraries.js';
import { clusterToYaml, workloadDoc } from '../../packages/core/src/fuzz/to-yaml.js';
import { runs } from '../helpers.js';

/** What generated clusters legitimately warn about. */
const EXPECTED_WARNINGS = new Set(['rules-ignored', 'shared-node-ip', 'shared-pod-ip']);

test('clusterToYaml → loadText gives back the workloads and the pods’ owners', () => {
  fc.assert(
    fc.property(clusterArbitrary({ maxWorkloads: 6 }), (cluster) => {
      const loaded = loadText(clusterToYaml(cluster), { file: 'generated.yaml', strict: true });
      expect(loaded.issues.filter((i) => !EXPECTED_WARNINGS.has(i.code))).toEqual([]);
      expect(loaded.cluster).toEqual(cluster);
    }),
    { numRuns: runs(300) },
  );
});

test('the generator does produce owned workloads, owned pods and template labels of every sort', () => {
  const clusters = fc.sample(clusterArbitrary({ maxWorkloads: 6 }), { numRuns: 300, seed: 7 });
  const workloads = clusters.flatMap((c) => c.workloads ?? []);
  expect(workloads.some((w) => w.owner)).toBe(true);
  expect(workloads.some((w) => Object.keys(w.labels).length === 0)).toBe(true);
  expect(new Set(workloads.map((w) => w.kind)).size).toBe(7);
  expect(clusters.some((c) => c.pods.some((p) => p.owner))).toBe(true);
});

test('a ReplicationController without template labels cannot be written (its selector would be empty)', () => {
  const rc = { kind: 'ReplicationController', namespace: 'a', name: 'rc', labels: {}, ports: [], hostNetwork: false } as const;
  expect(() => workloadDoc(rc)).toThrow(RangeError);
  expect(workloadDoc({ ...rc, labels: { app: 'x' } })).toMatchObject({ spec: { selector: { app: 'x' } } });
});
