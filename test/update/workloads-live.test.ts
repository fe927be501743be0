// LiveDataplane and workload kinds: loading reads Deployments and the like (for connectivity of
// manifests), live updates do not follow them; an applied Deployment is skipped with a warning
// rather than silently, and a pod's controller reference is kept as its owner.
import { expect, test } from 'vitest';
import { LiveDataplane } from '@netpol/core';

const deployment = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'shop' },
  spec: { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c' }] } } },
};

test('an applied Deployment is skipped with a warning; an invalid one is refused', () => {
  const live = new LiveDataplane();
  const r = live.apply([{ op: 'apply', object: deployment }]);
  expect(r.applied).toBe(true);
  expect(r.issues.map((i) => [i.severity, i.code, i.document, i.message])).toEqual([
    ['warning', 'skipped-kind', 0, 'kind: Deployment is not followed by live updates (they apply Namespaces, Pods, Nodes and policies); skipped'],
  ]);
  const bad = live.apply([{ op: 'apply', object: { ...deployment, spec: { ...deployment.spec, selector: { matchLabels: { app: 'api' } } } } }]);
  expect(bad.applied).toBe(false);
  expect(bad.issues.map((i) => [i.severity, i.code, i.path])).toEqual([['error', 'selector-mismatch', 'spec.template.metadata.labels']]);
});

test('a ConfigMap keeps the one warning loading gives it', () => {
  const r = new LiveDataplane().apply([{ op: 'apply', object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } } }]);
  expect(r.issues.map((i) => i.code)).toEqual(['skipped-kind']);
});
