// §2.6 protocols: rules with ports are L4-specific, rules without ports are protocol-agnostic.
import { expect, test } from 'vitest';
import { flow } from '../helpers.js';
import { describeEach, ENGINES, np, ns, pod, type Built, type Engine } from './fixtures.js';

const SRC = '10.0.0.1';
const DST = '10.0.0.2';
const SRC6 = 'fd00::1';
const DST6 = 'fd00::2';

function withRule(engine: Engine, rule: string): Built {
  return engine.build([
    ns('app'),
    pod('app', 'src', `${SRC},${SRC6}`, { labels: { role: 'src' } }),
    pod('app', 'dst', `${DST},${DST6}`, { labels: { role: 'dst' } }),
    np(
      'app',
      'p',
      `
      podSelector: {matchLabels: {role: dst}}
      ingress:
      ${rule}
    `,
    ),
  ]);
}

describeEach(ENGINES, 'ICMP and other IP protocols', (engine) => {
  test('a rule with ports never matches ICMP, ICMPv6 or GRE', () => {
    for (const rule of ['- ports: [{protocol: TCP}]', '- ports: [{protocol: UDP}, {protocol: SCTP}]', '- ports: [{port: 1, endPort: 65535}]']) {
      const ev = withRule(engine, rule);
      expect(ev.verdict(flow(SRC, DST, 'ICMP')).allowed).toBe(false);
      expect(ev.verdict(flow(SRC, DST, 47)).allowed).toBe(false);
      expect(ev.verdict(flow(SRC6, DST6, 'ICMPv6', undefined, { icmpType: 128 })).allowed).toBe(false);
    }
  });

  test('a rule without ports matches ICMP, protocol 47 and ICMPv6', () => {
    const ev = withRule(engine, '- from: [{podSelector: {matchLabels: {role: src}}}]');
    expect(ev.verdict(flow(SRC, DST, 'ICMP', undefined, { icmpType: 8 })).allowed).toBe(true);
    if (engine.explains)
      expect(ev.explain(flow(SRC, DST, 'ICMP', undefined, { icmpType: 8 })).ingressDetail.allowedBy).toEqual([
        { policy: 'app/p', direction: 'ingress', ruleIndex: 0, peerIndex: 0, portIndex: null },
      ]);
    expect(ev.verdict(flow(SRC, DST, 47)).allowed).toBe(true);
    expect(ev.verdict(flow(SRC, DST, 50)).allowed).toBe(true);
    expect(ev.verdict(flow(SRC6, DST6, 'ICMPv6', undefined, { icmpType: 128 })).allowed).toBe(true);
    // …but still only from the selected peers.
    expect(ev.verdict(flow('203.0.113.1', DST, 'ICMP')).allowed).toBe(false);
  });

  test('isolated with no matching rule drops ICMP echo', () => {
    const ev = withRule(engine, '- ports: [{port: 80}]');
    expect(ev.verdict(flow(SRC, DST, 'ICMP', undefined, { icmpType: 8 })).ingress).toBe('denied');
    if (engine.explains)
      expect(ev.explain(flow(SRC, DST, 'ICMP', undefined, { icmpType: 8 })).ingressDetail.rejected).toMatchObject([{ peerMatched: true, portMatched: false }]);
  });

  test('a rule with both ports and a protocol-agnostic sibling: ICMP takes the sibling', () => {
    const ev = withRule(
      engine,
      `- ports: [{port: 80}]
      - from: [{ipBlock: {cidr: 10.0.0.0/24}}]`,
    );
    expect(ev.verdict(flow(SRC, DST, 'ICMP')).allowed).toBe(true);
    if (engine.explains) expect(ev.explain(flow(SRC, DST, 'ICMP')).ingressDetail.allowedBy).toMatchObject([{ ruleIndex: 1, portIndex: null }]);
  });
});

describeEach(ENGINES, 'SCTP is not TCP (upstream e2e)', (engine) => {
  test('a TCP rule does not allow SCTP on the same port', () => {
    const ev = withRule(engine, '- ports: [{protocol: TCP, port: 5000}]');
    expect(ev.verdict(flow(SRC, DST, 'TCP', 5000)).allowed).toBe(true);
    expect(ev.verdict(flow(SRC, DST, 'SCTP', 5000)).allowed).toBe(false);
  });
  test('an SCTP rule does not allow TCP on the same port', () => {
    const ev = withRule(engine, '- ports: [{protocol: SCTP, port: 5000}]');
    expect(ev.verdict(flow(SRC, DST, 'SCTP', 5000)).allowed).toBe(true);
    expect(ev.verdict(flow(SRC, DST, 'TCP', 5000)).allowed).toBe(false);
    expect(ev.verdict(flow(SRC, DST, 'UDP', 5000)).allowed).toBe(false);
  });
});
