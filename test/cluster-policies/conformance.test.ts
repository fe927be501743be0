// The conformance scenarios of network-policy-api (its conformance/tests: the ClusterNetworkPolicy
// Admin and Baseline tier tests, and the AdminNetworkPolicy / BaselineAdminNetworkPolicy
// integration test), written as netpol test cases. Upstream runs each scenario on a live
// cluster: four namespaces with two pods each, a policy manifest, then a sequence of steps, each
// patching the policies (swapping rules, changing an action or a priority, deleting a
// NetworkPolicy) and probing connections between the pods. Here every step is the whole set of
// objects at that point of the sequence and every probe is a flow whose verdict must say
// allowed or denied as upstream's probe expects, on every engine of test/semantics/fixtures.ts.
//
// Where netpol's contract differs from an optional upstream feature, the case says so:
// the hairpin test (a pod reaching itself through a Service) is exempt in netpol, which sees
// flows after DNAT and exempts a pod talking to its own IP from every tier.
import { describe, expect, test } from 'vitest';
import type { Flow } from '@netpol/core';
import { flow } from '../helpers.js';
import { describeEach, ENGINES } from '../semantics/fixtures.js';

type Obj = Record<string, unknown>;
type Doc = string | Obj;

// ------------------------------------------------------------------------------------------
// The base setup: namespaces, pods (as upstream's StatefulSets create them), nodes

const HOUSES = { gryffindor: 'harry-potter', slytherin: 'draco-malfoy', hufflepuff: 'cedric-diggory', ravenclaw: 'luna-lovegood' } as const;
type House = keyof typeof HOUSES;
const nsName = (h: string): string => `network-policy-conformance-${h}`;

/** Ports the host-network server pods listen on (upstream's HostNetworkPorts). */
const HOST_PORTS = [34345, 34346, 34347, 34348, 34349, 34350, 34351] as const;

const NODES = [
  { name: 'kind-worker', ip: '172.18.0.2' },
  { name: 'kind-worker2', ip: '172.18.0.3' },
];

/** Pod name → IP: 10.244.<house>.<ordinal + 10>, centaurs on their nodes' IPs. */
const IPS = new Map<string, string>();
const base: Obj[] = [];

function namespace(name: string, labels: Record<string, string>): void {
  base.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });
}

function addPod(namespaceName: string, name: string, ip: string, labels: Record<string, string>, node: string, extra: Obj = {}): void {
  IPS.set(name, ip);
  base.push({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: namespaceName, labels: { ...labels, 'statefulset.kubernetes.io/pod-name': name } },
    spec: {
      nodeName: node,
      ...extra,
      // The servers: TCP 80 (named "web") and 8080, UDP 5353 and 53, SCTP 9003 and 9005.
      containers: [
        { name: 'client', image: 'agnhost' },
        { name: 's80', image: 'agnhost', ports: [{ name: 'web', containerPort: 80 }] },
        { name: 's8080', image: 'agnhost', ports: [{ containerPort: 8080 }] },
        { name: 's5353', image: 'agnhost', ports: [{ containerPort: 5353, protocol: 'UDP' }] },
        { name: 's53', image: 'agnhost', ports: [{ containerPort: 53, protocol: 'UDP' }] },
        { name: 's9003', image: 'agnhost', ports: [{ containerPort: 9003, protocol: 'SCTP' }] },
        { name: 's9005', image: 'agnhost', ports: [{ containerPort: 9005, protocol: 'SCTP' }] },
      ],
    },
    status: { phase: 'Running', podIP: ip, podIPs: [{ ip }] },
  });
}

for (const n of NODES) {
  base.push({
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: n.name, labels: { 'kubernetes.io/os': 'linux', 'kubernetes.io/hostname': n.name } },
    status: {
      addresses: [
        { type: 'InternalIP', address: n.ip },
        { type: 'Hostname', address: n.name },
      ],
    },
  });
}
Object.entries(HOUSES).forEach(([house, prefix], h) => {
  namespace(nsName(house), { 'conformance-house': house });
  for (const i of [0, 1]) addPod(nsName(house), `${prefix}-${i}`, `10.244.${h + 1}.${10 + i}`, { 'conformance-house': house }, NODES[i]!.name);
});
// Host-network servers (the node-peer test) and a namespace no house label selects.
namespace(nsName('forbidden-forrest'), {});
NODES.forEach((n, i) => addPod(nsName('forbidden-forrest'), `centaur-${i}`, n.ip, { app: 'centaur' }, n.name, { hostNetwork: true }));
namespace(nsName('durmstrang'), {});
addPod(nsName('durmstrang'), 'viktor-krum-0', '10.244.5.10', { 'conformance-house': 'durmstrang' }, 'kind-worker');
addPod(nsName('durmstrang'), 'igor-karkaroff-0', '10.244.5.11', {}, 'kind-worker2');

// ------------------------------------------------------------------------------------------
// Policy builders (the manifests' shapes; v1alpha2 unless named otherwise)

const byName = (h: string): Obj => ({ matchLabels: { 'kubernetes.io/metadata.name': nsName(h) } });
const byHouse = (h: string): Obj => ({ matchLabels: { 'conformance-house': h } });
const podsOf = (h: string): Obj => ({ pods: { namespaceSelector: byHouse(h), podSelector: byHouse(h) } });
const tcp = (number: number): Obj => ({ tcp: { destinationPort: { number } } });
const udp = (number: number): Obj => ({ udp: { destinationPort: { number } } });
const sctp = (number: number): Obj => ({ sctp: { destinationPort: { number } } });
const range = (protocol: 'tcp' | 'udp' | 'sctp', start: number, end: number): Obj => ({ [protocol]: { destinationPort: { range: { start, end } } } });

function cnp(name: string, tier: 'Admin' | 'Baseline', priority: number, subject: Obj, gress: { ingress?: Obj[]; egress?: Obj[] }): Obj {
  return { apiVersion: 'policy.networking.k8s.io/v1alpha2', kind: 'ClusterNetworkPolicy', metadata: { name }, spec: { tier, priority, subject, ...gress } };
}

/** An egress rule (`to`) or, with `from`, an ingress rule. */
const to = (name: string, action: string, peers: Obj[], protocols?: Obj[]): Obj => ({ name, action, to: peers, ...(protocols && { protocols }) });
const from = (name: string, action: string, peers: Obj[], protocols?: Obj[]): Obj => ({ name, action, from: peers, ...(protocols && { protocols }) });
const nsPeer = (h: string): Obj => ({ namespaces: byName(h) });

/** A deep copy of `policy` with `edit` applied to its spec. */
function patch(policy: Obj, edit: (spec: { ingress: Obj[]; egress: Obj[]; priority: number }) => void): Obj {
  const copy = structuredClone(policy) as { spec: { ingress: Obj[]; egress: Obj[]; priority: number } };
  edit(copy.spec);
  return copy;
}
function swap(list: Obj[], i: number, j: number): void {
  [list[i], list[j]] = [list[j]!, list[i]!];
}

// ------------------------------------------------------------------------------------------
// Scenarios

/** [client pod, server pod, protocol, port, connection expected to succeed]. */
type Probe = readonly [string, string, 'TCP' | 'UDP' | 'SCTP', number, boolean];

interface Step {
  readonly title: string;
  /** Every policy object at this point of the sequence. */
  readonly policies: readonly Doc[];
  readonly probes: readonly Probe[];
}

interface Scenario {
  /** Upstream's ShortName. */
  readonly name: string;
  readonly steps: readonly Step[];
}

const ALLOW = true;
const DENY = false;

/** Probes of one client set against one server on TCP, UDP and SCTP at the given ports. */
const threeProtocols = (clients: readonly [string, string, string], server: string, ports: readonly [number, number, number], ok: boolean): Probe[] => [
  [clients[0], server, 'TCP', ports[0], ok],
  [clients[1], server, 'UDP', ports[1], ok],
  [clients[2], server, 'SCTP', ports[2], ok],
];

const scenarios: Scenario[] = [];
/** A scenario of one step. */
const oneStep = (name: string, step: Step): void => void scenarios.push({ name, steps: [step] });

// CNPAdminTier{Egress,Ingress}{TCP,UDP,SCTP}: one policy per direction and protocol, rules for
// three houses: one matched whole (Accept, then Deny, then Pass), one at a port (Deny, then
// Pass), one accepted at a port and denied otherwise. The steps swap the first rules, then put
// the Pass first, then the port Pass before the port Deny. CNPAdminTierEgressNamedPort turns
// the TCP egress policy's port rule into the named port "web".
const HOUSE_POD = (h: House, i: 0 | 1): string => `${HOUSES[h]}-${i}`;
/** The two server ports of each protocol in the base pods. */
const SERVER_PORTS = { TCP: [80, 8080], UDP: [5353, 53], SCTP: [9003, 9005] } as const;

interface RuleOrderCase {
  readonly name: string;
  readonly policy: string;
  readonly priority: number;
  readonly direction: 'ingress' | 'egress';
  readonly protocol: 'TCP' | 'UDP' | 'SCTP';
  readonly subject: House;
  /** Matched whole by the first three rules. */
  readonly whole: House;
  /** Denied, then passed, at one port. */
  readonly atPort: readonly [House, number];
  /** Accepted at one port, denied otherwise. */
  readonly onlyAt: readonly [House, number];
}

function ruleOrderPolicy(c: RuleOrderCase): Obj {
  const rule = c.direction === 'egress' ? to : from;
  const way = c.direction === 'egress' ? 'to' : 'from';
  const port = (n: number): Obj => ({ TCP: tcp, UDP: udp, SCTP: sctp })[c.protocol](n);
  const [atHouse, atNumber] = c.atPort;
  const [onlyHouse, onlyNumber] = c.onlyAt;
  return cnp(
    c.policy,
    'Admin',
    c.priority,
    { namespaces: byName(c.subject) },
    {
      [c.direction]: [
        rule(`allow-${way}-${c.whole}-everything`, 'Accept', [nsPeer(c.whole)]),
        rule(`deny-${way}-${c.whole}-everything`, 'Deny', [nsPeer(c.whole)]),
        rule(`pass-${way}-${c.whole}-everything`, 'Pass', [nsPeer(c.whole)]),
        rule(`deny-${way}-${atHouse}-at-port-${atNumber}`, 'Deny', [nsPeer(atHouse)], [port(atNumber)]),
        rule(`pass-${way}-${atHouse}-at-port-${atNumber}`, 'Pass', [nsPeer(atHouse)], [port(atNumber)]),
        rule(`allow-${way}-${onlyHouse}-at-port-${onlyNumber}`, 'Accept', [nsPeer(onlyHouse)], [port(onlyNumber)]),
        rule(`deny-${way}-${onlyHouse}-everything-else`, 'Deny', [nsPeer(onlyHouse)]),
      ],
    },
  );
}

function ruleOrderScenario(c: RuleOrderCase): Scenario {
  const policy = ruleOrderPolicy(c);
  const edit = (p: Obj, i: number, j: number): Obj => patch(p, (s) => swap(s[c.direction], i, j));
  const denyFirst = edit(policy, 0, 1);
  const passFirst = edit(denyFirst, 0, 2);
  /** A probe between pod `i` of `house` and pod `i` of the subject, the right way round. */
  const probe = (house: House, i: 0 | 1, port: number, ok: boolean): Probe =>
    c.direction === 'egress'
      ? [HOUSE_POD(c.subject, i), HOUSE_POD(house, i), c.protocol, port, ok]
      : [HOUSE_POD(house, i), HOUSE_POD(c.subject, i), c.protocol, port, ok];
  const [p1, p2] = SERVER_PORTS[c.protocol];
  const other = (n: number): number => (n === p1 ? p2 : p1);
  const [atHouse, atNumber] = c.atPort;
  const [onlyHouse, onlyNumber] = c.onlyAt;
  return {
    name: c.name,
    steps: [
      {
        title: 'allow before deny: rule order is respected; the port rules decide per port',
        policies: [policy],
        probes: [
          probe(c.whole, 0, p1, ALLOW),
          probe(c.whole, 1, p2, ALLOW),
          probe(onlyHouse, 0, onlyNumber, ALLOW),
          probe(onlyHouse, 1, other(onlyNumber), DENY),
          probe(atHouse, 0, atNumber, DENY),
          probe(atHouse, 1, other(atNumber), ALLOW),
        ],
      },
      { title: 'deny swapped before allow', policies: [denyFirst], probes: [probe(c.whole, 0, p1, DENY), probe(c.whole, 1, p2, DENY)] },
      {
        title: 'pass swapped first: nothing below decides, traffic flows',
        policies: [passFirst],
        probes: [probe(c.whole, 0, p1, ALLOW), probe(c.whole, 1, p2, ALLOW)],
      },
      {
        title: 'port pass swapped before port deny',
        policies: [edit(passFirst, 3, 4)],
        probes: [probe(atHouse, 0, atNumber, ALLOW), probe(atHouse, 1, other(atNumber), ALLOW)],
      },
    ],
  };
}

/** Upstream's six: name, policy, priority, direction, protocol, subject, whole, atPort, onlyAt. */
const RULE_ORDER_CASES: readonly RuleOrderCase[] = (
  [
    ['CNPAdminTierEgressTCP', 'egress-tcp', 6, 'egress', 'TCP', 'gryffindor', 'ravenclaw', ['slytherin', 80], ['hufflepuff', 8080]],
    ['CNPAdminTierEgressUDP', 'egress-udp', 7, 'egress', 'UDP', 'hufflepuff', 'ravenclaw', ['slytherin', 5353], ['gryffindor', 53]],
    ['CNPAdminTierEgressSCTP', 'egress-sctp', 8, 'egress', 'SCTP', 'ravenclaw', 'gryffindor', ['slytherin', 9003], ['hufflepuff', 9003]],
    ['CNPAdminTierIngressTCP', 'ingress-tcp', 3, 'ingress', 'TCP', 'gryffindor', 'ravenclaw', ['slytherin', 80], ['hufflepuff', 80]],
    ['CNPAdminTierIngressUDP', 'ingress-udp', 4, 'ingress', 'UDP', 'hufflepuff', 'ravenclaw', ['slytherin', 5353], ['gryffindor', 53]],
    ['CNPAdminTierIngressSCTP', 'ingress-sctp', 5, 'ingress', 'SCTP', 'ravenclaw', 'gryffindor', ['slytherin', 9003], ['hufflepuff', 9003]],
  ] as const
).map(([name, policy, priority, direction, protocol, subject, whole, atPort, onlyAt]) => ({
  name,
  policy,
  priority,
  direction,
  protocol,
  subject,
  whole,
  atPort,
  onlyAt,
}));
for (const c of RULE_ORDER_CASES) scenarios.push(ruleOrderScenario(c));

oneStep('CNPAdminTierEgressNamedPort', {
  title: 'the port-8080 rule rewritten as the named port "web" (TCP 80 on the server)',
  policies: [patch(ruleOrderPolicy(RULE_ORDER_CASES[0]!), (s) => void (s.egress[5] = { ...s.egress[5], protocols: [{ destinationNamedPort: 'web' }] }))],
  probes: [
    ['harry-potter-0', 'cedric-diggory-1', 'TCP', 80, ALLOW],
    ['harry-potter-1', 'cedric-diggory-1', 'TCP', 8080, DENY],
  ],
});

// CNPAdminTierGress: ingress and egress rules together, on TCP, UDP and SCTP.
{
  const ports = [tcp(80), udp(53), sctp(9003)];
  const gress = cnp(
    'gress-rules',
    'Admin',
    15,
    { namespaces: byName('gryffindor') },
    {
      egress: [
        to('allow-to-ravenclaw-everything', 'Accept', [nsPeer('ravenclaw')]),
        to('deny-to-ravenclaw-everything', 'Deny', [nsPeer('ravenclaw')]),
        to('pass-to-ravenclaw-everything', 'Pass', [nsPeer('ravenclaw')]),
        to('deny-to-slytherin-at-ports-80-53-9003', 'Deny', [nsPeer('slytherin')], ports),
        to('pass-to-slytherin-at-port-80-53-9003', 'Pass', [nsPeer('slytherin')], ports),
        to('allow-to-hufflepuff-at-ports-8080-5353-9003', 'Accept', [nsPeer('hufflepuff')], [tcp(8080), udp(5353), sctp(9003)]),
        to('deny-to-hufflepuff-everything-else', 'Deny', [nsPeer('hufflepuff')]),
      ],
      ingress: [
        from('allow-from-ravenclaw-everything', 'Accept', [nsPeer('ravenclaw')]),
        from('deny-from-ravenclaw-everything', 'Deny', [nsPeer('ravenclaw')]),
        from('pass-from-ravenclaw-everything', 'Pass', [nsPeer('ravenclaw')]),
        from('deny-from-slytherin-at-port-80-53-9003', 'Deny', [nsPeer('slytherin')], ports),
        from('pass-from-slytherin-at-port-80-53-9003', 'Pass', [nsPeer('slytherin')], ports),
        from('allow-from-hufflepuff-at-port-80-5353-9003', 'Accept', [nsPeer('hufflepuff')], [tcp(80), udp(5353), sctp(9003)]),
        from('deny-from-hufflepuff-everything-else', 'Deny', [nsPeer('hufflepuff')]),
      ],
    },
  );
  const denyFirst = patch(gress, (s) => (swap(s.egress, 0, 1), swap(s.ingress, 0, 1)));
  const passFirst = patch(denyFirst, (s) => (swap(s.egress, 0, 2), swap(s.ingress, 0, 2)));
  const portPassFirst = patch(passFirst, (s) => (swap(s.egress, 3, 4), swap(s.ingress, 3, 4)));
  const hp = ['harry-potter-0', 'harry-potter-1', 'harry-potter-0'] as const;
  scenarios.push({
    name: 'CNPAdminTierGress',
    steps: [
      {
        title: 'allow-gress across protocols, and at the specified ports',
        policies: [gress],
        probes: [
          ...threeProtocols(hp, 'luna-lovegood-0', [80, 53, 9003], ALLOW),
          ...threeProtocols(['luna-lovegood-0', 'luna-lovegood-1', 'luna-lovegood-1'], 'harry-potter-0', [80, 53, 9003], ALLOW),
          ...threeProtocols(['harry-potter-0', 'harry-potter-0', 'harry-potter-0'], 'cedric-diggory-1', [8080, 5353, 9003], ALLOW),
          ...threeProtocols(['harry-potter-1', 'harry-potter-1', 'harry-potter-1'], 'cedric-diggory-1', [80, 53, 9005], DENY),
          ...threeProtocols(['cedric-diggory-0', 'cedric-diggory-0', 'cedric-diggory-0'], 'harry-potter-1', [80, 5353, 9003], ALLOW),
          ...threeProtocols(['cedric-diggory-1', 'cedric-diggory-1', 'cedric-diggory-1'], 'harry-potter-1', [8080, 53, 9005], DENY),
        ],
      },
      {
        title: 'deny-gress across protocols: deny swapped before allow',
        policies: [denyFirst],
        probes: [
          ...threeProtocols(hp, 'luna-lovegood-1', [80, 53, 9003], DENY),
          ...threeProtocols(['luna-lovegood-0', 'luna-lovegood-1', 'luna-lovegood-1'], 'harry-potter-1', [80, 53, 9003], DENY),
          // deny-gress at the specified ports; other ports match no rule.
          ...threeProtocols(['harry-potter-0', 'harry-potter-0', 'harry-potter-0'], 'draco-malfoy-0', [80, 53, 9003], DENY),
          ...threeProtocols(['harry-potter-1', 'harry-potter-1', 'harry-potter-1'], 'draco-malfoy-0', [8080, 5353, 9005], ALLOW),
          ...threeProtocols(['draco-malfoy-0', 'draco-malfoy-0', 'draco-malfoy-0'], 'harry-potter-1', [80, 53, 9003], DENY),
          ...threeProtocols(['draco-malfoy-1', 'draco-malfoy-1', 'draco-malfoy-1'], 'harry-potter-1', [8080, 5353, 9005], ALLOW),
        ],
      },
      {
        title: 'pass-gress across protocols: pass swapped first',
        policies: [passFirst],
        probes: [
          ...threeProtocols(hp, 'luna-lovegood-0', [80, 53, 9003], ALLOW),
          ...threeProtocols(['luna-lovegood-0', 'luna-lovegood-1', 'luna-lovegood-1'], 'harry-potter-0', [80, 53, 9003], ALLOW),
        ],
      },
      {
        title: 'pass-gress at the specified ports: port pass swapped before port deny',
        policies: [portPassFirst],
        probes: [
          ...threeProtocols(['harry-potter-0', 'harry-potter-0', 'harry-potter-0'], 'draco-malfoy-0', [80, 53, 9003], ALLOW),
          ...threeProtocols(['draco-malfoy-0', 'draco-malfoy-0', 'draco-malfoy-0'], 'harry-potter-1', [80, 53, 9003], ALLOW),
        ],
      },
    ],
  });
}

// CNPAdminTierPriority: a Deny at priority 50 beats a Pass at 60; moved to 40, the Pass hands
// the flows to the Baseline tier, which accepts them.
{
  const subject = podsOf('gryffindor');
  const deny50 = cnp('priority-50-example', 'Admin', 50, subject, {
    ingress: [from('deny-all-ingress-from-slytherin', 'Deny', [podsOf('slytherin')])],
    egress: [to('deny-all-egress-to-slytherin', 'Deny', [podsOf('slytherin')])],
  });
  const pass60 = cnp('old-priority-60-new-priority-40-example', 'Admin', 60, subject, {
    ingress: [from('pass-all-ingress-from-slytherin', 'Pass', [podsOf('slytherin')])],
    egress: [to('pass-all-egress-to-slytherin', 'Pass', [podsOf('slytherin')])],
  });
  const baseline = cnp('default', 'Baseline', 10, subject, {
    ingress: [from('allow-all-ingress-from-slytherin', 'Accept', [podsOf('slytherin')])],
    egress: [to('allow-all-egress-to-slytherin', 'Accept', [podsOf('slytherin')])],
  });
  const both = (ok: boolean): Probe[] => [
    ['draco-malfoy-0', 'harry-potter-0', 'TCP', 80, ok],
    ['draco-malfoy-1', 'harry-potter-0', 'TCP', 8080, ok],
    ['harry-potter-0', 'draco-malfoy-0', 'TCP', 80, ok],
    ['harry-potter-1', 'draco-malfoy-0', 'TCP', 8080, ok],
  ];
  scenarios.push({
    name: 'CNPAdminTierPriority',
    steps: [
      { title: 'the priority-50 Deny decides', policies: [deny50, pass60, baseline], probes: both(DENY) },
      {
        title: 'the Pass moved to priority 40 hands over to the Baseline Accept',
        policies: [deny50, patch(pass60, (s) => void (s.priority = 40)), baseline],
        probes: both(ALLOW),
      },
    ],
  });
}

// CNPAdminTierSamePriority and CNPBaselineTierSamePriority: three policies at one priority are
// all applied, and none's rules reach another's subject.
for (const [tier, priority, prefix] of [
  ['Admin', 15, ''],
  ['Baseline', 10, 'baseline-'],
] as const) {
  const denyAt = (name: string, subject: string, peer: string, port: number): Obj =>
    cnp(
      prefix + name,
      tier,
      priority,
      { namespaces: byName(subject) },
      {
        ingress: [from(`deny-from-${peer}-at-port-${port}`, 'Deny', [nsPeer(peer)], [tcp(port)])],
        egress: [to(`deny-to-${peer}-at-port-${port}`, 'Deny', [nsPeer(peer)], [tcp(port)])],
      },
    );
  scenarios.push({
    name: `CNP${tier}TierSamePriority`,
    steps: [
      {
        title: 'each same-priority policy denies both ways; none bleeds onto another subject; others untouched',
        policies: [
          denyAt('same-priority-gryffindor-slytherin', 'gryffindor', 'slytherin', 80),
          denyAt('same-priority-gryffindor-hufflepuff', 'gryffindor', 'hufflepuff', 80),
          denyAt('same-priority-hufflepuff-slytherin', 'hufflepuff', 'slytherin', 8080),
        ],
        probes: [
          ['draco-malfoy-0', 'harry-potter-0', 'TCP', 80, DENY],
          ['harry-potter-0', 'draco-malfoy-0', 'TCP', 80, DENY],
          ['cedric-diggory-0', 'harry-potter-0', 'TCP', 80, DENY],
          ['harry-potter-1', 'cedric-diggory-0', 'TCP', 80, DENY],
          ['draco-malfoy-1', 'cedric-diggory-0', 'TCP', 8080, DENY],
          ['cedric-diggory-1', 'draco-malfoy-0', 'TCP', 8080, DENY],
          ['draco-malfoy-0', 'harry-potter-0', 'TCP', 8080, ALLOW],
          ['harry-potter-0', 'draco-malfoy-0', 'TCP', 8080, ALLOW],
          ['draco-malfoy-1', 'cedric-diggory-0', 'TCP', 80, ALLOW],
          ['cedric-diggory-0', 'draco-malfoy-0', 'TCP', 80, ALLOW],
          ['luna-lovegood-0', 'harry-potter-0', 'TCP', 80, ALLOW],
          ['harry-potter-1', 'luna-lovegood-0', 'TCP', 80, ALLOW],
        ],
      },
    ],
  });
}

// CNPAdminTierIntegration (v1alpha2) and the v1alpha1 ANP + NetworkPolicy + BANP original: an
// Admin Deny; turned into Pass, the NetworkPolicy's allow decides; without the
// NetworkPolicy, the Baseline Deny does.
{
  const np: Obj = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: 'allow-gress-from-to-slytherin-to-gryffindor', namespace: nsName('gryffindor') },
    spec: {
      podSelector: {},
      policyTypes: ['Ingress', 'Egress'],
      ingress: [{ from: [{ namespaceSelector: byHouse('slytherin') }] }],
      egress: [{ to: [{ namespaceSelector: byHouse('slytherin') }] }],
    },
  };
  const house = { namespaces: byHouse('gryffindor') };
  const slytherin = [{ namespaces: byHouse('slytherin') }];
  const admin = cnp('pass-example', 'Admin', 10, house, {
    ingress: [from('deny-all-ingress-from-slytherin', 'Deny', slytherin)],
    egress: [to('deny-all-egress-to-slytherin', 'Deny', slytherin)],
  });
  const baseline = cnp('default', 'Baseline', 10, house, {
    ingress: [from('deny-all-ingress-from-slytherin', 'Deny', slytherin)],
    egress: [to('deny-all-egress-to-slytherin', 'Deny', slytherin)],
  });
  const anp: Obj = {
    apiVersion: 'policy.networking.k8s.io/v1alpha1',
    kind: 'AdminNetworkPolicy',
    metadata: { name: 'pass-example' },
    spec: {
      priority: 10,
      subject: house,
      ingress: [from('deny-all-ingress-from-slytherin', 'Deny', slytherin)],
      egress: [to('deny-all-egress-to-slytherin', 'Deny', slytherin)],
    },
  };
  const banp: Obj = {
    apiVersion: 'policy.networking.k8s.io/v1alpha1',
    kind: 'BaselineAdminNetworkPolicy',
    metadata: { name: 'default' },
    spec: {
      subject: house,
      ingress: [from('deny-all-ingress-from-slytherin', 'Deny', slytherin)],
      egress: [to('deny-all-egress-to-slytherin', 'Deny', slytherin)],
    },
  };
  const integration = (name: string, a: Obj, b: Obj): Scenario => {
    const ingressPass = patch(a, (s) => void (s.ingress[0] = { ...s.ingress[0], action: 'Pass' }));
    const bothPass = patch(ingressPass, (s) => void (s.egress[0] = { ...s.egress[0], action: 'Pass' }));
    const into = (ok: boolean): Probe[] => [
      ['draco-malfoy-0', 'harry-potter-0', 'TCP', 80, ok],
      ['draco-malfoy-1', 'harry-potter-0', 'TCP', 8080, ok],
    ];
    const out = (ok: boolean): Probe[] => [
      ['harry-potter-0', 'draco-malfoy-0', 'TCP', 80, ok],
      ['harry-potter-1', 'draco-malfoy-0', 'TCP', 8080, ok],
    ];
    return {
      name,
      steps: [
        { title: 'the Admin Deny decides both ways', policies: [a, np, b], probes: [...into(DENY), ...out(DENY)] },
        { title: 'ingress rule turned to Pass: the NetworkPolicy allows', policies: [ingressPass, np, b], probes: into(ALLOW) },
        { title: 'egress rule turned to Pass: the NetworkPolicy allows', policies: [bothPass, np, b], probes: out(ALLOW) },
        { title: 'the NetworkPolicy deleted: the Baseline Deny decides', policies: [bothPass, b], probes: [...into(DENY), ...out(DENY)] },
      ],
    };
  };
  scenarios.push(integration('CNPAdminTierIntegration', admin, baseline));
  scenarios.push(integration('AdminNetworkPolicyIntegration (v1alpha1)', anp, banp));
}

// CNPAdminTierEgressInlineCIDRPeers: `networks` match pods too; an Accept for two pod IPs
// inserted first opens exactly those.
{
  const inline = cnp('inline-cidr-as-peers-example', 'Admin', 85, podsOf('gryffindor'), {
    egress: [to('allow-egress-to-slytherin', 'Accept', [podsOf('slytherin')]), to('deny-egress-to-internet', 'Deny', [{ networks: ['0.0.0.0/0', '::/0'] }])],
  });
  const withPodIPs = patch(
    inline,
    (s) =>
      void s.egress.unshift(
        to('allow-egress-to-specific-podIPs', 'Accept', [{ networks: [`${IPS.get('luna-lovegood-0')}/32`, `${IPS.get('cedric-diggory-0')}/32`] }]),
      ),
  );
  const hp1 = ['harry-potter-1', 'harry-potter-1', 'harry-potter-1'] as const;
  scenarios.push({
    name: 'CNPAdminTierEgressInlineCIDRPeers',
    steps: [
      {
        title: 'deny to 0.0.0.0/0 reaches pods; the slytherin Accept comes first',
        policies: [inline],
        probes: [
          ...threeProtocols(hp1, 'luna-lovegood-0', [80, 53, 9003], DENY),
          ...threeProtocols(hp1, 'cedric-diggory-0', [80, 53, 9003], DENY),
          ...threeProtocols(hp1, 'draco-malfoy-0', [80, 53, 9003], ALLOW),
        ],
      },
      {
        title: 'an Accept for two pod IPs inserted first',
        policies: [withPodIPs],
        probes: [
          ...threeProtocols(hp1, 'luna-lovegood-0', [80, 53, 9003], ALLOW),
          ...threeProtocols(hp1, 'cedric-diggory-0', [80, 53, 9003], ALLOW),
          ...threeProtocols(hp1, 'luna-lovegood-1', [80, 53, 9003], DENY),
          ...threeProtocols(hp1, 'cedric-diggory-1', [80, 53, 9003], DENY),
        ],
      },
    ],
  });
}

// CNPAdminTierEgressNodePeers: `nodes` peers match host-network pods' (the nodes') addresses.
oneStep('CNPAdminTierEgressNodePeers', {
  title: 'Accept and Pass to nodes at their ports, Deny to the rest of the nodes',
  policies: [
    cnp('node-and-cidr-as-peers-example', 'Admin', 75, podsOf('gryffindor'), {
      egress: [
        to(`allow-egress-to-${HOST_PORTS[0]}-on-nodes`, 'Accept', [{ nodes: { matchLabels: { 'kubernetes.io/os': 'linux' } } }], [tcp(HOST_PORTS[0])]),
        to(`pass-egress-to-${HOST_PORTS[2]}-on-nodes`, 'Pass', [{ nodes: { matchLabels: { 'kubernetes.io/os': 'linux' } } }], [udp(HOST_PORTS[2])]),
        to('deny-egress-to-slytherin-and-nodes-and-internet', 'Deny', [
          podsOf('slytherin'),
          { nodes: { matchLabels: { 'kubernetes.io/os': 'linux' } } },
          { networks: ['0.0.0.0/0', '::/0'] },
        ]),
      ],
    }),
  ],
  probes: [
    ['harry-potter-1', 'centaur-1', 'TCP', HOST_PORTS[0], ALLOW],
    ['harry-potter-1', 'centaur-1', 'UDP', HOST_PORTS[2], ALLOW],
    ['harry-potter-1', 'centaur-1', 'TCP', HOST_PORTS[1], DENY],
    ['harry-potter-1', 'centaur-1', 'UDP', HOST_PORTS[4], DENY],
    ['harry-potter-1', 'centaur-1', 'SCTP', HOST_PORTS[6], DENY],
  ],
});

// CNPBaselineTierEgressNodePeers: a port range to the nodes accepted, the rest of the nodes and
// the internet denied.
oneStep('CNPBaselineTierEgressNodePeers', {
  title: 'the node port range accepted, ends included; other node ports denied',
  policies: [
    cnp(
      'default',
      'Baseline',
      10,
      { namespaces: byName('gryffindor') },
      {
        egress: [
          to(
            `allow-egress-to-${HOST_PORTS[0]}-on-nodes`,
            'Accept',
            [{ nodes: { matchLabels: { 'kubernetes.io/os': 'linux' } } }],
            [range('tcp', HOST_PORTS[0], HOST_PORTS[1])],
          ),
          to('deny-egress-to-nodes-and-internet', 'Deny', [{ nodes: { matchLabels: { 'kubernetes.io/os': 'linux' } } }, { networks: ['0.0.0.0/0', '::/0'] }]),
        ],
      },
    ),
  ],
  probes: [
    ['harry-potter-1', 'centaur-1', 'TCP', HOST_PORTS[0], ALLOW],
    ['harry-potter-0', 'centaur-0', 'TCP', HOST_PORTS[1], ALLOW],
    ['harry-potter-1', 'centaur-1', 'UDP', HOST_PORTS[2], DENY],
    ['harry-potter-1', 'centaur-0', 'TCP', HOST_PORTS[3], DENY],
    ['harry-potter-0', 'luna-lovegood-0', 'TCP', 80, DENY],
  ],
});

// CNPAdminTierPodSelector: pod selectors in the subject and peers, alone (namespaceSelector
// omitted: every namespace) and with a namespace selector.
oneStep('CNPAdminTierPodSelector', {
  title: 'pod selectors in egress and ingress peers and in the subject',
  policies: [
    cnp(
      'pod-selector-rules',
      'Admin',
      20,
      { pods: { podSelector: byHouse('gryffindor') } },
      {
        egress: [
          to('deny-to-ravenclaw-pods', 'Deny', [{ pods: { podSelector: byHouse('ravenclaw') } }]),
          to('deny-to-cedric-diggory-0', 'Deny', [
            { pods: { namespaceSelector: byHouse('hufflepuff'), podSelector: { matchLabels: { 'statefulset.kubernetes.io/pod-name': 'cedric-diggory-0' } } } },
          ]),
        ],
        ingress: [
          from('deny-from-slytherin-pods', 'Deny', [{ pods: { podSelector: byHouse('slytherin') } }]),
          from('deny-from-cedric-diggory-0', 'Deny', [
            { pods: { namespaceSelector: byHouse('hufflepuff'), podSelector: { matchLabels: { 'statefulset.kubernetes.io/pod-name': 'cedric-diggory-0' } } } },
          ]),
        ],
      },
    ),
    cnp(
      'pod-name-subject-rules',
      'Admin',
      21,
      { pods: { namespaceSelector: byHouse('ravenclaw'), podSelector: { matchLabels: { 'statefulset.kubernetes.io/pod-name': 'luna-lovegood-0' } } } },
      {
        egress: [to('deny-to-slytherin', 'Deny', [nsPeer('slytherin')])],
      },
    ),
  ],
  probes: [
    ['harry-potter-0', 'luna-lovegood-0', 'TCP', 80, DENY],
    ['harry-potter-0', 'cedric-diggory-0', 'TCP', 80, DENY],
    ['harry-potter-0', 'cedric-diggory-1', 'TCP', 80, ALLOW],
    ['draco-malfoy-0', 'harry-potter-0', 'TCP', 80, DENY],
    ['cedric-diggory-0', 'harry-potter-0', 'TCP', 80, DENY],
    ['cedric-diggory-1', 'harry-potter-0', 'TCP', 80, ALLOW],
    ['draco-malfoy-0', 'cedric-diggory-0', 'TCP', 80, ALLOW],
    ['luna-lovegood-0', 'draco-malfoy-0', 'TCP', 80, DENY],
    ['luna-lovegood-1', 'draco-malfoy-0', 'TCP', 80, ALLOW],
  ],
});

// CNPAdminTierGressOmittedNamespaceSelector (base/admin_tier/standard-gress-omitted-namespaceselector.yaml):
// a `pods` peer without namespaceSelector selects pods of every namespace.
oneStep('CNPAdminTierGressOmittedNamespaceSelector', {
  title: 'pods with the house label are denied from every namespace; a pod without it is not',
  policies: [
    cnp(
      'gress-omitted-namespaceselector',
      'Admin',
      3,
      { namespaces: byName('durmstrang') },
      {
        ingress: [
          from('deny-from-all-conformance-pods', 'Deny', [{ pods: { podSelector: { matchExpressions: [{ key: 'conformance-house', operator: 'Exists' }] } } }]),
        ],
      },
    ),
  ],
  probes: [
    ['harry-potter-0', 'viktor-krum-0', 'TCP', 80, DENY],
    ['draco-malfoy-1', 'viktor-krum-0', 'TCP', 8080, DENY],
    ['viktor-krum-0', 'igor-karkaroff-0', 'TCP', 80, DENY],
    ['igor-karkaroff-0', 'viktor-krum-0', 'TCP', 80, ALLOW],
  ],
});

// CNPAdminTierHairpin: upstream's optional Hairpin feature expects a pod reaching its own
// Service to be denied by an ingress Deny from its namespace. After DNAT the flow goes to a
// backend: the other pod (denied, as upstream expects) or the pod itself, which netpol's
// contract exempts from every tier (hairpin: a pod to its own IP), so it is allowed.
oneStep('CNPAdminTierHairpin', {
  title: 'the Service backend that is another pod is denied; the pod itself is exempt (netpol contract)',
  policies: [
    cnp(
      'hairpin-ingress-deny',
      'Admin',
      15,
      { namespaces: byName('gryffindor') },
      {
        ingress: [from('deny-gryffindor-ingress', 'Deny', [nsPeer('gryffindor')])],
      },
    ),
  ],
  probes: [
    ['harry-potter-0', 'harry-potter-1', 'TCP', 80, DENY],
    ['harry-potter-0', 'harry-potter-0', 'TCP', 80, ALLOW],
  ],
});

// CNPAdminTierIngressRulesEgressUnaffected / CNPAdminTierEgressRulesIngressUnaffected: a
// policy with rules in one direction only leaves the other alone.
oneStep('CNPAdminTierIngressRulesEgressUnaffected', {
  title: 'ingress from slytherin denied; the subject still egresses',
  policies: [
    cnp(
      'admin-ingress-isolation',
      'Admin',
      20,
      { namespaces: byName('gryffindor') },
      { ingress: [from('deny-from-slytherin', 'Deny', [nsPeer('slytherin')])] },
    ),
  ],
  probes: [
    ['draco-malfoy-0', 'harry-potter-0', 'TCP', 80, DENY],
    ['harry-potter-0', 'luna-lovegood-0', 'TCP', 80, ALLOW],
    ['harry-potter-0', 'cedric-diggory-0', 'TCP', 80, ALLOW],
  ],
});
oneStep('CNPAdminTierEgressRulesIngressUnaffected', {
  title: 'egress to slytherin denied; the subject is still reachable',
  policies: [
    cnp('admin-egress-isolation', 'Admin', 20, { namespaces: byName('gryffindor') }, { egress: [to('deny-to-slytherin', 'Deny', [nsPeer('slytherin')])] }),
  ],
  probes: [
    ['harry-potter-0', 'draco-malfoy-0', 'TCP', 80, DENY],
    ['luna-lovegood-0', 'harry-potter-0', 'TCP', 80, ALLOW],
    ['cedric-diggory-0', 'harry-potter-0', 'TCP', 80, ALLOW],
  ],
});

// CNPAdminTierPortRange / CNPBaselineTierPortRange: port ranges per protocol before a deny-all.
for (const tier of ['Admin', 'Baseline'] as const) {
  const exists = [{ namespaces: { matchExpressions: [{ key: 'conformance-house', operator: 'Exists' }] } }];
  scenarios.push({
    name: `CNP${tier}TierPortRange`,
    steps: [
      {
        title: 'inside each range allowed, the range ends included; other protocols and ports denied',
        policies: [
          cnp(
            'port-range-rules',
            tier,
            9,
            { namespaces: byName('gryffindor') },
            {
              egress: [
                to('allow-to-ravenclaw-tcp-port-range', 'Accept', [nsPeer('ravenclaw')], [range('tcp', 80, 8080)]),
                to('allow-to-hufflepuff-udp-port-range', 'Accept', [nsPeer('hufflepuff')], [range('udp', 53, 5353)]),
                to('allow-to-slytherin-sctp-port-range', 'Accept', [nsPeer('slytherin')], [range('sctp', 9003, 9005)]),
                to('deny-all-egress', 'Deny', exists),
              ],
              ingress: [
                from('allow-from-ravenclaw-tcp-port-range', 'Accept', [nsPeer('ravenclaw')], [range('tcp', 80, 8080)]),
                from('allow-from-hufflepuff-udp-port-range', 'Accept', [nsPeer('hufflepuff')], [range('udp', 53, 5353)]),
                from('allow-from-slytherin-sctp-port-range', 'Accept', [nsPeer('slytherin')], [range('sctp', 9003, 9005)]),
                from('deny-all-ingress', 'Deny', exists),
              ],
            },
          ),
        ],
        probes: [
          ['harry-potter-0', 'luna-lovegood-0', 'TCP', 80, ALLOW],
          ['harry-potter-0', 'luna-lovegood-0', 'TCP', 8080, ALLOW],
          ['harry-potter-0', 'luna-lovegood-0', 'UDP', 53, DENY],
          ['harry-potter-1', 'cedric-diggory-0', 'UDP', 53, ALLOW],
          ['harry-potter-1', 'cedric-diggory-0', 'UDP', 5353, ALLOW],
          ['harry-potter-1', 'cedric-diggory-0', 'TCP', 80, DENY],
          ['harry-potter-0', 'draco-malfoy-1', 'SCTP', 9003, ALLOW],
          ['harry-potter-0', 'draco-malfoy-1', 'SCTP', 9005, ALLOW],
          ['harry-potter-0', 'draco-malfoy-1', 'TCP', 8080, DENY],
          ['luna-lovegood-1', 'harry-potter-0', 'TCP', 8080, ALLOW],
          ['luna-lovegood-1', 'harry-potter-0', 'SCTP', 9003, DENY],
          ['cedric-diggory-1', 'harry-potter-1', 'UDP', 5353, ALLOW],
          ['cedric-diggory-1', 'harry-potter-1', 'TCP', 8080, DENY],
          ['draco-malfoy-0', 'harry-potter-1', 'SCTP', 9005, ALLOW],
          ['draco-malfoy-0', 'harry-potter-1', 'UDP', 53, DENY],
        ],
      },
    ],
  });
}

// CNPBaselineTierGress and its v1alpha1 original (BANP): the Baseline tier's rules in order;
// no NetworkPolicy selects the pods, so they decide.
{
  const ports = [tcp(80), udp(53), sctp(9003)];
  const egress = [
    to('allow-to-ravenclaw-everything', 'Accept', [nsPeer('ravenclaw')]),
    to('deny-to-ravenclaw-everything', 'Deny', [nsPeer('ravenclaw')]),
    to('deny-to-slytherin-at-ports-80-53-9003', 'Deny', [nsPeer('slytherin')], ports),
    to('allow-to-hufflepuff-at-ports-8080-5353', 'Accept', [nsPeer('hufflepuff')], [tcp(8080), udp(5353), sctp(9003)]),
    to('deny-to-hufflepuff-everything-else', 'Deny', [nsPeer('hufflepuff')]),
  ];
  const ingress = [
    from('allow-from-ravenclaw-everything', 'Accept', [nsPeer('ravenclaw')]),
    from('deny-from-ravenclaw-everything', 'Deny', [nsPeer('ravenclaw')]),
    from('deny-from-slytherin-at-port-80-53-9003', 'Deny', [nsPeer('slytherin')], ports),
    from('allow-from-hufflepuff-at-port-80-5353-9003', 'Accept', [nsPeer('hufflepuff')], [tcp(80), udp(5353), sctp(9003)]),
    from('deny-from-hufflepuff-everything-else', 'Deny', [nsPeer('hufflepuff')]),
  ];
  const baseline = cnp('default', 'Baseline', 10, { namespaces: byName('gryffindor') }, { egress, ingress });
  /** v1alpha1: Allow for Accept, `ports` with portNumber entries for `protocols`. */
  const v1alpha1Rule = (r: Obj): Obj => {
    const { protocols, action, ...rest } = r as { protocols?: Obj[]; action: string };
    const ports = protocols?.map((p) => {
      const [protocol, spec] = Object.entries(p)[0]! as [string, { destinationPort: { number: number } }];
      return { portNumber: { protocol: protocol.toUpperCase(), port: spec.destinationPort.number } };
    });
    return { ...rest, action: action === 'Accept' ? 'Allow' : action, ...(ports && { ports }) };
  };
  const banp: Obj = {
    apiVersion: 'policy.networking.k8s.io/v1alpha1',
    kind: 'BaselineAdminNetworkPolicy',
    metadata: { name: 'default' },
    spec: { subject: { namespaces: byName('gryffindor') }, egress: egress.map(v1alpha1Rule), ingress: ingress.map(v1alpha1Rule) },
  };
  const steps = (policy: Obj): Step[] => [
    {
      title: 'allow before deny; the port rules decide per port',
      policies: [policy],
      probes: [
        ...threeProtocols(['harry-potter-0', 'harry-potter-1', 'harry-potter-0'], 'luna-lovegood-0', [80, 53, 9003], ALLOW),
        ...threeProtocols(['luna-lovegood-0', 'luna-lovegood-1', 'luna-lovegood-1'], 'harry-potter-0', [80, 53, 9003], ALLOW),
        ...threeProtocols(['harry-potter-0', 'harry-potter-0', 'harry-potter-0'], 'cedric-diggory-1', [8080, 5353, 9003], ALLOW),
        ...threeProtocols(['harry-potter-1', 'harry-potter-1', 'harry-potter-1'], 'cedric-diggory-1', [80, 53, 9005], DENY),
        ...threeProtocols(['cedric-diggory-0', 'cedric-diggory-0', 'cedric-diggory-0'], 'harry-potter-1', [80, 5353, 9003], ALLOW),
        ...threeProtocols(['cedric-diggory-1', 'cedric-diggory-1', 'cedric-diggory-1'], 'harry-potter-1', [8080, 53, 9005], DENY),
        ...threeProtocols(['harry-potter-0', 'harry-potter-0', 'harry-potter-0'], 'draco-malfoy-0', [80, 53, 9003], DENY),
        ...threeProtocols(['harry-potter-1', 'harry-potter-1', 'harry-potter-1'], 'draco-malfoy-0', [8080, 5353, 9005], ALLOW),
        ...threeProtocols(['draco-malfoy-0', 'draco-malfoy-0', 'draco-malfoy-0'], 'harry-potter-1', [80, 53, 9003], DENY),
        ...threeProtocols(['draco-malfoy-1', 'draco-malfoy-1', 'draco-malfoy-1'], 'harry-potter-1', [8080, 5353, 9005], ALLOW),
      ],
    },
    {
      title: 'deny swapped before allow',
      policies: [patch(policy, (s) => (swap(s.egress, 0, 1), swap(s.ingress, 0, 1)))],
      probes: [
        ...threeProtocols(['harry-potter-0', 'harry-potter-1', 'harry-potter-0'], 'luna-lovegood-1', [80, 53, 9003], DENY),
        ...threeProtocols(['luna-lovegood-0', 'luna-lovegood-1', 'luna-lovegood-1'], 'harry-potter-1', [80, 53, 9003], DENY),
      ],
    },
  ];
  scenarios.push({ name: 'CNPBaselineTierGress', steps: steps(baseline) });
  scenarios.push({ name: 'BaselineAdminNetworkPolicyGress (v1alpha1)', steps: steps(banp) });
}

// CNPBaselineTierEgressInlineCIDRPeers: as the Admin one, in the Baseline tier.
oneStep('CNPBaselineTierEgressInlineCIDRPeers', {
  title: 'deny to 0.0.0.0/0 reaches pods; the slytherin Accept comes first',
  policies: [
    cnp('default', 'Baseline', 10, podsOf('gryffindor'), {
      egress: [to('allow-egress-to-slytherin', 'Accept', [podsOf('slytherin')]), to('deny-egress-to-internet', 'Deny', [{ networks: ['0.0.0.0/0', '::/0'] }])],
    }),
  ],
  probes: [
    ...threeProtocols(['harry-potter-1', 'harry-potter-1', 'harry-potter-1'], 'luna-lovegood-0', [80, 53, 9003], DENY),
    ...threeProtocols(['harry-potter-1', 'harry-potter-1', 'harry-potter-1'], 'draco-malfoy-0', [80, 53, 9003], ALLOW),
  ],
});

// ------------------------------------------------------------------------------------------
// Running them

function probeFlow([client, server, protocol, port]: Probe): Flow {
  return flow(IPS.get(client)!, IPS.get(server)!, protocol, port);
}

describe('the base setup', () => {
  test('every pod name a probe uses exists, and every scenario has probes both ways', () => {
    for (const s of scenarios) {
      const probes = s.steps.flatMap((st) => st.probes);
      for (const p of probes) expect([p[0], p[1]].filter((pod) => !IPS.has(pod))).toEqual([]);
      expect(probes.length).toBeGreaterThan(0);
    }
    const expected = scenarios.flatMap((s) => s.steps.flatMap((st) => st.probes.map((p) => p[4])));
    expect(expected.filter((ok) => ok).length).toBeGreaterThan(20);
    expect(expected.filter((ok) => !ok).length).toBeGreaterThan(20);
  });
});

describeEach(ENGINES, 'network-policy-api conformance', (engine) => {
  for (const scenario of scenarios) {
    describe(scenario.name, () => {
      scenario.steps.forEach((step, i) => {
        test(`step ${i + 1}: ${step.title}`, () => {
          const built = engine.build([...base, ...step.policies]);
          const got = step.probes.map((p) => `${p[0]} -> ${p[1]} ${p[2]}/${p[3]}: ${built.verdict(probeFlow(p)).allowed ? 'ALLOW' : 'DENY'}`);
          const want = step.probes.map((p) => `${p[0]} -> ${p[1]} ${p[2]}/${p[3]}: ${p[4] ? 'ALLOW' : 'DENY'}`);
          expect(got).toEqual(want);
        });
      });
    });
  }
});
