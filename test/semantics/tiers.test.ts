// Cluster-scoped tiers (ClusterNetworkPolicy, AdminNetworkPolicy, BaselineAdminNetworkPolicy): every
// rule of the "Evaluation" section of the cluster-policies spec, and the lead's contract
// decisions (steps, decisions, clusterRules, ties), on every engine of TIER_ENGINES.
import { expect, test } from 'vitest';
import type { Cluster, ClusterPolicy, EvaluationOptions, Flow, NetworkPolicy, StepKind } from '@netpol/core';
import { flow } from '../helpers.js';
import {
  anp,
  banp,
  cnp,
  describeTiers,
  domainsPeer,
  inNamespaces,
  namedPort,
  namespace,
  namespacesPeer,
  netpol,
  networksPeer,
  nodeOf,
  nodesPeer,
  podOf,
  podsOf,
  podsPeer,
  rule,
  tcp,
  TIER_ENGINES,
  udp,
  unknownPeer,
  type TierEngine,
} from './tier-fixtures.js';

const WEB = '10.0.1.1'; // prod/web app=web, on n1, port http 8080
const DB = '10.0.1.2'; // prod/db app=db, on n2, port pg 5432, init-container port metrics 9090
const CLIENT = '10.0.2.1'; // dev/client app=client, on n1
const DNS = '10.0.3.1'; // kube-system/dns app=dns, on n2, port dns UDP 53
const N1 = '192.168.0.1'; // node n1 role=worker; also kube-system/agent (hostNetwork) on n1
const N2 = '192.168.0.2'; // node n2 role=control
const EXTERNAL = '203.0.113.5';
const WEB6 = 'fd00::1:1'; // prod/web's second address
const DB6 = 'fd00::1:2';

const PROD = { env: 'prod' };
const DEV = { env: 'dev' };
const SYSTEM = { tier: 'system' };

function world(clusterPolicies: ClusterPolicy[], policies: NetworkPolicy[] = [], extra: Partial<Cluster> = {}): Cluster {
  return {
    namespaces: [namespace('prod', PROD), namespace('dev', DEV), namespace('kube-system', SYSTEM)],
    nodes: [nodeOf('n1', N1, { role: 'worker' }), nodeOf('n2', N2, { role: 'control' })],
    pods: [
      podOf('prod', 'web', `${WEB},${WEB6}`, { labels: { app: 'web' }, node: 'n1', ports: [['http', 8080]] }),
      podOf('prod', 'db', `${DB},${DB6}`, {
        labels: { app: 'db' },
        node: 'n2',
        ports: [
          ['pg', 5432],
          ['metrics', 9090, 'TCP', true],
        ],
      }),
      podOf('dev', 'client', CLIENT, { labels: { app: 'client' }, node: 'n1' }),
      podOf('kube-system', 'dns', DNS, { labels: { app: 'dns' }, node: 'n2', ports: [['dns', 53, 'UDP']] }),
      podOf('kube-system', 'agent', N1, { labels: { app: 'agent' }, node: 'n1', hostNetwork: true }),
    ],
    policies,
    clusterPolicies,
    ...extra,
  };
}

const build = (engine: TierEngine, cps: ClusterPolicy[], nps: NetworkPolicy[] = [], options: EvaluationOptions = {}) => engine.build(world(cps, nps), options);

/** `allowed egress/ingress` in one string, so rows stay readable. */
const v = (e: ReturnType<typeof build>, f: Flow): string => {
  const r = e.verdict(f);
  return `${r.allowed ? 'ALLOW' : 'DENY'} ${r.egress}/${r.ingress}`;
};

const ALL = inNamespaces();

/**
 * The engines built from the Cluster object itself. The live ones are fed manifests, which can
 * carry neither a peer netpol does not know (strict validation refuses it) nor a record of
 * ignored objects (the loader's, not the dataplane's).
 */
const FROM_CLUSTER = TIER_ENGINES.filter((e) => !e.name.startsWith('live'));
const denyAllEgress = (name: string, tier: 'Admin' | 'Baseline', priority: number) =>
  cnp(name, tier, priority, ALL, { egress: [rule('Deny', [networksPeer('0.0.0.0/0', '::/0')])] });

describeTiers(TIER_ENGINES, 'tier order: Admin, then NetworkPolicy, then Baseline', (engine) => {
  const npAllowsAll = netpol('prod', 'allow-all-in', {}, { ingress: [{}] });
  const npDeniesAll = netpol('prod', 'deny-in', {}, { ingress: [] });
  const adminIn = (action: 'Accept' | 'Deny') => cnp('admin', 'Admin', 10, inNamespaces(PROD), { ingress: [rule(action, [namespacesPeer(DEV)])] });
  const baselineIn = (action: 'Accept' | 'Deny') => cnp('baseline', 'Baseline', 10, inNamespaces(PROD), { ingress: [rule(action, [namespacesPeer(DEV)])] });

  test('an Admin Deny beats a NetworkPolicy that allows', () => {
    expect(v(build(engine, [adminIn('Deny')], [npAllowsAll]), flow(CLIENT, WEB, 'TCP', 80))).toBe('DENY not-isolated/admin-denied');
  });
  test('an Admin Accept beats a NetworkPolicy that isolates and denies', () => {
    expect(v(build(engine, [adminIn('Accept')], [npDeniesAll]), flow(CLIENT, WEB, 'TCP', 80))).toBe('ALLOW not-isolated/admin-allowed');
  });
  test('a NetworkPolicy that isolates decides before the Baseline tier, both ways', () => {
    expect(v(build(engine, [baselineIn('Deny')], [npAllowsAll]), flow(CLIENT, WEB, 'TCP', 80))).toBe('ALLOW not-isolated/allowed');
    expect(v(build(engine, [baselineIn('Accept')], [npDeniesAll]), flow(CLIENT, WEB, 'TCP', 80))).toBe('DENY not-isolated/denied');
  });
  test('the Baseline tier decides for a pod no NetworkPolicy isolates', () => {
    expect(v(build(engine, [baselineIn('Deny')]), flow(CLIENT, WEB, 'TCP', 80))).toBe('DENY not-isolated/baseline-denied');
    expect(v(build(engine, [baselineIn('Accept')]), flow(CLIENT, WEB, 'TCP', 80))).toBe('ALLOW not-isolated/baseline-allowed');
  });
  test('nothing decided: allowed (not-isolated), also when the tiers select the pod but no rule matches', () => {
    const e = build(engine, [adminIn('Deny'), baselineIn('Deny')]);
    expect(v(e, flow(DB, WEB, 'TCP', 80))).toBe('ALLOW not-isolated/not-isolated');
  });
  test("each direction on its own: an Admin egress Accept does not open the destination's ingress", () => {
    const e = build(engine, [cnp('open-egress', 'Admin', 1, inNamespaces(DEV), { egress: [rule('Accept', [namespacesPeer()])] }), baselineIn('Deny')]);
    expect(v(e, flow(CLIENT, WEB, 'TCP', 80))).toBe('DENY admin-allowed/baseline-denied');
  });
  test('the Admin tier is asked for egress on the source, ingress on the destination', () => {
    const e = build(engine, [cnp('prod-out', 'Admin', 1, inNamespaces(PROD), { egress: [rule('Deny', [namespacesPeer(DEV)])] })]);
    expect(v(e, flow(WEB, CLIENT, 'TCP', 80))).toBe('DENY admin-denied/not-isolated');
    expect(v(e, flow(CLIENT, WEB, 'TCP', 80))).toBe('ALLOW not-isolated/not-isolated');
  });
  test('the BaselineAdminNetworkPolicy comes after every Baseline ClusterNetworkPolicy, whatever their priorities', () => {
    const late = cnp('late', 'Baseline', 1000, inNamespaces(PROD), { ingress: [rule('Accept', [namespacesPeer(DEV)])] });
    const b = banp(inNamespaces(PROD), { ingress: [rule('Deny', [namespacesPeer()])] });
    expect(v(build(engine, [b, late]), flow(CLIENT, WEB, 'TCP', 80))).toBe('ALLOW not-isolated/baseline-allowed');
    expect(v(build(engine, [b, late]), flow(DB, WEB, 'TCP', 80))).toBe('DENY not-isolated/baseline-denied');
  });
  test('an AdminNetworkPolicy is an Admin-tier policy (Allow loaded as Accept)', () => {
    const e = build(engine, [anp('guard', 5, inNamespaces(PROD), { ingress: [rule('Accept', [namespacesPeer(DEV)])] })], [npDeniesAll]);
    expect(v(e, flow(CLIENT, WEB, 'TCP', 80))).toBe('ALLOW not-isolated/admin-allowed');
  });
  test('verdict.allowed is false for admin-denied and baseline-denied alike', () => {
    expect(build(engine, [adminIn('Deny')]).verdict(flow(CLIENT, WEB, 'TCP', 80)).allowed).toBe(false);
    expect(build(engine, [baselineIn('Deny')]).verdict(flow(CLIENT, WEB, 'TCP', 80)).allowed).toBe(false);
  });
});

describeTiers(TIER_ENGINES, 'priorities and rule order', (engine) => {
  const accept = (name: string, priority: number) => cnp(name, 'Admin', priority, inNamespaces(PROD), { ingress: [rule('Accept', [namespacesPeer(DEV)])] });
  const deny = (name: string, priority: number) => cnp(name, 'Admin', priority, inNamespaces(PROD), { ingress: [rule('Deny', [namespacesPeer(DEV)])] });

  test('ascending priority: the lower number decides, in whatever order the policies are listed', () => {
    for (const list of [
      [accept('a', 5), deny('d', 6)],
      [deny('d', 6), accept('a', 5)],
    ])
      expect(v(build(engine, list), flow(CLIENT, WEB, 'TCP', 80))).toBe('ALLOW not-isolated/admin-allowed');
    for (const list of [
      [accept('a', 7), deny('d', 6)],
      [deny('d', 6), accept('a', 7)],
    ])
      expect(v(build(engine, list), flow(CLIENT, WEB, 'TCP', 80))).toBe('DENY not-isolated/admin-denied');
  });
  test('in a policy, the first matching rule in written order decides', () => {
    const both = (first: 'Accept' | 'Deny', second: 'Accept' | 'Deny') =>
      cnp('p', 'Admin', 1, inNamespaces(PROD), { ingress: [rule(first, [namespacesPeer(DEV)]), rule(second, [namespacesPeer()])] });
    expect(v(build(engine, [both('Accept', 'Deny')]), flow(CLIENT, WEB, 'TCP', 80))).toBe('ALLOW not-isolated/admin-allowed');
    expect(v(build(engine, [both('Deny', 'Accept')]), flow(CLIENT, WEB, 'TCP', 80))).toBe('DENY not-isolated/admin-denied');
    // prod/db matches only the second rule of each.
    expect(v(build(engine, [both('Accept', 'Deny')]), flow(DB, WEB, 'TCP', 80))).toBe('DENY not-isolated/admin-denied');
  });
  test('a policy with no matching rule hands on to the next one', () => {
    const miss = cnp('miss', 'Admin', 1, inNamespaces(PROD), { ingress: [rule('Deny', [namespacesPeer(SYSTEM)])] });
    expect(v(build(engine, [miss, accept('next', 2)]), flow(CLIENT, WEB, 'TCP', 80))).toBe('ALLOW not-isolated/admin-allowed');
  });
});

describeTiers(TIER_ENGINES, 'Pass', (engine) => {
  const passDev = (tier: 'Admin' | 'Baseline', priority = 1) =>
    cnp(`pass-${tier.toLowerCase()}`, tier, priority, inNamespaces(PROD), { ingress: [rule('Pass', [namespacesPeer(DEV)], [], 'delegate')] });
  const denyAll = (name: string, tier: 'Admin' | 'Baseline', priority: number) =>
    cnp(name, tier, priority, inNamespaces(PROD), { ingress: [rule('Deny', [namespacesPeer()])] });

  test('an Admin Pass skips the rest of the Admin tier: the NetworkPolicy decides', () => {
    const e = build(engine, [passDev('Admin'), denyAll('later', 'Admin', 2)], [netpol('prod', 'web-from-any', { app: 'web' }, { ingress: [{}] })]);
    expect(v(e, flow(CLIENT, WEB, 'TCP', 80))).toBe('ALLOW not-isolated/allowed');
    // Not passed: the later Deny applies.
    expect(v(e, flow(DB, WEB, 'TCP', 80))).toBe('DENY not-isolated/admin-denied');
  });
  test('an Admin Pass without a NetworkPolicy goes on to the Baseline tier', () => {
    expect(v(build(engine, [passDev('Admin'), denyAll('base', 'Baseline', 1)]), flow(CLIENT, WEB, 'TCP', 80))).toBe('DENY not-isolated/baseline-denied');
    expect(v(build(engine, [passDev('Admin')]), flow(CLIENT, WEB, 'TCP', 80))).toBe('ALLOW not-isolated/not-isolated');
  });
  test('a Baseline Pass skips the rest of the Baseline tier, the BaselineAdminNetworkPolicy included', () => {
    const b = banp(inNamespaces(PROD), { ingress: [rule('Deny', [namespacesPeer()])] });
    const e = build(engine, [passDev('Baseline'), denyAll('later', 'Baseline', 5), b]);
    expect(v(e, flow(CLIENT, WEB, 'TCP', 80))).toBe('ALLOW not-isolated/not-isolated');
    expect(v(e, flow(DB, WEB, 'TCP', 80))).toBe('DENY not-isolated/baseline-denied');
  });
  test('a Pass never counts as Accept: an Admin Pass over a NetworkPolicy that isolates is denied', () => {
    expect(v(build(engine, [passDev('Admin')], [netpol('prod', 'deny', {}, { ingress: [] })]), flow(CLIENT, WEB, 'TCP', 80))).toBe('DENY not-isolated/denied');
  });
});

describeTiers(TIER_ENGINES, 'subjects', (engine) => {
  const denyIn = (subject: Parameters<typeof cnp>[3]) => build(engine, [cnp('s', 'Admin', 1, subject, { ingress: [rule('Deny', [namespacesPeer()])] })]);
  test('namespaces: every pod of the selected namespaces', () => {
    const e = denyIn(inNamespaces(PROD));
    expect([WEB, DB, DNS].map((d) => e.verdict(flow(CLIENT, d, 'TCP', 80)).ingress)).toEqual(['admin-denied', 'admin-denied', 'not-isolated']);
  });
  test('pods: the selected pods of the selected namespaces', () => {
    const e = denyIn(podsOf(PROD, { app: 'db' }));
    expect([WEB, DB, DNS].map((d) => e.verdict(flow(CLIENT, d, 'TCP', 80)).ingress)).toEqual(['not-isolated', 'admin-denied', 'not-isolated']);
  });
  test('a policy with no rules in a direction does not select the pod for it', () => {
    const e = build(engine, [cnp('egress-only', 'Admin', 1, inNamespaces(PROD), { egress: [rule('Deny', [namespacesPeer(SYSTEM)])] })]);
    if (!engine.explains) return;
    expect(e.explain(flow(CLIENT, WEB, 'TCP', 80)).ingressDetail.steps.map((s) => s.step)).not.toContain('admin');
    expect(e.explain(flow(WEB, CLIENT, 'TCP', 80)).egressDetail.steps.map((s) => s.step)).toContain('admin');
  });
});

describeTiers(TIER_ENGINES, 'peers (egress from prod/web)', (engine) => {
  const denyTo = (...peers: Parameters<typeof rule>[1]) =>
    build(engine, [cnp('p', 'Admin', 1, podsOf(PROD, { app: 'web' }), { egress: [rule('Deny', peers)] })]);
  const denied = (e: ReturnType<typeof build>, flows: Flow[]) => flows.map((f) => e.verdict(f).egress === 'admin-denied');
  const targets = [
    flow(WEB, DB, 'TCP', 80),
    flow(WEB, CLIENT, 'TCP', 80),
    flow(WEB, DNS, 'TCP', 80),
    flow(WEB, N1, 'TCP', 80),
    flow(WEB, N2, 'TCP', 80),
    flow(WEB, EXTERNAL, 'TCP', 80),
  ];

  test('namespaces: pods of the selected namespaces only', () => {
    expect(denied(denyTo(namespacesPeer(DEV)), targets)).toEqual([false, true, false, false, false, false]);
    expect(denied(denyTo(namespacesPeer()), targets)).toEqual([true, true, true, false, false, false]);
  });
  test('pods: the selected pods of the selected namespaces', () => {
    expect(denied(denyTo(podsPeer({}, { app: 'dns' })), targets)).toEqual([false, false, true, false, false, false]);
    expect(denied(denyTo(podsPeer(PROD, { app: 'dns' })), targets)).toEqual([false, false, false, false, false, false]);
  });
  test('nodes: the addresses of the Nodes whose labels match', () => {
    expect(denied(denyTo(nodesPeer({ role: 'control' })), targets)).toEqual([false, false, false, false, true, false]);
    expect(denied(denyTo(nodesPeer()), targets)).toEqual([false, false, false, true, true, false]);
  });
  test('networks: every address inside, pods included (0.0.0.0/0 catches pod-to-pod traffic)', () => {
    expect(denied(denyTo(networksPeer('0.0.0.0/0')), targets)).toEqual([true, true, true, true, true, true]);
    expect(denied(denyTo(networksPeer('10.0.1.0/24', '203.0.113.0/24')), targets)).toEqual([true, false, false, false, false, true]);
  });
  test('networks of one family do not match the other', () => {
    const e = denyTo(networksPeer('0.0.0.0/0'));
    expect(e.verdict(flow(WEB6, DB6, 'TCP', 80)).egress).toBe('not-isolated');
    expect(denyTo(networksPeer('fd00::/64')).verdict(flow(WEB6, DB6, 'TCP', 80)).egress).toBe('admin-denied');
  });
  test('networks match ICMP too (a rule without protocols)', () => {
    expect(denyTo(networksPeer(`${EXTERNAL}/32`)).verdict(flow(WEB, EXTERNAL, 'ICMP')).egress).toBe('admin-denied');
  });
  test("domainNames: the flow's dstName, exact or *. wildcard; without a name nothing matches", () => {
    const e = build(engine, [
      cnp('names', 'Admin', 1, podsOf(PROD, { app: 'web' }), { egress: [rule('Accept', [domainsPeer('api.example.com', '*.cdn.example.org')])] }),
      denyAllEgress('rest', 'Admin', 2),
    ]);
    const to = (dstName?: string) => e.verdict(flow(WEB, EXTERNAL, 'TCP', 443, dstName === undefined ? {} : { dstName })).egress;
    expect([to('api.example.com'), to('a.b.cdn.example.org'), to('cdn.example.org'), to('www.example.com'), to(undefined)]).toEqual([
      'admin-allowed',
      'admin-allowed',
      'admin-denied',
      'admin-denied',
      'admin-denied',
    ]);
  });
  test("domainNames are egress-only: an ingress never sees the source's name", () => {
    const e = build(engine, [
      cnp('names', 'Admin', 1, inNamespaces(DEV), { egress: [rule('Accept', [domainsPeer('web.prod')])] }),
      cnp('deny', 'Admin', 2, inNamespaces(DEV), { egress: [rule('Deny', [namespacesPeer()])] }),
    ]);
    expect(e.verdict(flow(CLIENT, WEB, 'TCP', 80, { dstName: 'web.prod' })).egress).toBe('admin-allowed');
    expect(e.verdict(flow(CLIENT, WEB, 'TCP', 80)).egress).toBe('admin-denied');
  });
  test('the first matching peer of the rule is the one named', () => {
    if (!engine.explains) return;
    const e = denyTo(namespacesPeer(SYSTEM), networksPeer('10.0.0.0/8'), namespacesPeer(PROD));
    expect(e.explain(flow(WEB, DB, 'TCP', 80)).egressDetail.clusterRules[0]).toMatchObject({ peerIndex: 1, portIndex: null });
  });
});

describeTiers(TIER_ENGINES, 'protocols and named ports', (engine) => {
  const acceptThenDeny = (ports: Parameters<typeof rule>[2], options: EvaluationOptions = {}) =>
    build(
      engine,
      [cnp('p', 'Admin', 1, inNamespaces(), { ingress: [rule('Accept', [namespacesPeer()], ports), rule('Deny', [namespacesPeer()])] })],
      [],
      options,
    );
  const ingress = (e: ReturnType<typeof build>, f: Flow) => e.verdict(f).ingress;

  test("a number, a range, and the protocol must be the flow's", () => {
    const e = acceptThenDeny([tcp(80), tcp(8000, 8080), udp(53)]);
    expect(
      [
        flow(WEB, DB, 'TCP', 80),
        flow(WEB, DB, 'TCP', 8080),
        flow(WEB, DB, 'TCP', 8081),
        flow(WEB, DB, 'UDP', 80),
        flow(WEB, DB, 'UDP', 53),
        flow(WEB, DB, 'SCTP', 80),
      ].map((f) => ingress(e, f)),
    ).toEqual(['admin-allowed', 'admin-allowed', 'admin-denied', 'admin-denied', 'admin-allowed', 'admin-denied']);
  });
  test('a named port resolves on the destination pod: its name, protocol and number', () => {
    const e = acceptThenDeny([namedPort('pg'), namedPort('dns')]);
    expect(ingress(e, flow(WEB, DB, 'TCP', 5432))).toBe('admin-allowed');
    expect(ingress(e, flow(WEB, DB, 'TCP', 5433))).toBe('admin-denied');
    expect(ingress(e, flow(WEB, DNS, 'UDP', 53))).toBe('admin-allowed');
    expect(ingress(e, flow(WEB, DNS, 'TCP', 53))).toBe('admin-denied'); // dns is a UDP port
  });
  test('a named port in an egress rule resolves on the destination too', () => {
    const e = build(engine, [
      cnp('p', 'Admin', 1, inNamespaces(PROD), { egress: [rule('Accept', [namespacesPeer()], [namedPort('dns')]), rule('Deny', [namespacesPeer()])] }),
    ]);
    expect(e.verdict(flow(WEB, DNS, 'UDP', 53)).egress).toBe('admin-allowed');
    expect(e.verdict(flow(WEB, DB, 'UDP', 53)).egress).toBe('admin-denied');
  });
  test('init-container ports count unless initContainerPorts is off', () => {
    expect(ingress(acceptThenDeny([namedPort('metrics')]), flow(WEB, DB, 'TCP', 9090))).toBe('admin-allowed');
    expect(ingress(acceptThenDeny([namedPort('metrics')], { initContainerPorts: false }), flow(WEB, DB, 'TCP', 9090))).toBe('admin-denied');
  });
  test('ICMP and other portless protocols match only rules without protocols', () => {
    const e = acceptThenDeny([tcp(1, 65535), udp(1, 65535)]);
    expect(ingress(e, flow(WEB, DB, 'ICMP'))).toBe('admin-denied');
    expect(ingress(e, flow(WEB6, DB6, 'ICMPv6'))).toBe('admin-denied');
    expect(ingress(e, flow(WEB, DB, 47))).toBe('admin-denied'); // GRE
    expect(ingress(acceptThenDeny([]), flow(WEB, DB, 'ICMP'))).toBe('admin-allowed');
  });
});

describeTiers(TIER_ENGINES, 'hairpin, host-network pods and nodes', (engine) => {
  test('hairpin: a pod reaching its own IP is exempt from every tier', () => {
    const e = build(engine, [denyAllEgress('deny', 'Admin', 1), cnp('deny-in', 'Admin', 1, ALL, { ingress: [rule('Deny', [namespacesPeer()])] })]);
    expect(v(e, flow(WEB, WEB, 'TCP', 80))).toBe('ALLOW allowed/allowed');
    expect(v(e, flow(WEB, DB, 'TCP', 80))).toBe('DENY admin-denied/admin-denied');
  });
  test('a host-network pod is never a subject: its traffic is node traffic', () => {
    const e = build(engine, [denyAllEgress('deny', 'Admin', 1)]);
    expect(e.verdict(flow(N1, EXTERNAL, 'TCP', 80)).egress).toBe('not-applicable');
  });
  test('a host-network pod is not matched by namespaces or pods peers, only by nodes and networks', () => {
    // kube-system/agent (hostNetwork, app=agent) has n1's address.
    const denyIn = (peer: Parameters<typeof rule>[1][number]) => build(engine, [cnp('p', 'Admin', 1, inNamespaces(PROD), { ingress: [rule('Deny', [peer])] })]);
    expect(denyIn(namespacesPeer(SYSTEM)).verdict(flow(N1, WEB, 'TCP', 80)).ingress).toBe('not-isolated');
    expect(denyIn(podsPeer({}, { app: 'agent' })).verdict(flow(N1, WEB, 'TCP', 80)).ingress).toBe('not-isolated');
    const denyOut = (peer: Parameters<typeof rule>[1][number]) => build(engine, [cnp('p', 'Admin', 1, inNamespaces(PROD), { egress: [rule('Deny', [peer])] })]);
    expect(denyOut(namespacesPeer(SYSTEM)).verdict(flow(WEB, N1, 'TCP', 80)).egress).toBe('not-isolated');
    expect(denyOut(podsPeer({}, { app: 'agent' })).verdict(flow(WEB, N1, 'TCP', 80)).egress).toBe('not-isolated');
    expect(denyOut(networksPeer(`${N1}/32`)).verdict(flow(WEB, N1, 'TCP', 80)).egress).toBe('admin-denied');
    expect(denyOut(nodesPeer({ role: 'worker' })).verdict(flow(WEB, N1, 'TCP', 80)).egress).toBe('admin-denied');
  });
  test("the local-node exemption is NetworkPolicy's: it does not override an Admin Deny", () => {
    const options = { allowEgressToLocalNode: true };
    const isolate = netpol('prod', 'isolate', {}, { egress: [] });
    expect(build(engine, [], [isolate], options).verdict(flow(WEB, N1, 'TCP', 80)).egress).toBe('allowed');
    const guard = cnp('no-nodes', 'Admin', 1, inNamespaces(PROD), { egress: [rule('Deny', [nodesPeer()])] });
    expect(build(engine, [guard], [isolate], options).verdict(flow(WEB, N1, 'TCP', 80)).egress).toBe('admin-denied');
  });
});

describeTiers(FROM_CLUSTER, 'a peer netpol does not know (loaded leniently) fails closed', (engine) => {
  const policy = (action: 'Accept' | 'Deny' | 'Pass') => cnp('unknown', 'Admin', 1, inNamespaces(PROD), { egress: [rule(action, [unknownPeer])] });
  test('in an Accept rule it matches nothing', () => {
    expect(build(engine, [policy('Accept'), denyAllEgress('rest', 'Admin', 2)]).verdict(flow(WEB, EXTERNAL, 'TCP', 80)).egress).toBe('admin-denied');
  });
  test('in a Deny rule it matches everything', () => {
    expect([WEB6, DB, N1, EXTERNAL].map((d) => build(engine, [policy('Deny')]).verdict(flow(d === WEB6 ? DB6 : WEB, d, 'TCP', 80)).egress)).toEqual([
      'admin-denied',
      'admin-denied',
      'admin-denied',
      'admin-denied',
    ]);
  });
  test('in a Pass rule it matches everything (the rest of the tier is skipped, never an Accept)', () => {
    const accept = cnp('zz-accept', 'Admin', 2, inNamespaces(PROD), { egress: [rule('Accept', [networksPeer('0.0.0.0/0')])] });
    expect(build(engine, [policy('Pass'), accept], [netpol('prod', 'deny-out', {}, { egress: [] })]).verdict(flow(WEB, EXTERNAL, 'TCP', 80)).egress).toBe(
      'denied',
    );
  });
});

describeTiers(TIER_ENGINES, 'equal priorities: a deterministic order, reported', (engine) => {
  const a = cnp('a', 'Admin', 10, inNamespaces(PROD), { ingress: [rule('Accept', [namespacesPeer(DEV)])] });
  const b = cnp('b', 'Admin', 10, inNamespaces(PROD), { ingress: [rule('Deny', [namespacesPeer()])] });
  const anpA = anp('a', 10, inNamespaces(PROD), { ingress: [rule('Deny', [namespacesPeer(DEV)])] });
  test('by name, whatever the listed order', () => {
    for (const list of [
      [a, b],
      [b, a],
    ])
      expect(v(build(engine, list), flow(CLIENT, WEB, 'TCP', 80))).toBe('ALLOW not-isolated/admin-allowed');
  });
  test('ClusterNetworkPolicies before AdminNetworkPolicies of equal priority', () => {
    for (const list of [
      [anpA, a],
      [a, anpA],
    ])
      expect(v(build(engine, list), flow(CLIENT, WEB, 'TCP', 80))).toBe('ALLOW not-isolated/admin-allowed');
  });
  test('explain names the policies whose rules also match the flow', () => {
    if (!engine.explains) return;
    const e = build(engine, [b, anpA, a]);
    expect(e.explain(flow(CLIENT, WEB, 'TCP', 80)).ingressDetail.ties).toEqual(['cnp/b', 'anp/a']);
    // prod/db is matched by cnp/b alone: no tie.
    expect(e.explain(flow(DB, WEB, 'TCP', 80)).ingressDetail.ties).toEqual([]);
  });
  test('another priority or no matching rule is not a tie', () => {
    if (!engine.explains) return;
    const c = cnp('c', 'Admin', 11, inNamespaces(PROD), { ingress: [rule('Deny', [namespacesPeer()])] });
    const d = cnp('d', 'Admin', 10, inNamespaces(PROD), { ingress: [rule('Deny', [namespacesPeer(SYSTEM)])] });
    expect(build(engine, [a, c, d]).explain(flow(CLIENT, WEB, 'TCP', 80)).ingressDetail.ties).toEqual([]);
  });
});

describeTiers(
  TIER_ENGINES.filter((e) => e.explains),
  'explanations: steps, clusterRules',
  (engine) => {
    const steps = (s: readonly { step: StepKind }[]) => s.map((x) => x.step);
    const passDns = cnp('allow-dns-first', 'Admin', 1, inNamespaces(PROD), {
      egress: [rule('Pass', [podsPeer(SYSTEM, { app: 'dns' })], [udp(53)], 'pass-dns')],
    });

    test('Admin Pass, then the NetworkPolicy denies: the pass is recorded, then the NetworkPolicy chain', () => {
      const e = build(engine, [passDns], [netpol('prod', 'default-deny', {}, { egress: [] })]).explain(flow(WEB, DNS, 'UDP', 53)).egressDetail;
      expect(e).toMatchObject({ decision: 'denied', reason: 'no-rule-matched', isolatedBy: ['prod/default-deny'] });
      expect(steps(e.steps)).toEqual(['reply', 'self', 'icmpv6-nd', 'endpoint', 'admin', 'isolation', 'local-node', 'rules']);
      expect(e.clusterRules).toEqual([
        {
          tier: 'admin',
          policy: 'cnp/allow-dns-first',
          priority: 1,
          direction: 'egress',
          ruleIndex: 0,
          ruleName: 'pass-dns',
          action: 'Pass',
          peerIndex: 0,
          portIndex: 0,
        },
      ]);
    });
    test('an Admin decision: the admin step decides, reason admin-rule', () => {
      const e = build(engine, [denyAllEgress('guard', 'Admin', 3)]).explain(flow(WEB, EXTERNAL, 'TCP', 80));
      expect(e.allowed).toBe(false);
      expect(e.egressDetail).toMatchObject({ decision: 'admin-denied', reason: 'admin-rule', isolatedBy: [] });
      expect(e.egressDetail.steps.at(-1)).toEqual({ step: 'admin', answer: 'deny' });
      expect(e.egressDetail.clusterRules.map((r) => [r.policy, r.action, r.ruleName])).toEqual([['cnp/guard', 'Deny', null]]);
    });
    test('a Pass in each tier, then the Baseline decides: both passes and the decision, in order', () => {
      const basePass = cnp('base-pass', 'Baseline', 1, inNamespaces(PROD), { egress: [rule('Pass', [namespacesPeer(DEV)])] });
      const b = banp(inNamespaces(PROD), { egress: [rule('Deny', [networksPeer('0.0.0.0/0')], [], 'default-deny')] });
      const e = build(engine, [passDns, basePass, b]).explain(flow(WEB, DNS, 'UDP', 53)).egressDetail;
      expect(e).toMatchObject({ decision: 'baseline-denied', reason: 'baseline-rule' });
      expect(steps(e.steps)).toEqual(['reply', 'self', 'icmpv6-nd', 'endpoint', 'admin', 'isolation', 'baseline']);
      expect(e.steps.map((s) => s.answer)).toEqual(['next', 'next', 'next', 'next', 'next', 'next', 'deny']);
      expect(e.clusterRules.map((r) => `${r.tier} ${r.policy} ${r.action}`)).toEqual(['admin cnp/allow-dns-first Pass', 'baseline banp/default Deny']);
      // dev is passed by the Baseline CNP: nothing decides.
      const passed = build(engine, [basePass, b]).explain(flow(WEB, CLIENT, 'TCP', 80)).egressDetail;
      expect(passed).toMatchObject({ decision: 'not-isolated', reason: 'no-policy' });
      expect(passed.steps.at(-1)).toEqual({ step: 'baseline', answer: 'allow' });
      expect(passed.clusterRules.map((r) => r.action)).toEqual(['Pass']);
    });
    test('no cluster-scoped policy selects the pod: the NetworkPolicy-only chain, no tier data', () => {
      const e = build(engine, [cnp('other', 'Admin', 1, inNamespaces(SYSTEM), { egress: [rule('Deny', [namespacesPeer()])] })]).explain(
        flow(WEB, DB, 'TCP', 80),
      );
      expect(steps(e.egressDetail.steps)).toEqual(['reply', 'self', 'icmpv6-nd', 'endpoint', 'isolation']);
      expect(e.egressDetail).toMatchObject({ decision: 'not-isolated', clusterRules: [], ties: [] });
      expect(e).not.toHaveProperty('ignoring');
    });
  },
);

describeTiers(
  FROM_CLUSTER.filter((e) => e.explains),
  'explanations of a cluster loaded ignoring other policy APIs',
  (engine) => {
    test('ignoring: the objects of other policy APIs the cluster was loaded with', () => {
      const c = world([], [], {
        ignoredObjects: [
          { apiVersion: 'cilium.io/v2', kind: 'CiliumNetworkPolicy', namespace: 'prod', name: 'x' },
          { apiVersion: 'crd.projectcalico.org/v1', kind: 'GlobalNetworkPolicy', name: 'g' },
        ],
      });
      expect(engine.build(c).explain(flow(WEB, DB, 'TCP', 80)).ignoring).toEqual(['CiliumNetworkPolicy prod/x', 'GlobalNetworkPolicy g']);
    });
  },
);
