// Traffic no NetworkPolicy can block: replies (§2.7), self (§2.8), ingress from the own node
// (§2.9), and the options around node egress and ICMPv6 neighbour discovery.
import { expect, test } from 'vitest';
import { flow } from '../helpers.js';
import { describeEach, ENGINES, node, np, ns, pod, short } from './fixtures.js';

const A = '10.0.0.1'; // app/a on n1
const B = '10.0.0.2'; // app/b on n2
const A6 = 'fd00::1';
const B6 = 'fd00::2';
const N1 = '192.168.0.1';
const N1_EXTERNAL = '198.51.100.1';
const N2 = '192.168.0.2';
const HOST1 = '192.168.0.11'; // hostNetwork pod on n1 (an IP Node n1 does not list)
const HOST2 = '192.168.0.12'; // hostNetwork pod on n2

const denyAll = np(
  'app',
  'deny-all',
  `
  podSelector: {}
  policyTypes: [Ingress, Egress]
`,
);
const base = [
  ns('app'),
  ns('kube-system'),
  node('n1', N1),
  { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1x' }, status: { addresses: [{ type: 'ExternalIP', address: N1_EXTERNAL }] } },
  node('n2', N2),
  pod('app', 'a', `${A},${A6}`, { node: 'n1' }),
  pod('app', 'b', `${B},${B6}`, { node: 'n2' }),
  pod('kube-system', 'agent1', HOST1, { node: 'n1', hostNetwork: true }),
  pod('kube-system', 'agent2', HOST2, { node: 'n2', hostNetwork: true }),
  denyAll,
];

describeEach(ENGINES, 'replies and self traffic', (engine) => {
  const ev = engine.build(base);
  test('established flows are allowed under deny-all, in either direction', () => {
    expect(short(ev.verdict(flow(B, A, 'UDP', 40000, { established: true })))).toBe('ALLOW egress=allowed ingress=allowed');
    expect(ev.verdict(flow('203.0.113.1', A, 'TCP', 1, { established: true })).allowed).toBe(true);
    // Without the flag the same flow is denied.
    expect(ev.verdict(flow(B, A, 'UDP', 40000)).allowed).toBe(false);
    if (engine.explains) expect(ev.explain(flow(B, A, 'UDP', 40000, { established: true })).egressDetail.reason).toBe('reply');
  });

  test('a pod talking to itself is allowed under deny-all (both families)', () => {
    expect(short(ev.verdict(flow(A, A, 'TCP', 8080)))).toBe('ALLOW egress=allowed ingress=allowed');
    expect(ev.verdict(flow(A6, A6, 'ICMPv6')).allowed).toBe(true);
    if (!engine.explains) return;
    const e = ev.explain(flow(A, A, 'TCP', 8080));
    expect(e.ingressDetail.reason).toBe('self');
    expect(e.ingressDetail.endpoint).toBe('app/a');
  });

  test('two different pods under deny-all are not "self"', () => {
    expect(short(ev.verdict(flow(A, B, 'TCP', 8080)))).toBe('DENY egress=denied ingress=denied');
  });
});

describeEach(ENGINES, 'ingress from the pod’s own node', (engine) => {
  test('allowed under deny-all from a Node address of the pod’s node', () => {
    const ev = engine.build(base);
    expect(short(ev.verdict(flow(N1, A, 'TCP', 8080)))).toBe('ALLOW egress=not-applicable ingress=allowed');
    if (!engine.explains) return;
    const e = ev.explain(flow(N1, A, 'TCP', 8080));
    expect(e.ingressDetail.reason).toBe('local-node');
    expect(e.ingressDetail.isolatedBy).toEqual(['app/deny-all']);
  });

  test('a hostNetwork pod’s IP counts as its node’s IP', () => {
    const ev = engine.build(base);
    expect(ev.verdict(flow(HOST1, A, 'TCP', 8080)).allowed).toBe(true);
    expect(ev.verdict(flow(HOST2, B, 'TCP', 8080)).allowed).toBe(true);
    if (engine.explains) expect(ev.explain(flow(HOST1, A, 'TCP', 8080)).ingressDetail.reason).toBe('local-node');
  });

  test('from another node (or its hostNetwork pods) it is denied', () => {
    const ev = engine.build(base);
    expect(short(ev.verdict(flow(N2, A, 'TCP', 8080)))).toBe('DENY egress=not-applicable ingress=denied');
    expect(ev.verdict(flow(HOST2, A, 'TCP', 8080)).allowed).toBe(false);
    expect(ev.verdict(flow(N1, B, 'TCP', 8080)).allowed).toBe(false);
    expect(ev.verdict(flow(N1_EXTERNAL, A, 'TCP', 8080)).allowed).toBe(false); // address of another Node object
  });

  test('a pod without nodeName gets no local-node exemption', () => {
    const ev = engine.build([...base, pod('app', 'floating', '10.0.0.9')]);
    expect(ev.verdict(flow(N1, '10.0.0.9', 'TCP', 1)).allowed).toBe(false);
  });

  test('allowIngressFromLocalNode: false polices it like any source', () => {
    const ev = engine.build(base, { allowIngressFromLocalNode: false });
    expect(ev.verdict(flow(N1, A, 'TCP', 8080)).allowed).toBe(false);
  });
});

describeEach(ENGINES, 'egress to the pod’s own node (allowEgressToLocalNode)', (engine) => {
  test('policed by default', () => {
    const ev = engine.build(base);
    expect(short(ev.verdict(flow(A, N1, 'TCP', 10250)))).toBe('DENY egress=denied ingress=not-applicable');
  });
  test('allowed with the option, to its own node only', () => {
    const ev = engine.build(base, { allowEgressToLocalNode: true });
    expect(short(ev.verdict(flow(A, N1, 'TCP', 10250)))).toBe('ALLOW egress=allowed ingress=not-applicable');
    expect(ev.verdict(flow(A, HOST1, 'TCP', 10250)).allowed).toBe(true);
    expect(ev.verdict(flow(A, N2, 'TCP', 10250)).allowed).toBe(false);
    expect(ev.verdict(flow(B, N1, 'TCP', 10250)).allowed).toBe(false);
    if (engine.explains) expect(ev.explain(flow(A, N1, 'TCP', 10250)).egressDetail.reason).toBe('local-node');
  });
});

describeEach(ENGINES, 'allowICMPv6NeighborDiscovery', (engine) => {
  const nd = (type: number) => flow(B6, A6, 'ICMPv6', undefined, { icmpType: type });
  test('off by default: neighbour solicitation is policed', () => {
    const ev = engine.build(base);
    expect(ev.verdict(nd(135)).allowed).toBe(false);
  });
  test('on: types 133-137 pass deny-all, other types do not', () => {
    const ev = engine.build(base, { allowICMPv6NeighborDiscovery: true });
    expect([132, 133, 134, 135, 136, 137, 138, 128, 1].map((t) => ev.verdict(nd(t)).allowed)).toEqual([
      false,
      true,
      true,
      true,
      true,
      true,
      false,
      false,
      false,
    ]);
    // Only ICMPv6: the same type number on another protocol is not neighbour discovery.
    expect(ev.verdict(flow(B6, A6, 'UDP', 135, { icmpType: 135 })).allowed).toBe(false);
    expect(ev.verdict(flow(B, A, 'ICMP', undefined, { icmpType: 135 })).allowed).toBe(false);
    if (engine.explains) expect(ev.explain(nd(136)).ingressDetail.reason).toBe('icmpv6-nd');
  });
});
