// Explanations as data: every engine that explains reports the same decision steps and, for a
// rejected rule, which peer failed and why and which port failed and why (model/flow.ts
// RuleMiss), rendered to text in one place (cli/explain-text.ts).
import { expect, test, vi } from 'vitest';
import type { DirectionExplanation, RuleMiss } from '@netpol/core';
import { ruleMissText } from '../../packages/core/src/cli/explain-text.js';
import { DECISION } from '../../packages/core/src/compile/layout.js';
import { Kernel } from '../../packages/core/src/kernels/js-kernel.js';
import { flow } from '../helpers.js';
import { describeEach, EXPLAINING, node, np, ns, pod } from '../semantics/fixtures.js';

const DB = '10.0.0.1';
const WEB = '10.0.0.2';
const OTHER_WEB = '10.1.0.2';
const NODE = '10.0.9.1';
const EXTERNAL = '203.0.113.9';

const base = [
  ns('app', { team: 'a' }),
  ns('other', { team: 'b' }),
  node('n1', NODE),
  pod('app', 'db', DB, { labels: { role: 'db' }, node: 'n1', containers: [[['pg', 5432]]] }),
  pod('app', 'web', WEB, { labels: { role: 'web' }, node: 'n1' }),
  pod('other', 'web', OTHER_WEB, { labels: { role: 'web' }, node: 'n1' }),
];

// One ingress rule per way of missing, on app/db.
const misses = np(
  'app',
  'db-in',
  `
  podSelector: {matchLabels: {role: db}}
  policyTypes: [Ingress]
  ingress:
  - from: [{ipBlock: {cidr: 192.168.0.0/16}}]
  - from: [{ipBlock: {cidr: 10.0.0.0/16, except: [10.0.0.0/24]}}]
  - from: [{podSelector: {matchLabels: {role: api}}}]
  - from: [{podSelector: {matchExpressions: [{key: env, operator: In, values: [prod]}]}}]
  - from: [{namespaceSelector: {matchLabels: {team: c}}}]
  - from: [{podSelector: {matchExpressions: [{key: role, operator: NotIn, values: [web]}]}}]
  - ports: [{port: 80}, {protocol: UDP, port: 5433}, {port: pg}, {port: http}]
`,
);

const rejected = (d: DirectionExplanation): readonly RuleMiss[] => d.rejected;
const peersOf = (m: RuleMiss) => m.peers?.misses;

const RULES_CHAIN = ['reply', 'self', 'icmpv6-nd', 'endpoint', 'isolation', 'local-node', 'rules'];

describeEach(EXPLAINING, 'rule misses as data', (engine) => {
  test('each peer says why it misses: outside the block, inside which except, which label', () => {
    const e = engine.build([...base, misses]).explain(flow(WEB, DB, 'TCP', 5433));
    expect(e.allowed).toBe(false);
    const m = rejected(e.ingressDetail);
    expect(m.map((r) => [r.ruleIndex, r.peerMatched, r.portMatched])).toEqual([0, 1, 2, 3, 4, 5, 6].map((i) => [i, i === 6, i !== 6]));
    expect(m[0]!.peers).toEqual({ side: 'source', address: WEB, pod: 'app/web', misses: [{ kind: 'outside-block', cidr: '192.168.0.0/16' }] });
    expect(peersOf(m[1]!)).toEqual([{ kind: 'in-except', cidr: '10.0.0.0/16', except: '10.0.0.0/24', exceptIndex: 0 }]);
    expect(peersOf(m[2]!)).toEqual([{ kind: 'pod-labels', label: { key: 'role', operator: 'Equals', values: ['api'], actual: 'web' } }]);
    expect(peersOf(m[3]!)).toEqual([{ kind: 'pod-labels', label: { key: 'env', operator: 'In', values: ['prod'], actual: null } }]);
    expect(peersOf(m[4]!)).toEqual([{ kind: 'namespace-labels', namespace: 'app', label: { key: 'team', operator: 'Equals', values: ['c'], actual: 'a' } }]);
    expect(peersOf(m[5]!)).toEqual([{ kind: 'pod-labels', label: { key: 'role', operator: 'NotIn', values: ['web'], actual: 'web' } }]);
    for (const r of m.slice(0, 6)) expect(r.ports).toBeUndefined();
  });

  test('each port says why it misses, and what a named port resolved to on the destination', () => {
    const e = engine.build([...base, misses]).explain(flow(WEB, DB, 'TCP', 5433));
    const r = rejected(e.ingressDetail)[6]!;
    expect(r.peers).toBeUndefined();
    expect(r.ports).toEqual({
      protocol: 'TCP',
      port: 5433,
      misses: [
        { kind: 'range', port: 'TCP 80' },
        { kind: 'protocol', port: 'UDP 5433' },
        { kind: 'named', port: 'TCP pg', resolved: [5432] },
        { kind: 'named', port: 'TCP http', resolved: [], unresolved: { reason: 'no-such-port' } },
      ],
    });
    // A flow without a port (ICMP) misses every port on the protocol.
    const icmp = engine.build([...base, misses]).explain(flow(WEB, DB, 'ICMP', undefined, { icmpType: 8 }));
    expect(rejected(icmp.ingressDetail)[6]!.ports).toEqual({
      protocol: 'ICMP',
      port: null,
      misses: ['TCP 80', 'UDP 5433', 'TCP pg', 'TCP http'].map((port) => ({ kind: 'protocol', port })),
    });
  });

  test('a podSelector alone misses pods of other namespaces; selectors miss addresses that are not pods', () => {
    const ev = engine.build([...base, misses]);
    expect(peersOf(rejected(ev.explain(flow(OTHER_WEB, DB, 'TCP', 5433)).ingressDetail)[2]!)).toEqual([
      { kind: 'other-namespace', namespace: 'other', policyNamespace: 'app' },
    ]);
    const ext = rejected(ev.explain(flow(EXTERNAL, DB, 'TCP', 5433)).ingressDetail);
    expect(ext[2]!.peers).toEqual({ side: 'source', address: EXTERNAL, pod: null, misses: [{ kind: 'not-a-pod' }] });
    expect(peersOf(ext[4]!)).toEqual([{ kind: 'not-a-pod' }]);
  });

  test('ipBlockMatchesPods: false — an ipBlock containing a pod address says so', () => {
    const p = np(
      'app',
      'wide',
      `
      podSelector: {matchLabels: {role: db}}
      ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/8}}]}]
    `,
    );
    const e = engine.build([...base, p], { ipBlockMatchesPods: false }).explain(flow(WEB, DB, 'TCP', 1));
    expect(peersOf(rejected(e.ingressDetail)[0]!)).toEqual([{ kind: 'pod-or-node-address', cidr: '10.0.0.0/8' }]);
  });

  test('a named port on a destination that is not a pod resolves to nothing (null)', () => {
    const p = np(
      'app',
      'web-out',
      `
      podSelector: {matchLabels: {role: web}}
      policyTypes: [Egress]
      egress: [{ports: [{port: http}]}]
    `,
    );
    const e = engine.build([...base, p]).explain(flow(WEB, EXTERNAL, 'TCP', 80));
    expect(rejected(e.egressDetail)[0]!.ports!.misses).toEqual([{ kind: 'named', port: 'TCP http', resolved: null, unresolved: { reason: 'not-a-pod' } }]);
  });

  test('the decision steps: every step before the deciding one answers next', () => {
    const ev = engine.build([...base, misses]);
    const chain = (d: DirectionExplanation) => d.steps.map((s) => `${s.step}:${s.answer}`);
    const denied = ev.explain(flow(WEB, DB, 'TCP', 5433));
    expect(chain(denied.ingressDetail)).toEqual(RULES_CHAIN.map((s) => `${s}:${s === 'rules' ? 'deny' : 'next'}`));
    expect(chain(denied.egressDetail)).toEqual(['reply:next', 'self:next', 'icmpv6-nd:next', 'endpoint:next', 'isolation:allow']);
    expect(chain(ev.explain(flow(WEB, DB, 'TCP', 80)).ingressDetail)).toEqual(RULES_CHAIN.map((s) => `${s}:${s === 'rules' ? 'allow' : 'next'}`));
    expect(chain(ev.explain(flow(DB, DB, 'TCP', 5433)).ingressDetail)).toEqual(['reply:next', 'self:allow']);
    expect(chain(ev.explain(flow(WEB, DB, 'TCP', 5433, { established: true })).ingressDetail)).toEqual(['reply:allow']);
    expect(chain(ev.explain(flow(NODE, DB, 'TCP', 5433)).ingressDetail)).toEqual([
      'reply:next',
      'self:next',
      'icmpv6-nd:next',
      'endpoint:next',
      'isolation:next',
      'local-node:allow',
    ]);
    expect(chain(ev.explain(flow(DB, EXTERNAL, 'TCP', 5433)).ingressDetail)).toEqual(['reply:next', 'self:next', 'icmpv6-nd:next', 'endpoint:allow']);
  });
});

// The image engines explain from their provenance and check each direction against their own
// kernel: a kernel that answers otherwise makes explain throw instead of telling a story.
describeEach(
  EXPLAINING.filter((e) => e.name !== 'reference'),
  'explain checked against the kernel',
  (engine) => {
    test('a kernel that denies what the rules allow makes explain throw', () => {
      const ev = engine.build([...base, misses]);
      expect(ev.explain(flow(WEB, DB, 'TCP', 80)).ingressDetail.reason).toBe('rule');
      const spy = vi.spyOn(Kernel.prototype, 'ingress').mockReturnValue(DECISION.denied);
      try {
        expect(() => ev.explain(flow(WEB, DB, 'TCP', 80))).toThrow(
          /internal error: explain \(allowed, rule\) disagrees with the kernel \(denied\) for ingress/,
        );
      } finally {
        spy.mockRestore();
      }
    });
  },
);

describeEach(
  EXPLAINING.filter((e) => e.name === 'compiled'),
  'explain checked against the port classes',
  (engine) => {
    test("a port class the rule's terms do not admit makes explain throw", () => {
      const ev = engine.build([...base, misses]);
      const spy = vi.spyOn(Kernel.prototype, 'portClass').mockReturnValue(0);
      try {
        expect(() => ev.explain(flow(WEB, DB, 'TCP', 80))).toThrow(
          /internal error: port TCP 80 matches TCP\/80 by its terms but not by the image's port class 0/,
        );
      } finally {
        spy.mockRestore();
      }
    });
  },
);

test('the text rendering names the peer, the reason, the label and the named port resolution', () => {
  const miss = (m: Partial<RuleMiss>): RuleMiss => ({ policy: 'app/p', direction: 'ingress', ruleIndex: 0, peerMatched: false, portMatched: true, ...m });
  const peers = (...misses: NonNullable<RuleMiss['peers']>['misses']) => miss({ peers: { side: 'source', address: WEB, pod: 'app/web', misses } });
  expect(ruleMissText(miss({ ruleIndex: null }))).toBe('app/p has no ingress rules: it only isolates');
  expect(ruleMissText(peers({ kind: 'pod-labels', label: { key: 'role', operator: 'Equals', values: ['api'], actual: 'web' } }))).toBe(
    'app/p ingress[0]: source app/web (10.0.0.2) matches none of its 1 peer(s): from[0] podSelector: needs role=api, has role=web',
  );
  expect(
    ruleMissText(
      peers(
        { kind: 'in-except', cidr: '10.0.0.0/16', except: '10.0.0.0/24', exceptIndex: 0 },
        { kind: 'namespace-labels', namespace: 'app', label: { key: 'team', operator: 'Exists', values: [], actual: null } },
      ),
    ),
  ).toBe(
    'app/p ingress[0]: source app/web (10.0.0.2) matches none of its 2 peer(s): from[0] is ipBlock 10.0.0.0/16, and its except[0] 10.0.0.0/24 contains it, from[1] namespaceSelector: namespace app needs a team label',
  );
  const ports = miss({
    peerMatched: true,
    portMatched: false,
    direction: 'egress',
    ports: {
      protocol: 'TCP',
      port: 5433,
      misses: [
        { kind: 'range', port: 'TCP 80' },
        { kind: 'named', port: 'TCP pg', resolved: [5432] },
        { kind: 'named', port: 'TCP http', resolved: [], unresolved: { reason: 'no-such-port' } },
        { kind: 'named', port: 'TCP x', resolved: null, unresolved: { reason: 'not-a-pod' } },
      ],
    },
  });
  expect(ruleMissText(ports)).toBe(
    'app/p egress[0]: TCP/5433 matches none of its ports (TCP 80, TCP pg = 5432 on the destination, TCP http: the destination pod has no container port named http, TCP x: the destination is not a pod, so it resolves to no port)',
  );
});
