// Suggestions for a denied flow (analysis/suggest.ts, model/suggestion.ts): per denying
// direction, the closest rule and exactly what to add, remove or relabel — each applied here to
// the manifests (apply-suggestion.ts) to see that it allows the flow — and how `netpol explain`
// prints them (text, labelled as suggestions) and returns them (-o json).
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { ReferenceEvaluator, suggestChanges, withSuggestions, type Cluster, type Flow, type Suggestion } from '@netpol/core';
import { explanationText, suggestionsText } from '../../packages/core/src/cli/explain-text.js';
import { run } from '../../packages/core/src/cli/run.js';
import { cluster, flow } from '../helpers.js';
import { node, np, ns, pod, world } from '../semantics/fixtures.js';
import { applySuggestions } from './apply-suggestion.js';

const DB = '10.0.0.1';
const API = '10.0.0.3';
const WEB = '10.1.0.2';
const NODE = '10.9.0.1';
const EXTERNAL = '203.0.113.9';

const base = [
  ns('app', { team: 'a' }),
  ns('other'),
  node('n1', NODE),
  pod('app', 'db', DB, { labels: { role: 'db' }, containers: [[['pg', 5432]]] }),
  pod('app', 'api', API, { labels: { role: 'api' } }),
  pod('other', 'web', WEB, { labels: { role: 'web', env: 'dev' } }),
];

const dbIn = (rules: string) => np('app', 'db-in', `podSelector: {matchLabels: {role: db}}\npolicyTypes: [Ingress]\ningress:\n${rules}`);

function suggest(docs: readonly ReturnType<typeof ns>[], f: Flow, options = {}): { c: Cluster; s: Suggestion[] } {
  const c = cluster(world(...docs));
  return { c, s: suggestChanges(c, f, options) };
}

/** The suggestion, applied to the manifests, allows the flow (both directions: with the other's first). */
function allows(c: Cluster, f: Flow, ...s: Suggestion[]): boolean {
  return new ReferenceEvaluator(applySuggestions(c, ...s)).verdict(f).allowed;
}

test('only the port misses: add the flow port to that rule', () => {
  const f = flow(API, DB, 'TCP', 5433);
  const { c, s } = suggest([...base, dbIn('- from: [{podSelector: {matchLabels: {role: api}}}]\n  ports: [{port: 5432}]')], f);
  expect(s[0]).toEqual({
    direction: 'ingress',
    basis: 'port',
    policy: 'app/db-in',
    ruleIndex: 0,
    changes: [{ kind: 'add-port', policy: 'app/db-in', direction: 'ingress', ruleIndex: 0, port: { port: 5433 } }],
  });
  expect(allows(c, f, s[0]!)).toBe(true);
  expect(suggestionsText([s[0]!])).toEqual([
    '  suggestion (ingress, not applied): app/db-in ingress[0] misses only the port',
    '      add to app/db-in ingress[0] ports: { port: 5433 }',
  ]);
});

test('the address is in excepts: remove every except that holds it (the highest index first)', () => {
  const f = flow(WEB, DB, 'TCP', 5432);
  const { c, s } = suggest([...base, dbIn('- from: [{ipBlock: {cidr: 10.0.0.0/8, except: [10.2.0.0/16, 10.1.0.0/24, 10.1.0.0/16]}}]')], f);
  expect(s[0]!.changes).toEqual([
    { kind: 'remove-except', policy: 'app/db-in', direction: 'ingress', ruleIndex: 0, peerIndex: 0, exceptIndex: 2, except: '10.1.0.0/16' },
    { kind: 'remove-except', policy: 'app/db-in', direction: 'ingress', ruleIndex: 0, peerIndex: 0, exceptIndex: 1, except: '10.1.0.0/24' },
  ]);
  expect(allows(c, f, s[0]!)).toBe(true);
  expect(suggestionsText([s[0]!])[1]).toBe('      remove 10.1.0.0/16 from app/db-in ingress[0] from[0].ipBlock.except[2]');
});

test('the name: x mistake: the peer rewritten to select kubernetes.io/metadata.name (matchLabels, and an In expression)', () => {
  const f = flow(WEB, DB, 'TCP', 5432);
  const byLabel = suggest([...base, dbIn('- from: [{namespaceSelector: {matchLabels: {name: other}}}]')], f);
  expect(byLabel.s[0]!.changes).toEqual([
    {
      kind: 'replace-peer',
      policy: 'app/db-in',
      direction: 'ingress',
      ruleIndex: 0,
      peerIndex: 0,
      peer: { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'other' } } },
    },
  ]);
  expect(allows(byLabel.c, f, byLabel.s[0]!)).toBe(true);
  // Next: label the namespace as the selector wants.
  expect(byLabel.s[1]!.changes).toEqual([{ kind: 'set-label', object: { kind: 'Namespace', name: 'other' }, key: 'name', value: 'other' }]);
  const byExpression = suggest([...base, dbIn('- from: [{namespaceSelector: {matchExpressions: [{key: ns, operator: In, values: [other]}]}}]')], f);
  expect(byExpression.s[0]!.changes[0]).toMatchObject({
    kind: 'replace-peer',
    peer: { namespaceSelector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: ['other'] }] } },
  });
  expect(allows(byExpression.c, f, byExpression.s[0]!)).toBe(true);
});

test('a namespace is never labelled with the name of another one (name: other on app would mean other)', () => {
  const f = flow(API, DB, 'TCP', 5432);
  const { c, s } = suggest([...base, dbIn('- from: [{namespaceSelector: {matchLabels: {name: other}}}]')], f);
  expect(s.flatMap((x) => x.changes).filter((x) => x.kind === 'set-label')).toEqual([]);
  expect(s[0]!.changes).toEqual([{ kind: 'add-peer', policy: 'app/db-in', direction: 'ingress', ruleIndex: 0, peer: { podSelector: { matchLabels: { role: 'api' } } } }]);
  expect(allows(c, f, s[0]!)).toBe(true);
});

test('only pod labels miss: a new peer for the pod, then labels on the pod (set for In, remove for NotIn)', () => {
  const f = flow(API, DB, 'TCP', 5432);
  const { c, s } = suggest([...base, dbIn('- from: [{podSelector: {matchExpressions: [{key: tier, operator: In, values: [be]}, {key: role, operator: NotIn, values: [api]}]}}]')], f);
  expect(s.map((x) => x.basis)).toEqual(['peer', 'peer']);
  // One peer (cost 3) before two labels (2 each).
  expect(s[0]!.changes).toEqual([{ kind: 'add-peer', policy: 'app/db-in', direction: 'ingress', ruleIndex: 0, peer: { podSelector: { matchLabels: { role: 'api' } } } }]);
  expect(s[1]!.changes).toEqual([
    { kind: 'set-label', object: { kind: 'Pod', namespace: 'app', name: 'api' }, key: 'tier', value: 'be' },
    { kind: 'remove-label', object: { kind: 'Pod', namespace: 'app', name: 'api' }, key: 'role' },
  ]);
  for (const x of s) expect(allows(c, f, x)).toBe(true);
  expect(suggestionsText([s[1]!]).slice(1)).toEqual(['      label Pod app/api tier=be', '      remove label role from Pod app/api']);
});

test('a label that would take a pod out of its own policies is not suggested (it would open far more than this flow)', () => {
  // Relabelling db role=cache would satisfy api-out's peer, and also take db out of db-in.
  const out = np('app', 'api-out', 'podSelector: {matchLabels: {role: api}}\npolicyTypes: [Egress]\negress:\n- to: [{podSelector: {matchLabels: {role: cache}}}]');
  const { s } = suggest([...base, out, dbIn('- from: [{podSelector: {matchLabels: {role: api}}}]')], flow(API, DB, 'TCP', 5432));
  expect(s.length).toBeGreaterThan(0);
  expect(s.flatMap((x) => x.changes).filter((c) => c.kind === 'set-label')).toEqual([]);
});

test('a podSelector alone, a pod of another namespace: add the same podSelector with its namespace', () => {
  const f = flow(WEB, DB, 'TCP', 5432);
  const { c, s } = suggest([...base, dbIn('- from: [{podSelector: {matchLabels: {role: web}}}]')], f);
  expect(s[0]!.changes).toEqual([
    {
      kind: 'add-peer',
      policy: 'app/db-in',
      direction: 'ingress',
      ruleIndex: 0,
      peer: { podSelector: { matchLabels: { role: 'web' } }, namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'other' } } },
    },
  ]);
  expect(allows(c, f, s[0]!)).toBe(true);
});

test('a pod of a workload: its peer leaves out the labels each rollout changes; a label on it says to change the pod template', () => {
  const deployed = pod('app', 'api-7d9f-x2', '10.0.0.7', { labels: { app: 'api', 'pod-template-hash': '7d9f' } });
  const f = flow('10.0.0.7', DB, 'TCP', 5432);
  const { c, s } = suggest([...base, deployed, np('app', 'deny', 'podSelector: {}\npolicyTypes: [Ingress]')], f);
  expect(s[0]!.changes[0]).toMatchObject({ kind: 'add-rule', rule: { from: [{ podSelector: { matchLabels: { app: 'api' } } }] } });
  expect(allows(c, f, s[0]!)).toBe(true);
  const relabel: Suggestion = {
    direction: 'ingress',
    basis: 'peer',
    policy: 'app/db-in',
    ruleIndex: 0,
    changes: [{ kind: 'set-label', object: { kind: 'Pod', namespace: 'app', name: 'api-7d9f-x2', owner: { kind: 'Deployment', name: 'api' } }, key: 'tier', value: 'be' }],
  };
  expect(suggestionsText([relabel])[1]).toBe('      label Pod app/api-7d9f-x2 tier=be (owned by Deployment api: change its pod template)');
});

test('a policy that only isolates: a first rule for exactly this peer and port; an address that is no pod by ipBlock /32', () => {
  const deny = np('app', 'deny', 'podSelector: {}\npolicyTypes: [Ingress]');
  const f = flow(WEB, DB, 'TCP', 5432);
  const { c, s } = suggest([...base, deny], f);
  expect(s).toEqual([
    {
      direction: 'ingress',
      basis: 'isolation-only',
      policy: 'app/deny',
      ruleIndex: null,
      changes: [
        {
          kind: 'add-rule',
          policy: 'app/deny',
          direction: 'ingress',
          rule: {
            ports: [{ port: 5432 }],
            from: [{ podSelector: { matchLabels: { role: 'web', env: 'dev' } }, namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'other' } } }],
          },
        },
      ],
    },
  ]);
  expect(allows(c, f, s[0]!)).toBe(true);
  const ext = flow(EXTERNAL, DB, 'TCP', 5432);
  const fromOutside = suggestChanges(c, ext);
  expect(fromOutside[0]!.changes[0]).toMatchObject({ kind: 'add-rule', rule: { from: [{ ipBlock: { cidr: '203.0.113.9/32' } }] } });
  expect(allows(c, ext, fromOutside[0]!)).toBe(true);
});

test('ICMP against rules that all have ports: a new rule without ports (a port entry cannot name ICMP)', () => {
  const f = flow(API, DB, 'ICMP', undefined, { icmpType: 8 });
  const { c, s } = suggest([...base, dbIn('- from: [{podSelector: {matchLabels: {role: api}}}]\n  ports: [{port: 5432}]')], f);
  expect(s[0]).toMatchObject({ basis: 'new-rule', ruleIndex: null, changes: [{ kind: 'add-rule', rule: { from: [{ podSelector: { matchLabels: { role: 'api' } } }] } }] });
  expect(s[0]!.changes[0]).not.toHaveProperty('rule.ports');
  expect(allows(c, f, s[0]!)).toBe(true);
});

test('both directions deny: one suggestion each, and the first of each together allow the flow', () => {
  const out = np('app', 'api-out', 'podSelector: {matchLabels: {role: api}}\npolicyTypes: [Egress]\negress:\n- to: [{podSelector: {matchLabels: {role: cache}}}]');
  const f = flow(API, DB, 'TCP', 5432);
  const { c, s } = suggest([...base, out, dbIn('- from: [{podSelector: {matchLabels: {role: web}}}]\n  ports: [{port: 5432}]')], f);
  const egress = s.find((x) => x.direction === 'egress')!;
  const ingress = s.find((x) => x.direction === 'ingress')!;
  expect(egress.policy).toBe('app/api-out');
  expect(ingress.policy).toBe('app/db-in');
  expect(allows(c, f, egress)).toBe(false); // one direction alone is not enough
  expect(allows(c, f, egress, ingress)).toBe(true);
});

test('an allowed flow has none; a node address with ipBlocks excluding nodes has none, and the text says so', () => {
  const docs = [...base, dbIn('- from: [{podSelector: {matchLabels: {role: api}}}]')];
  expect(suggest(docs, flow(API, DB, 'TCP', 5432)).s).toEqual([]);
  const c = cluster(world(...docs));
  const f = flow(NODE, DB, 'TCP', 5432);
  expect(suggestChanges(c, f, { ipBlockMatchesPods: false, allowIngressFromLocalNode: false })).toEqual([]);
  const e = withSuggestions(c, f, new ReferenceEvaluator(c, { ipBlockMatchesPods: false }).explain(f), { ipBlockMatchesPods: false });
  expect(explanationText(e, { src: NODE, dst: DB }).split('\n').at(-1)).toBe('  suggestion: none found (no change netpol tried allows this flow)');
});

const guardrails = `
apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {name: guard}
spec:
  tier: Admin
  priority: 10
  subject: {namespaces: {matchLabels: {team: a}}}
  egress:
  - name: no-outside
    action: Deny
    to: [{networks: [0.0.0.0/0]}]
  ingress:
  - action: Deny
    from: [{namespaces: {}}]
---
apiVersion: policy.networking.k8s.io/v1alpha1
kind: BaselineAdminNetworkPolicy
metadata: {name: default}
spec:
  subject: {namespaces: {}}
  ingress:
  - action: Deny
    from: [{namespaces: {matchLabels: {kubernetes.io/metadata.name: app}}}]
`;

test('an Admin Deny decided: the suggestion names that Deny and puts an Accept for exactly this flow ahead of it', () => {
  const c = cluster(`${world(...base)}\n---${guardrails}`);
  const f = flow(API, EXTERNAL, 'TCP', 443);
  const s = suggestChanges(c, f);
  expect(s).toEqual([
    {
      direction: 'egress',
      basis: 'admin-deny',
      policy: 'cnp/guard',
      ruleIndex: 0,
      changes: [
        {
          kind: 'insert-cluster-rule',
          policy: 'cnp/guard',
          direction: 'egress',
          before: 0,
          rule: { action: 'Accept', to: [{ networks: ['203.0.113.9/32'] }], protocols: [{ tcp: { destinationPort: { number: 443 } } }] },
        },
      ],
    },
  ]);
  expect(allows(c, f, s[0]!)).toBe(true);
  expect(suggestionsText(s)).toEqual([
    '  suggestion (egress, not applied): cnp/guard egress[0] is an Admin Deny: it decides before any NetworkPolicy, and neither a NetworkPolicy nor a lower-priority Accept can override it: an Accept ahead of it',
    '      insert into cnp/guard egress before rule 0: { action: Accept, to: [ { networks: [ 203.0.113.9/32 ] } ], protocols: [ { tcp: { destinationPort: { number: 443 } } } ] }',
  ]);
});

test('a Baseline Deny decided (v1alpha1 BANP): an Allow ahead of it, in its API version', () => {
  const c = cluster(`${world(...base)}\n---${guardrails}`);
  const f = flow(API, WEB, 'TCP', 80);
  const s = suggestChanges(c, f);
  const ingress = s.find((x) => x.direction === 'ingress')!;
  expect(ingress).toMatchObject({ basis: 'baseline-deny', policy: 'banp/default', ruleIndex: 0 });
  expect(suggestionsText([ingress])[0]).toBe(
    '  suggestion (ingress, not applied): banp/default ingress[0] is a Baseline Deny: it decides because no NetworkPolicy isolates the pod, and a lower-priority Baseline Accept cannot override it: an Accept ahead of it',
  );
  expect(ingress.changes[0]).toMatchObject({ kind: 'insert-cluster-rule', rule: { action: 'Allow', ports: [{ portNumber: { port: 80 } }] } });
  expect(allows(c, f, ...s)).toBe(true);
});

const ex = (p: string) => join(import.meta.dirname, '../../examples', p);

test('netpol explain: suggestions in -o json and, labelled, in the text', async () => {
  const args = ['-f', ex('production-db/cluster.yaml'), '-f', ex('production-db/and'), '--src', 'production/frontend', '--dst', 'production/db', '--port', '5432'];
  const out: string[] = [];
  expect(await run(['explain', '-o', 'json', ...args], { out: (l) => out.push(l), err: () => {} })).toBe(0);
  const e = JSON.parse(out[0]!);
  expect(e.suggestions.length).toBeGreaterThan(0);
  expect(e.suggestions[0]).toMatchObject({ direction: 'ingress', basis: 'peer', policy: 'production/db-allow-production-backend', ruleIndex: 0 });
  // A new peer before relabelling frontend as backend: a label that replaces a value costs more.
  expect(e.suggestions[0].changes[0]).toMatchObject({ kind: 'add-peer', peer: { podSelector: { matchLabels: { app: 'frontend' } } } });
  expect(e.suggestions[1].changes[0]).toMatchObject({ kind: 'set-label', key: 'app', value: 'backend', replaces: 'frontend' });
  const text: string[] = [];
  await run(['explain', ...args], { out: (l) => text.push(l), err: () => {} });
  expect(text.join('\n')).toContain('  suggestion (ingress, not applied): production/db-allow-production-backend ingress[0] misses only the peer');
  // --no-suggestions: the explanation as the engine gave it.
  const bare: string[] = [];
  await run(['explain', '-o', 'json', '--no-suggestions', ...args], { out: (l) => bare.push(l), err: () => {} });
  expect(JSON.parse(bare[0]!)).not.toHaveProperty('suggestions');
  expect(JSON.parse(bare[0]!)).toEqual({ ...e, suggestions: undefined });
});
