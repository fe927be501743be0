// Synthetic clusters are clusters the API server would accept: their manifests load without
// an error (an except outside its cidr once slipped through the generator).
import { expect, test } from 'vitest';
import { loadText } from '@netpol/core';
import { syntheticCluster } from '@netpol/core/internal';
import { clusterToYaml } from '../../packages/core/src/fuzz/to-yaml.js';

test.each([
  [1000, 100, 1],
  [2000, 400, 7],
])('%i pods / %i policies (seed %i) load without errors', (pods, policies, seed) => {
  const r = loadText(clusterToYaml(syntheticCluster({ pods, policies, seed })), { file: 'synthetic.yaml' });
  expect(r.issues.filter((i) => i.severity === 'error')).toEqual([]);
});

// The tier bench scenarios' cluster-scoped policies are ones a real cluster can hold (a nodes
// peer once sat in an ingress rule, where the CRD allows only namespaces and pods).
test.each([5, 50])('1000 pods / 100 policies with %i cluster-scoped policies load, every one of them', (clusterPolicies) => {
  const c = syntheticCluster({ pods: 1000, policies: 100, clusterPolicies, seed: 1 });
  const r = loadText(clusterToYaml(c), { file: 'synthetic.yaml' });
  expect(r.issues.filter((i) => i.severity === 'error')).toEqual([]);
  expect(r.cluster!.clusterPolicies!.length).toBe(clusterPolicies);
});
