// §2.1: policies are a union; no order, no deny, no conflict.
import { expect, test } from 'vitest';
import { flow } from '../helpers.js';
import { describeEach, ENGINES, EXPLAINING, np, ns, permutations, pod, short } from './fixtures.js';

const DB = '10.0.0.10';
const WEB = '10.0.0.11';
const API = '10.0.0.12';
const JOB = '10.0.0.13';
const EXT = '203.0.113.9';
const base = [
  ns('app'),
  pod('app', 'db', DB, { labels: { role: 'db' } }),
  pod('app', 'web', WEB, { labels: { role: 'web' } }),
  pod('app', 'api', API, { labels: { role: 'api' } }),
  pod('app', 'job', JOB, { labels: { role: 'job' } }),
];

const fromWeb = np(
  'app',
  'from-web',
  `
  podSelector: {matchLabels: {role: db}}
  ingress:
  - from: [{podSelector: {matchLabels: {role: web}}}]
    ports: [{port: 5432}]
`,
);
const fromApi = np(
  'app',
  'from-api',
  `
  podSelector: {matchLabels: {role: db}}
  ingress:
  - from: [{podSelector: {matchLabels: {role: api}}}]
`,
);
const denyAll = np(
  'app',
  'deny-all',
  `
  podSelector: {}
  policyTypes: [Ingress, Egress]
`,
);
const egressDns = np(
  'app',
  'egress-ext',
  `
  podSelector: {}
  policyTypes: [Egress]
  egress:
  - to: [{ipBlock: {cidr: 203.0.113.0/24}}]
  - to: [{podSelector: {}}]
`,
);

const flows = [
  flow(WEB, DB, 'TCP', 5432),
  flow(WEB, DB, 'TCP', 80),
  flow(API, DB, 'TCP', 80),
  flow(API, DB, 'UDP', 53),
  flow(JOB, DB, 'TCP', 5432),
  flow(EXT, DB, 'TCP', 5432),
  flow(DB, EXT, 'TCP', 443),
  flow(DB, '198.51.100.1', 'TCP', 443),
  flow(WEB, JOB, 'ICMP'),
];

describeEach(ENGINES, 'union of policies', (engine) => {
  test('each policy adds what it allows; deny-all adds no deny', () => {
    const ev = engine.build([...base, fromWeb, fromApi, denyAll, egressDns]);
    expect(flows.map((f) => short(ev.verdict(f)))).toEqual([
      'ALLOW egress=allowed ingress=allowed',
      'DENY egress=allowed ingress=denied',
      'ALLOW egress=allowed ingress=allowed',
      'ALLOW egress=allowed ingress=allowed',
      'DENY egress=allowed ingress=denied',
      'DENY egress=not-applicable ingress=denied',
      'ALLOW egress=allowed ingress=not-applicable',
      'DENY egress=denied ingress=not-applicable',
      'DENY egress=allowed ingress=denied',
    ]);
  });

  test('the order of the policies never changes a verdict (all 24 orders)', () => {
    const policies = [fromWeb, fromApi, denyAll, egressDns];
    const first = engine.build([...base, ...policies]);
    const expected = flows.map((f) => first.verdict(f));
    for (const order of permutations(policies)) {
      const ev = engine.build([...base, ...order]);
      expect(flows.map((f) => ev.verdict(f))).toEqual(expected);
      // The order of the other objects does not matter either.
      const ev2 = engine.build([...order, ...[...base].reverse()]);
      expect(flows.map((f) => ev2.verdict(f))).toEqual(expected);
    }
  });
});

describeEach(EXPLAINING, 'union of policies: explanations', (engine) => {
  test('explain lists every rule that allows the flow, one per policy', () => {
    const both = np(
      'app',
      'any-to-db',
      `
      podSelector: {matchLabels: {role: db}}
      ingress:
      - from: [{podSelector: {matchLabels: {role: nobody}}}]
      - ports: [{port: 80}, {port: 5432}]
    `,
    );
    const ev = engine.build([...base, fromWeb, fromApi, both]);
    const e = ev.explain(flow(WEB, DB, 'TCP', 5432));
    expect(e.ingressDetail.reason).toBe('rule');
    expect([...e.ingressDetail.isolatedBy].sort()).toEqual(['app/any-to-db', 'app/from-api', 'app/from-web']);
    expect([...e.ingressDetail.allowedBy].sort((x, y) => x.policy.localeCompare(y.policy))).toEqual([
      { policy: 'app/any-to-db', direction: 'ingress', ruleIndex: 1, peerIndex: null, portIndex: 1 },
      { policy: 'app/from-web', direction: 'ingress', ruleIndex: 0, peerIndex: 0, portIndex: 0 },
    ]);
  });

  test('a denied flow lists every rejected rule with what matched', () => {
    const ev = engine.build([...base, fromWeb, fromApi]);
    const e = ev.explain(flow(WEB, DB, 'TCP', 80));
    expect(e.ingressDetail.decision).toBe('denied');
    const rejected = [...e.ingressDetail.rejected].sort((x, y) => x.policy.localeCompare(y.policy));
    expect(rejected.map((r) => [r.policy, r.ruleIndex, r.peerMatched, r.portMatched])).toEqual([
      ['app/from-api', 0, false, true], // no ports: port matches; peer is web, not api
      ['app/from-web', 0, true, false], // peer matches; port 80 is not 5432
    ]);
    // Why, as data: the failed side carries its misses, the matched side none.
    for (const r of rejected) expect([r.peers !== undefined, r.ports !== undefined]).toEqual([!r.peerMatched, !r.portMatched]);
  });
});
