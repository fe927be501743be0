// Explain, sharper (issue 16): which except holds the address (by index), why a named port
// resolved to no number on the destination, the `name: x` namespace-label mistake said as such —
// as data on every engine that explains (the same, since they share model/rule-miss.ts), and as
// text (cli/explain-text.ts).
import { expect, test } from 'vitest';
import type { PortMiss, RuleMiss } from '@netpol/core';
import { ruleMissText } from '../../packages/core/src/cli/explain-text.js';
import { flow } from '../helpers.js';
import { describeEach, EXPLAINING, np, ns, pod } from '../semantics/fixtures.js';

const DB = '10.0.0.1';
const WEB = '10.1.0.2';

const base = [
  ns('app'),
  ns('other'),
  pod('app', 'db', DB, {
    labels: { role: 'db' },
    containers: [[['pg', 5432]], [['metrics', 9090, 'UDP']]],
    initContainers: [[['warm', 7000]]],
  }),
  pod('other', 'web', WEB, { labels: { role: 'web' } }),
];

const db = np(
  'app',
  'db-in',
  `
  podSelector: {matchLabels: {role: db}}
  policyTypes: [Ingress]
  ingress:
  - from: [{ipBlock: {cidr: 10.0.0.0/8, except: [10.2.0.0/16, 10.1.0.0/24, 10.1.0.0/16]}}]
  - from: [{namespaceSelector: {matchLabels: {name: other}}}]
  - from: [{namespaceSelector: {matchExpressions: [{key: ns, operator: In, values: [x, other]}]}}]
  - ports: [{port: metrics}, {port: warm}, {port: nope}, {port: pg}]
`,
);

const ports = (m: RuleMiss): readonly PortMiss[] => m.ports!.misses;

describeEach(EXPLAINING, 'explain, sharper', (engine) => {
  test('an ipBlock peer names the first except that holds the address, with its index', () => {
    const e = engine.build([...base, db]).explain(flow(WEB, DB, 'TCP', 1));
    expect(e.ingressDetail.rejected[0]!.peers!.misses).toEqual([{ kind: 'in-except', cidr: '10.0.0.0/8', except: '10.1.0.0/24', exceptIndex: 1 }]);
  });

  test('a named port that resolves to nothing says why: no such port, another protocol, an init container not counted', () => {
    const without = engine.build([...base, db], { initContainerPorts: false }).explain(flow(WEB, DB, 'TCP', 1));
    expect(ports(without.ingressDetail.rejected[3]!)).toEqual([
      { kind: 'named', port: 'TCP metrics', resolved: [], unresolved: { reason: 'other-protocol', ports: ['UDP 9090'] } },
      { kind: 'named', port: 'TCP warm', resolved: [], unresolved: { reason: 'init-container', ports: [7000] } },
      { kind: 'named', port: 'TCP nope', resolved: [], unresolved: { reason: 'no-such-port' } },
      { kind: 'named', port: 'TCP pg', resolved: [5432] },
    ]);
    // Counted (the default), the init container's port resolves: a number, no reason.
    const counted = engine.build([...base, db]).explain(flow(WEB, DB, 'TCP', 1));
    expect(ports(counted.ingressDetail.rejected[3]!)[1]).toEqual({ kind: 'named', port: 'TCP warm', resolved: [7000] });
  });

  test('a namespaceSelector miss names the label the namespace lacks', () => {
    const e = engine.build([...base, db]).explain(flow(WEB, DB, 'TCP', 1));
    expect(e.ingressDetail.rejected[1]!.peers!.misses).toEqual([
      { kind: 'namespace-labels', namespace: 'other', label: { key: 'name', operator: 'Equals', values: ['other'], actual: null } },
    ]);
  });
});

test('text: the except by index, each named-port reason, and the classic name: x mistake', () => {
  const miss = (m: Partial<RuleMiss>): RuleMiss => ({ policy: 'app/db-in', direction: 'ingress', ruleIndex: 0, peerMatched: false, portMatched: true, ...m });
  const peers = (...misses: NonNullable<RuleMiss['peers']>['misses']) => miss({ peers: { side: 'source', address: WEB, pod: 'other/web', misses } });
  expect(ruleMissText(peers({ kind: 'in-except', cidr: '10.0.0.0/8', except: '10.1.0.0/24', exceptIndex: 1 }))).toBe(
    'app/db-in ingress[0]: source other/web (10.1.0.2) matches none of its 1 peer(s): from[0] is ipBlock 10.0.0.0/8, and its except[1] 10.1.0.0/24 contains it',
  );
  expect(
    ruleMissText(peers({ kind: 'namespace-labels', namespace: 'other', label: { key: 'name', operator: 'Equals', values: ['other'], actual: null } })),
  ).toBe(
    'app/db-in ingress[0]: source other/web (10.1.0.2) matches none of its 1 peer(s): from[0] namespaceSelector: namespace other needs name=other, has no name label' +
      ' (the classic mistake: a namespace carries its name as kubernetes.io/metadata.name=other, set by the API server, not as name; select on that)',
  );
  // Not the mistake: the namespace has the label (with another value), or the value is not its name.
  for (const label of [
    { key: 'name', operator: 'Equals' as const, values: ['other'], actual: 'x' },
    { key: 'team', operator: 'Equals' as const, values: ['a'], actual: null },
  ]) {
    expect(ruleMissText(peers({ kind: 'namespace-labels', namespace: 'other', label }))).not.toContain('classic mistake');
  }
  const named = miss({
    peerMatched: true,
    portMatched: false,
    ports: {
      protocol: 'TCP',
      port: 1,
      misses: [
        { kind: 'named', port: 'TCP metrics', resolved: [], unresolved: { reason: 'other-protocol', ports: ['UDP 9090'] } },
        { kind: 'named', port: 'TCP warm', resolved: [], unresolved: { reason: 'init-container', ports: [7000] } },
        { kind: 'named', port: 'TCP nope', resolved: [], unresolved: { reason: 'no-such-port' } },
        { kind: 'named', port: 'TCP x', resolved: null, unresolved: { reason: 'not-a-pod' } },
        { kind: 'named', port: 'TCP pg', resolved: [5432] },
      ],
    },
  });
  expect(ruleMissText(named)).toBe(
    'app/db-in ingress[0]: TCP/1 matches none of its ports (' +
      'TCP metrics: the destination pod has metrics only as UDP 9090, ' +
      'TCP warm: 7000 on an init container of the destination, not counted (--ignore-init-container-ports), ' +
      'TCP nope: the destination pod has no container port named nope, ' +
      'TCP x: the destination is not a pod, so it resolves to no port, ' +
      'TCP pg = 5432 on the destination)',
  );
});
