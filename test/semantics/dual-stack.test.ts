// §2.10 dual-stack and IPv4-mapped IPv6.
import { expect, test } from 'vitest';
import { MixedFamiliesError } from '@netpol/core';
import { flow } from '../helpers.js';
import { describeEach, ENGINES, np, ns, pod, short } from './fixtures.js';

const DB4 = '10.0.0.1';
const DB6 = 'fd00::1';
const WEB4 = '10.0.0.2';
const WEB6 = 'fd00::2';
const base = [
  ns('app'),
  ns('other'),
  pod('app', 'db', `${DB4},${DB6}`, { labels: { role: 'db' } }),
  pod('other', 'web', `${WEB4},${WEB6}`, { labels: { role: 'web' } }),
  pod('app', 'v6only', 'fd00::3', { labels: { role: 'web' } }),
];
const ingressFrom = (peers: string) =>
  np(
    'app',
    'p',
    `
  podSelector: {matchLabels: {role: db}}
  ingress:
  - from: ${peers}
`,
  );

describeEach(ENGINES, 'selectors match a pod by any of its IPs', (engine) => {
  test('pod and namespace selectors, both families', () => {
    const ev = engine.build([...base, ingressFrom('[{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: other}}}]')]);
    expect(short(ev.verdict(flow(WEB4, DB4, 'TCP', 1)))).toBe('ALLOW egress=not-isolated ingress=allowed');
    expect(short(ev.verdict(flow(WEB6, DB6, 'TCP', 1)))).toBe('ALLOW egress=not-isolated ingress=allowed');
    expect(ev.verdict(flow('fd00::99', DB6, 'TCP', 1)).allowed).toBe(false);
    if (engine.explains) expect(ev.explain(flow(WEB6, DB6, 'TCP', 1)).egressDetail.endpoint).toBe('other/web');
  });

  test('self traffic over IPv6 of a dual-stack pod', () => {
    const ev = engine.build([...base, np('app', 'deny', 'podSelector: {}\npolicyTypes: [Ingress, Egress]')]);
    expect(short(ev.verdict(flow(DB6, DB6, 'UDP', 53)))).toBe('ALLOW egress=allowed ingress=allowed');
    if (engine.explains) expect(ev.explain(flow(DB6, DB6, 'UDP', 53)).ingressDetail.reason).toBe('self');
  });
});

describeEach(ENGINES, 'ipBlock families', (engine) => {
  test('an IPv4 CIDR never matches IPv6; 0.0.0.0/0 does not cover IPv6', () => {
    const ev = engine.build([...base, ingressFrom('[{ipBlock: {cidr: 0.0.0.0/0}}]')]);
    expect(ev.verdict(flow(WEB4, DB4, 'TCP', 1)).allowed).toBe(true);
    expect(ev.verdict(flow('203.0.113.1', DB4, 'TCP', 1)).allowed).toBe(true);
    expect(ev.verdict(flow(WEB6, DB6, 'TCP', 1)).allowed).toBe(false);
    expect(ev.verdict(flow('2001:db8::1', DB6, 'TCP', 1)).allowed).toBe(false);
  });

  test('::/0 covers IPv6 and no IPv4; both are needed for allow-all-by-CIDR', () => {
    const v6 = engine.build([...base, ingressFrom('[{ipBlock: {cidr: "::/0"}}]')]);
    expect(v6.verdict(flow('2001:db8::1', DB6, 'TCP', 1)).allowed).toBe(true);
    expect(v6.verdict(flow('203.0.113.1', DB4, 'TCP', 1)).allowed).toBe(false);
    const both = engine.build([...base, ingressFrom('[{ipBlock: {cidr: 0.0.0.0/0}}, {ipBlock: {cidr: "::/0"}}]')]);
    expect(both.verdict(flow('2001:db8::1', DB6, 'TCP', 1)).allowed).toBe(true);
    expect(both.verdict(flow('203.0.113.1', DB4, 'TCP', 1)).allowed).toBe(true);
  });

  test('an IPv6 CIDR with except', () => {
    const ev = engine.build([...base, ingressFrom('[{ipBlock: {cidr: "fd00::/64", except: ["fd00::2/128"]}}]')]);
    expect(ev.verdict(flow('fd00::3', DB6, 'TCP', 1)).allowed).toBe(true);
    expect(ev.verdict(flow(WEB6, DB6, 'TCP', 1)).allowed).toBe(false);
    expect(ev.verdict(flow('fd00:0:0:1::3', DB6, 'TCP', 1)).allowed).toBe(false);
    expect(ev.verdict(flow(WEB4, DB4, 'TCP', 1)).allowed).toBe(false);
  });
});

describeEach(ENGINES, 'legacy IPv4-mapped CIDRs in a policy (accepted with a warning when not strict)', (engine) => {
  test('::ffff:10.0.0.0/104 evaluates as IPv4 10.0.0.0/8 (the §2.10 example generalised)', () => {
    const ev = engine.build([...base, ingressFrom('[{ipBlock: {cidr: "::ffff:10.0.0.0/104"}}]')]);
    expect(ev.verdict(flow(WEB4, DB4, 'TCP', 1)).allowed).toBe(true);
    expect(ev.verdict(flow('11.0.0.1', DB4, 'TCP', 1)).allowed).toBe(false);
  });

  test('::ffff:10.0.0.0/64 is masked first (Go ParseCIDRSloppy): IPv6 ::/64, so it must not match IPv4 sources', () => {
    const ev = engine.build([...base, ingressFrom('[{ipBlock: {cidr: "::ffff:10.0.0.0/64"}}]')]);
    expect(ev.verdict(flow('203.0.113.1', DB4, 'TCP', 1)).allowed).toBe(false);
    expect(ev.verdict(flow(WEB4, DB4, 'TCP', 1)).allowed).toBe(false);
    expect(ev.verdict(flow('::5', DB6, 'TCP', 1)).allowed).toBe(true);
  });
});

describeEach(ENGINES, 'mixed-family flows', (engine) => {
  const ev = engine.build(base);
  test('verdict and explain throw MixedFamiliesError (a RangeError)', () => {
    expect(() => ev.verdict(flow(WEB4, DB6, 'TCP', 1))).toThrow(MixedFamiliesError);
    expect(() => ev.verdict(flow('::ffff:10.0.0.2', DB4, 'TCP', 1))).toThrow(MixedFamiliesError);
    if (engine.explains) expect(() => ev.explain(flow(DB6, WEB4, 'TCP', 1))).toThrow(MixedFamiliesError);
  });
});

describeEach(ENGINES, 'ipv4MappedAsIPv4', (engine) => {
  const docs = [...base, ingressFrom('[{ipBlock: {cidr: 203.0.113.0/24}}]')];
  test('off (default): a mapped address is an IPv6 address that is no pod and no IPv4 CIDR member', () => {
    const ev = engine.build(docs);
    expect(short(ev.verdict(flow('::ffff:203.0.113.5', '::ffff:10.0.0.1', 'TCP', 1)))).toBe('ALLOW egress=not-applicable ingress=not-applicable');
    const toPod = ev.verdict(flow('::ffff:203.0.113.5', DB6, 'TCP', 1));
    expect(short(toPod)).toBe('DENY egress=not-applicable ingress=denied');
  });

  test('on: mapped addresses are IPv4 (pods and CIDRs), mixing with plain IPv4 is fine', () => {
    const ev = engine.build(docs, { ipv4MappedAsIPv4: true });
    expect(short(ev.verdict(flow('::ffff:203.0.113.5', '::ffff:10.0.0.1', 'TCP', 1)))).toBe('ALLOW egress=not-applicable ingress=allowed');
    expect(ev.verdict(flow('::ffff:198.51.100.1', '::ffff:10.0.0.1', 'TCP', 1)).allowed).toBe(false);
    expect(ev.verdict(flow('::ffff:203.0.113.5', DB4, 'TCP', 1)).allowed).toBe(true);
    // Still a family mismatch when one end is real IPv6.
    expect(() => ev.verdict(flow('::ffff:203.0.113.5', DB6, 'TCP', 1))).toThrow(MixedFamiliesError);
    if (!engine.explains) return;
    const e = ev.explain(flow('::ffff:203.0.113.5', '::ffff:10.0.0.1', 'TCP', 1));
    expect(e.ingressDetail.endpoint).toBe('app/db');
    expect(e.src).toBe('203.0.113.5');
  });
});
