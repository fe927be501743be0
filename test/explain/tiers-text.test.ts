// Explanations across the cluster-scoped tiers, rendered (cli/explain-text.ts): the tier that
// decided, the policy and rule (by name, else by index), every Pass on the way, ties; the matrix
// marks Admin and Baseline decisions; `verdict` and `explain` JSON say which tier decided.
import { copyFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { connectivityMatrix, ReferenceEvaluator, type Cluster, type ClusterPolicy, type NetworkPolicy } from '@netpol/core';
import { verdictTier } from '../../packages/core/src/analysis/matrix.js';
import { matrixText } from '../../packages/core/src/cli/commands.js';
import { directionText, explanationText } from '../../packages/core/src/cli/explain-text.js';
import { flow, runCli, scratchFile } from '../helpers.js';
import { banp, cnp, inNamespaces, namespace, namespacesPeer, netpol, networksPeer, podOf, podsPeer, rule, udp } from '../semantics/tier-fixtures.js';

const WEB = '10.0.1.1';
const DNS = '10.0.3.1';
const CLIENT = '10.0.2.1';
const EXTERNAL = '203.0.113.5';

function world(clusterPolicies: ClusterPolicy[], policies: NetworkPolicy[] = [], extra: Partial<Cluster> = {}): Cluster {
  return {
    namespaces: [namespace('prod', { env: 'prod' }), namespace('dev', { env: 'dev' }), namespace('kube-system', { tier: 'system' })],
    nodes: [],
    pods: [
      podOf('prod', 'web', WEB, { labels: { app: 'web' } }),
      podOf('dev', 'client', CLIENT, { labels: { app: 'client' } }),
      podOf('kube-system', 'dns', DNS, { labels: { app: 'dns' } }),
    ],
    policies,
    clusterPolicies,
    ...extra,
  };
}

const PROD = inNamespaces({ env: 'prod' });
const passDns = cnp('allow-dns-first', 'Admin', 10, PROD, { egress: [rule('Pass', [podsPeer({ tier: 'system' }, { app: 'dns' })], [udp(53)], 'pass-dns')] });
const defaultDeny = netpol('prod', 'default-deny', {}, { egress: [] });
const egressText = (c: Cluster, f = flow(WEB, DNS, 'UDP', 53)) => directionText(new ReferenceEvaluator(c).explain(f).egressDetail);

test('an Admin Pass, then the NetworkPolicy tier denies: the pass is named with its rule, then why NetworkPolicy denies', () => {
  expect(egressText(world([passDns], [defaultDeny]))).toEqual([
    'egress  (prod/web): Admin pass (cnp/allow-dns-first rule "pass-dns") → NetworkPolicy: DENIED: isolated by prod/default-deny and no egress rule allows it',
    '    - prod/default-deny has no egress rules: it only isolates',
  ]);
});

test('an Admin decision names the rule by index when it has no name, and the matching peer and protocols entry', () => {
  const guard = cnp('guard', 'Admin', 5, PROD, {
    egress: [rule('Accept', [namespacesPeer({ env: 'dev' })]), rule('Deny', [namespacesPeer(), networksPeer('0.0.0.0/0')], [udp(1, 65535)])],
  });
  expect(egressText(world([guard], [defaultDeny]))).toEqual(['egress  (prod/web): Admin: DENIED by cnp/guard egress[1] (to[0], protocols[0])']);
  expect(egressText(world([guard], [defaultDeny]), flow(WEB, CLIENT, 'TCP', 80))).toEqual([
    'egress  (prod/web): Admin: allowed by cnp/guard egress[0] (to[0], all traffic)',
  ]);
});

test('the Baseline tier: its decision after "not isolated", the BANP named banp/default with v1alpha1 ports', () => {
  const b = banp(PROD, { egress: [rule('Deny', [networksPeer('0.0.0.0/0')], [udp(53)])] });
  expect(egressText(world([passDns, b]))).toEqual([
    'egress  (prod/web): Admin pass (cnp/allow-dns-first rule "pass-dns") → NetworkPolicy: not isolated → Baseline: DENIED by banp/default egress[0] (to[0], ports[0])',
  ]);
});

test('a Baseline Pass and a tier with no matching rule: nothing decides, allowed', () => {
  const basePass = cnp('hand-back', 'Baseline', 1, PROD, { egress: [rule('Pass', [networksPeer('0.0.0.0/0')], [], 'everything')] });
  expect(egressText(world([basePass]), flow(WEB, EXTERNAL, 'TCP', 80))).toEqual([
    'egress  (prod/web): NetworkPolicy: not isolated → Baseline pass (cnp/hand-back rule "everything") → no tier decides: allowed',
  ]);
  const miss = cnp('miss', 'Admin', 1, PROD, { egress: [rule('Deny', [namespacesPeer({ env: 'dev' })])] });
  expect(egressText(world([miss]), flow(WEB, EXTERNAL, 'TCP', 80))).toEqual([
    'egress  (prod/web): Admin: no rule matches → NetworkPolicy: not isolated → no tier decides: allowed',
  ]);
});

test('ties: both policies and their priority, and that the order is implementation-defined', () => {
  const a = cnp('a', 'Admin', 10, PROD, { egress: [rule('Accept', [networksPeer('0.0.0.0/0')])] });
  const b = cnp('b', 'Admin', 10, PROD, { egress: [rule('Deny', [networksPeer('0.0.0.0/0')])] });
  expect(egressText(world([b, a]), flow(WEB, EXTERNAL, 'TCP', 80))).toEqual([
    'egress  (prod/web): Admin: allowed by cnp/a egress[0] (to[0], all traffic)',
    '    ! cnp/a and cnp/b have the same priority 10: order implementation-defined (netpol takes them by kind, then name)',
  ]);
});

test('ties with a Pass in one tier and a decision in the other: the tied policies and both candidates', () => {
  const p1 = cnp('p1', 'Admin', 10, PROD, { egress: [rule('Pass', [networksPeer('0.0.0.0/0')])] });
  const p2 = cnp('p2', 'Admin', 10, PROD, { egress: [rule('Deny', [networksPeer('0.0.0.0/0')])] });
  const b = banp(PROD, { egress: [rule('Deny', [networksPeer('0.0.0.0/0')])] });
  expect(egressText(world([p2, b, p1]), flow(WEB, EXTERNAL, 'TCP', 80))).toEqual([
    'egress  (prod/web): Admin pass (cnp/p1 egress[0]) → NetworkPolicy: not isolated → Baseline: DENIED by banp/default egress[0] (to[0], all traffic)',
    '    ! cnp/p2 share a tier and priority with cnp/p1 (Admin 10) or banp/default (Baseline 1001): order implementation-defined (netpol takes them by kind, then name)',
  ]);
});

test('NetworkPolicy-only directions read as before: no tier words', () => {
  const c = world([cnp('elsewhere', 'Admin', 1, inNamespaces({ env: 'dev' }), { egress: [rule('Deny', [namespacesPeer()])] })], [defaultDeny]);
  const e = new ReferenceEvaluator(c).explain(flow(WEB, DNS, 'UDP', 53));
  expect(explanationText(e, { src: 'prod/web', dst: 'kube-system/dns' })).toBe(
    [
      'prod/web -> kube-system/dns UDP/53: DENIED',
      '  egress  (prod/web): DENIED: isolated by prod/default-deny and no egress rule allows it',
      '      - prod/default-deny has no egress rules: it only isolates',
      '  ingress (kube-system/dns): not isolated: no policy selects the pod for ingress',
    ].join('\n'),
  );
});

test('an explanation of a cluster loaded ignoring other policy APIs says so on a line of its own', () => {
  const c = world([], [], { ignoredObjects: [{ apiVersion: 'cilium.io/v2', kind: 'CiliumNetworkPolicy', namespace: 'prod', name: 'x' }] });
  const text = explanationText(new ReferenceEvaluator(c).explain(flow(WEB, DNS, 'UDP', 53)), { src: 'a', dst: 'b' }).split('\n');
  expect(text.at(-1)).toBe('  partial: ignoring 1 object(s) of policy APIs netpol cannot evaluate (CiliumNetworkPolicy prod/x): they may change this verdict');
});

test('verdictTier: the denying tier (egress first), else an Admin Accept, a NetworkPolicy rule, a Baseline Accept', () => {
  expect(verdictTier({ allowed: false, egress: 'baseline-denied', ingress: 'admin-denied' })).toBe('baseline');
  expect(verdictTier({ allowed: false, egress: 'admin-allowed', ingress: 'denied' })).toBe('networkpolicy');
  expect(verdictTier({ allowed: true, egress: 'allowed', ingress: 'admin-allowed' })).toBe('admin');
  expect(verdictTier({ allowed: true, egress: 'allowed', ingress: 'baseline-allowed' })).toBe('networkpolicy');
  expect(verdictTier({ allowed: true, egress: 'not-isolated', ingress: 'baseline-allowed' })).toBe('baseline');
  expect(verdictTier({ allowed: true, egress: 'not-isolated', ingress: 'not-applicable' })).toBe(null);
});

test('matrix: A/a and B/b where an Admin or Baseline rule decided, with a legend; none of it without tiers', () => {
  const guard = cnp('guard', 'Admin', 1, inNamespaces({ env: 'dev' }), { egress: [rule('Deny', [namespacesPeer({ env: 'prod' })])] });
  const base = cnp('base', 'Baseline', 1, inNamespaces({ tier: 'system' }), {
    ingress: [rule('Accept', [namespacesPeer({ env: 'dev' })]), rule('Deny', [namespacesPeer()])],
  });
  const [m] = connectivityMatrix(new ReferenceEvaluator(world([guard, base])), [{ protocol: 6, port: 80 }]);
  expect(matrixText(m!)).toEqual([
    'TCP/80  (rows: from, columns: to; Y allowed, . denied; A/a allowed/denied by an Admin rule, B/b by a Baseline rule)',
    '                     1  2  3',
    ' 1 dev/client        Y  B  a',
    ' 2 kube-system/dns   Y  Y  Y',
    ' 3 prod/web          Y  b  Y',
  ]);
  const [plain] = connectivityMatrix(new ReferenceEvaluator(world([])), [{ protocol: 6, port: 80 }]);
  expect(plain).not.toHaveProperty('decidedBy');
  expect(matrixText(plain!)[0]).toBe('TCP/80  (rows: from, columns: to; Y allowed, . denied)');
});

const story = (p: string) => join(import.meta.dirname, '../../examples/cluster-tiers', p);
const cli = runCli;
const STORY = ['-f', story('cluster.yaml'), '-f', story('guardrails'), '--engine', 'reference', '--flows', story('guardrails/flows.jsonl')];

test('netpol verdict: "decidedBy" when an Admin or Baseline rule decided, absent otherwise', async () => {
  const r = await cli('verdict', ...STORY);
  expect(r.code).toBe(0);
  const lines = r.out.map((l) => JSON.parse(l) as { allowed: boolean; egress: string; ingress: string; decidedBy?: string; expect: string });
  expect(lines.map((l) => l.allowed)).toEqual(lines.map((l) => l.expect === 'allow'));
  expect(lines.map((l) => l.decidedBy ?? null)).toEqual([null, null, 'admin', null, null, 'admin', 'admin', 'admin', 'baseline', null, 'baseline']);
});

test('netpol explain: the text chain and the JSON clusterRules for the same flow', async () => {
  const text = await cli('explain', ...STORY);
  expect(text.out.join('\n').split('\n')).toContain(
    '  egress  (prod/web): Admin pass (cnp/pass-dns rule "pass-dns") → NetworkPolicy: allowed by prod/prod-egress egress[0] (to[0], ports[0])',
  );
  const json = await cli('explain', '-o', 'json', ...STORY);
  const dns = JSON.parse(json.out[3]!);
  expect(dns.egressDetail.clusterRules).toEqual([
    {
      tier: 'admin',
      policy: 'cnp/pass-dns',
      priority: 20,
      direction: 'egress',
      ruleIndex: 0,
      ruleName: 'pass-dns',
      action: 'Pass',
      peerIndex: 0,
      portIndex: 0,
    },
  ]);
  expect(dns).not.toHaveProperty('ignoring');
});

describe('a cluster loaded with --ignore-unsupported-policies: every output says what it ignores', () => {
  // The story plus a CiliumNetworkPolicy, in a directory of its own.
  const dir = dirname(
    scratchFile('cilium.yaml', 'apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: lockdown, namespace: prod}\nspec: {}\n'),
  );
  copyFileSync(story('cluster.yaml'), join(dir, 'cluster.yaml'));
  const INPUT = ['-f', dir, '-f', story('guardrails'), '--engine', 'reference', '--ignore-unsupported-policies'];
  const FLOW = ['--src', 'prod/web', '--dst', 'prod/api', '--port', '8080'];
  const IGNORING = ['CiliumNetworkPolicy prod/lockdown'];
  const LINE = `partial: ignoring 1 object(s) of policy APIs netpol cannot evaluate (${IGNORING[0]}): they may change this verdict`;

  test('without the flag the object is an error and nothing is evaluated', async () => {
    const r = await cli('verdict', ...INPUT.slice(0, -1), '--flows', story('guardrails/flows.jsonl'));
    expect(r.code).toBe(2);
    expect(r.out).toEqual([]);
  });
  test('verdict: every JSON line carries "ignoring"', async () => {
    const r = await cli('verdict', ...INPUT, '--flows', story('guardrails/flows.jsonl'));
    expect(r.code).toBe(0);
    expect(r.out).toHaveLength(11);
    for (const l of r.out) expect(JSON.parse(l).ignoring).toEqual(IGNORING);
  });
  test('explain: a line in the text, a field in the JSON', async () => {
    expect((await cli('explain', ...INPUT, ...FLOW)).out.join('\n').split('\n').at(-1)).toBe(`  ${LINE}`);
    expect(JSON.parse((await cli('explain', ...INPUT, ...FLOW, '-o', 'json')).out[0]!).ignoring).toEqual(IGNORING);
  });
  test('matrix: a line before the grids, a field in the JSON', async () => {
    expect((await cli('matrix', ...INPUT)).out[0]).toBe(LINE);
    expect(JSON.parse((await cli('matrix', ...INPUT, '-o', 'json')).out.join('\n')).ignoring).toEqual(IGNORING);
  });
  test('no ignored objects: no such line or field', async () => {
    const plain = ['-f', story('cluster.yaml'), '-f', story('guardrails'), '--engine', 'reference'];
    expect((await cli('matrix', ...plain)).out.some((l) => l.includes('ignoring'))).toBe(false);
    expect(JSON.parse((await cli('matrix', ...plain, '-o', 'json')).out.join('\n'))).not.toHaveProperty('ignoring');
  });
});
