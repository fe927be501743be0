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
