// matrix --in NS: rows (sources) of NS's pods, columns of every namespace, so the connections NS
// opens to other namespaces stay in view; a namespace the input lacks is a usage error naming
// those it has, the closest first.
import { describe, expect, test } from 'vitest';
import { runCli, scratchFile } from '../helpers.js';
import { podManifest } from './pod-manifest.js';

// stars/server takes connections from its own namespace only.
const CLUSTER = scratchFile(
  'cluster.yaml',
  podManifest('client', 'client', '10.0.0.1') +
    podManifest('stars', 'server', '10.0.0.2') +
    podManifest('stars', 'backend', '10.0.0.3') +
    `---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: same-namespace, namespace: stars}
spec:
  podSelector: {}
  ingress: [{from: [{podSelector: {}}]}]
`,
);

describe('matrix --in', () => {
  test('rows of the namespace, columns of all: cross-namespace cells stay', async () => {
    const r = await runCli('matrix', '-f', CLUSTER, '--in', 'client');
    expect(r.code).toBe(0);
    expect(r.out).toEqual([
      'TCP/80  (rows: from, columns: to; Y allowed, . denied)',
      '                   1  2  3',
      ' 1 client/client   Y  .  .',
      'columns not among the rows:',
      ' 2 stars/backend',
      ' 3 stars/server',
    ]);
  });

  test('rows are numbered as their columns', async () => {
    const r = await runCli('matrix', '-f', CLUSTER, '--in', 'stars');
    expect(r.out).toEqual([
      'TCP/80  (rows: from, columns: to; Y allowed, . denied)',
      '                   1  2  3',
      ' 2 stars/backend   Y  Y  Y',
      ' 3 stars/server    Y  Y  Y',
      'columns not among the rows:',
      ' 1 client/client',
    ]);
  });

  test('json: "pods" are the rows, "columns" the columns', async () => {
    const r = await runCli('matrix', '-f', CLUSTER, '--in', 'client', '-o', 'json');
    const [m] = JSON.parse(r.out.join('\n')).matrices;
    expect(m).toEqual({
      port: 'TCP/80',
      pods: ['client/client'],
      columns: ['client/client', 'stars/backend', 'stars/server'],
      allowed: [[true, false, false]],
    });
  });

  test('without --in the grid is square, as before (no "columns")', async () => {
    const r = await runCli('matrix', '-f', CLUSTER, '-o', 'json');
    const [m] = JSON.parse(r.out.join('\n')).matrices;
    expect(m.columns).toBeUndefined();
    expect(m.pods).toEqual(['client/client', 'stars/backend', 'stars/server']);
  });

  test('an unknown namespace is a usage error naming the ones there are', async () => {
    const r = await runCli('matrix', '-f', CLUSTER, '--in', 'star');
    expect(r.code).toBe(2);
    expect(r.out).toEqual([]);
    expect(r.err.join('\n')).toContain('netpol: --in "star": no such namespace in the input (did you mean "stars"?); namespaces: client, stars\n');
    const far = await runCli('matrix', '-f', CLUSTER, '--in', 'kube-system');
    expect(far.err.join('\n')).toContain('netpol: --in "kube-system": no such namespace in the input; namespaces: client, stars\n');
  });
});
