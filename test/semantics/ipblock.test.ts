// §2.4 ipBlock details and the ipBlockMatchesPods option (§4).
import { expect, test } from 'vitest';
import { flow } from '../helpers.js';
import { describeEach, ENGINES, node, np, ns, pod, short } from './fixtures.js';

const CLIENT = '10.0.0.5'; // app/client
const SERVER = '10.0.0.6'; // app/server
const HOSTNET = '192.168.0.7'; // hostNetwork pod on n2
const NODE1 = '192.168.0.1';
const NODE2 = '192.168.0.2';
const EXT = '10.0.0.200';

const base = [
  ns('app'),
  node('n1', NODE1),
  node('n2', NODE2),
  pod('app', 'client', CLIENT, { labels: { role: 'client' }, node: 'n1' }),
  pod('app', 'server', SERVER, { labels: { role: 'server' }, node: 'n1' }),
  pod('app', 'hostnet', HOSTNET, { hostNetwork: true, node: 'n2' }),
];

const clientEgress = (name: string, to: string) =>
  np(
    'app',
    name,
    `
  podSelector: {matchLabels: {role: client}}
  policyTypes: [Egress]
  egress:
  - to: ${to}
`,
  );

describeEach(ENGINES, 'ipBlock against pod IPs (upstream e2e expectations)', (engine) => {
  test('"should allow egress access to server in CIDR block": the cidr covers a pod IP', () => {
    const ev = engine.build([...base, clientEgress('p', '[{ipBlock: {cidr: 10.0.0.6/32}}]')]);
    expect(short(ev.verdict(flow(CLIENT, SERVER, 'TCP', 80)))).toBe('ALLOW egress=allowed ingress=not-isolated');
    expect(short(ev.verdict(flow(CLIENT, EXT, 'TCP', 80)))).toBe('DENY egress=denied ingress=not-applicable');
  });

  test('"…except clause…": an except covering the pod IP denies it', () => {
    const ev = engine.build([...base, clientEgress('p', '[{ipBlock: {cidr: 10.0.0.0/24, except: [10.0.0.6/32]}}]')]);
    expect(ev.verdict(flow(CLIENT, SERVER, 'TCP', 80)).egress).toBe('denied');
    expect(ev.verdict(flow(CLIENT, EXT, 'TCP', 80)).egress).toBe('allowed');
  });

  test('"…overlapping both IPBlock.CIDR and IPBlock.Except is allowed": except in one policy, /32 in another', () => {
    const withExcept = clientEgress('except', '[{ipBlock: {cidr: 10.0.0.0/24, except: [10.0.0.6/32]}}]');
    const exact = clientEgress('exact', '[{ipBlock: {cidr: 10.0.0.6/32}}]');
    const ev = engine.build([...base, withExcept, exact]);
    const alone = engine.build([...base, withExcept]);
    expect(ev.verdict(flow(CLIENT, SERVER, 'TCP', 80)).allowed).toBe(true);
    // The except policy alone denies it.
    expect(alone.verdict(flow(CLIENT, SERVER, 'TCP', 80)).egress).toBe('denied');
    // Either order of the two policies.
    expect(engine.build([...base, exact, withExcept]).verdict(flow(CLIENT, SERVER, 'TCP', 80)).allowed).toBe(true);
    if (!engine.explains) return;
    expect(ev.explain(flow(CLIENT, SERVER, 'TCP', 80)).egressDetail.allowedBy).toEqual([
      { policy: 'app/exact', direction: 'egress', ruleIndex: 0, peerIndex: 0, portIndex: null },
    ]);
    expect(alone.explain(flow(CLIENT, SERVER, 'TCP', 80)).egressDetail.rejected).toMatchObject([
      { policy: 'app/except', ruleIndex: 0, peerMatched: false, portMatched: true },
    ]);
  });

  test('except subtracts only within its own peer: a second peer of the same rule still allows', () => {
    const ev = engine.build([
      ...base,
      clientEgress('p', '[{ipBlock: {cidr: 10.0.0.0/24, except: [10.0.0.0/25]}}, {podSelector: {matchLabels: {role: server}}}]'),
    ]);
    expect(ev.verdict(flow(CLIENT, SERVER, 'TCP', 80)).egress).toBe('allowed');
    expect(ev.verdict(flow(CLIENT, '10.0.0.100', 'TCP', 80)).egress).toBe('denied');
    expect(ev.verdict(flow(CLIENT, '10.0.0.128', 'TCP', 80)).egress).toBe('allowed');
    if (engine.explains) expect(ev.explain(flow(CLIENT, SERVER, 'TCP', 80)).egressDetail.allowedBy).toMatchObject([{ ruleIndex: 0, peerIndex: 1 }]);
  });

  test('cidr and except boundaries are exact', () => {
    const ev = engine.build([...base, clientEgress('p', '[{ipBlock: {cidr: 172.16.0.0/12, except: [172.16.4.0/22, 172.31.255.255/32]}}]')]);
    const allowed = (ip: string) => ev.verdict(flow(CLIENT, ip, 'UDP', 53)).allowed;
    expect(allowed('172.15.255.255')).toBe(false);
    expect(allowed('172.16.0.0')).toBe(true);
    expect(allowed('172.16.3.255')).toBe(true);
    expect(allowed('172.16.4.0')).toBe(false);
    expect(allowed('172.16.7.255')).toBe(false);
    expect(allowed('172.16.8.0')).toBe(true);
    expect(allowed('172.31.255.254')).toBe(true);
    expect(allowed('172.31.255.255')).toBe(false);
    expect(allowed('172.32.0.0')).toBe(false);
  });

  test('an ingress ipBlock matches a pod source too', () => {
    const ev = engine.build([
      ...base,
      np(
        'app',
        'p',
        `
      podSelector: {matchLabels: {role: server}}
      ingress:
      - from: [{ipBlock: {cidr: 10.0.0.4/30}}]
    `,
      ),
    ]);
    expect(ev.verdict(flow(CLIENT, SERVER, 'TCP', 80)).ingress).toBe('allowed');
    expect(ev.verdict(flow('10.0.0.8', SERVER, 'TCP', 80)).ingress).toBe('denied');
  });
});

describeEach(ENGINES, 'ipBlock and node traffic', (engine) => {
  test('ipBlock matches a remote node IP and a remote hostNetwork pod IP', () => {
    const ev = engine.build([
      ...base,
      np(
        'app',
        'p',
        `
      podSelector: {matchLabels: {role: server}}
      ingress:
      - from: [{ipBlock: {cidr: 192.168.0.0/24}}]
    `,
      ),
    ]);
    expect(ev.verdict(flow(HOSTNET, SERVER, 'TCP', 80)).ingress).toBe('allowed');
    expect(ev.verdict(flow(NODE2, SERVER, 'TCP', 80)).ingress).toBe('allowed');
    expect(ev.verdict(flow('192.168.1.1', SERVER, 'TCP', 80)).ingress).toBe('denied');
    if (!engine.explains) return;
    const e = ev.explain(flow(HOSTNET, SERVER, 'TCP', 80));
    expect(e.ingressDetail.reason).toBe('rule');
    expect(e.ingressDetail.allowedBy).toMatchObject([{ policy: 'app/p', peerIndex: 0 }]);
  });
});

describeEach(ENGINES, 'option ipBlockMatchesPods: false (Cilium): ipBlock never matches pod or node IPs', (engine) => {
  const policy = clientEgress('p', '[{ipBlock: {cidr: 0.0.0.0/0}}]');
  const ev = engine.build([...base, policy], { ipBlockMatchesPods: false });
  test('pod IPs are not matched', () => {
    expect(ev.verdict(flow(CLIENT, SERVER, 'TCP', 80)).egress).toBe('denied');
  });
  test('node IPs are not matched, nor a hostNetwork pod IP (a node IP)', () => {
    expect(ev.verdict(flow(CLIENT, NODE2, 'TCP', 80)).egress).toBe('denied');
    expect(ev.verdict(flow(CLIENT, HOSTNET, 'TCP', 80)).egress).toBe('denied');
  });
  test('external IPs still are', () => {
    expect(ev.verdict(flow(CLIENT, EXT, 'TCP', 80)).egress).toBe('allowed');
    expect(ev.verdict(flow(CLIENT, '8.8.8.8', 'TCP', 80)).egress).toBe('allowed');
  });
  test('the default matches all of them', () => {
    const dflt = engine.build([...base, policy]);
    for (const ip of [SERVER, NODE2, HOSTNET, EXT]) expect(dflt.verdict(flow(CLIENT, ip, 'TCP', 80)).egress).toBe('allowed');
  });
  test('selector peers are unaffected by the option', () => {
    const sel = engine.build([...base, clientEgress('p', '[{podSelector: {}}]')], { ipBlockMatchesPods: false });
    expect(sel.verdict(flow(CLIENT, SERVER, 'TCP', 80)).egress).toBe('allowed');
  });
});
