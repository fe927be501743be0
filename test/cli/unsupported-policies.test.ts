// The CLI with policies of APIs netpol cannot evaluate: exit 2 naming each by default,
// --ignore-unsupported-policies to go on without them (validate's summary lists them), and the
// cluster-scoped policies counted in validate's summary.
import { describe, expect, test } from 'vitest';
import { runCli, scratchFile } from '../helpers.js';

async function cli(...args: string[]) {
  const r = await runCli(...args);
  return { code: r.code, out: r.out.join('\n'), err: r.err.join('\n') };
}

const NAMESPACE = 'apiVersion: v1\nkind: Namespace\nmetadata: {name: prod}\n';
const CILIUM = 'apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata:\n  name: l7\n  namespace: prod\nspec: {endpointSelector: {}}\n';
const CNP =
  'apiVersion: policy.networking.k8s.io/v1alpha2\nkind: ClusterNetworkPolicy\nmetadata: {name: guard}\nspec:\n  tier: Admin\n  priority: 1\n  subject: {namespaces: {}}\n';

describe('policies netpol cannot evaluate', () => {
  const file = scratchFile('cluster.yaml', [NAMESPACE, CILIUM, CNP].join('---\n'));

  test('validate: exit 2, the object named with file and line', async () => {
    const r = await cli('validate', '-f', file);
    expect(r.code).toBe(2);
    expect(r.out).toContain(`error: ${file}:6 doc 1 CiliumNetworkPolicy prod/l7: kind: netpol cannot evaluate CiliumNetworkPolicy of cilium.io/v2`);
    expect(r.out).toMatch(/^invalid: 1 error\(s\)/m);
  });

  test('verdict: exit 2 before any flow is read', async () => {
    const flows = scratchFile('flows.jsonl', '{"src": "10.0.0.1", "dst": "10.0.0.2", "protocol": "TCP", "port": 80}\n');
    const r = await cli('verdict', '-f', file, '--flows', flows);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toContain('CiliumNetworkPolicy prod/l7');
  });

  test('--ignore-unsupported-policies: a warning, and the summary says what is ignored', async () => {
    const r = await cli('validate', '-f', file, '--ignore-unsupported-policies');
    expect(r.code).toBe(0);
    expect(r.out).toContain(`warning: ${file}:6 doc 1 CiliumNetworkPolicy prod/l7: kind: CiliumNetworkPolicy of cilium.io/v2 ignored as asked`);
    expect(r.out).toMatch(/^valid: 1 namespaces, 0 pods, 0 nodes, 0 network policies, 1 cluster-scoped policies \(1 warning\(s\)\)$/m);
    expect(r.out).toMatch(/^ignored: 1 object\(s\) of policy APIs netpol cannot evaluate; verdicts do not account for them: CiliumNetworkPolicy prod\/l7$/m);
  });

  test('validate -o json: counts.clusterPolicies and ignoredObjects', async () => {
    const r = await cli('validate', '-f', file, '--ignore-unsupported-policies', '-o', 'json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as { counts: Record<string, number>; ignoredObjects: unknown[] };
    expect(j.counts).toEqual({ namespaces: 1, pods: 0, nodes: 0, policies: 0, clusterPolicies: 1 });
    expect(j.ignoredObjects).toEqual([{ apiVersion: 'cilium.io/v2', kind: 'CiliumNetworkPolicy', namespace: 'prod', name: 'l7' }]);
  });

  test('a NetworkPolicy-only input keeps its summary', async () => {
    const r = await cli('validate', '-f', scratchFile('ns.yaml', NAMESPACE));
    expect(r.out).toBe('valid: 1 namespaces, 0 pods, 0 nodes, 0 network policies (0 warning(s))');
  });
});
