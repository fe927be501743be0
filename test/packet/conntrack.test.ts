// Connection tracking and the packet filter: TCP state, UDP/ICMP pseudo-connections,
// timeouts, LRU eviction under the cap, fragments, policy changes.
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { CompiledDataplane, Conntrack, PacketFilter, loadFiles, loadText, parsePacket, type PacketResult } from '@netpol/core';
import { FIXTURES, icmp, ipv4, ipv6, tcp, TCP_FLAGS as F, udp } from './build.js';

const CLIENT = '10.244.1.10';
const INTRUDER = '10.244.1.11';
const SERVER = '10.244.1.20';

function fixtureDataplane(options = {}): CompiledDataplane {
  const r = loadFiles([join(FIXTURES, 'cluster.yaml'), join(FIXTURES, 'policies.yaml')]);
  if (!r.cluster) throw new Error('fixture cluster invalid');
  return new CompiledDataplane(r.cluster, { native: 'off', ...options });
}

const t4 = (src: string, dst: string, sport: number, dport: number, flags: number) => ipv4({ protocol: 6, src, dst }, tcp(sport, dport, flags));
const u4 = (src: string, dst: string, sport: number, dport: number) => ipv4({ protocol: 17, src, dst }, udp(sport, dport));
const brief = (r: PacketResult) => `${r.allowed ? 'allow' : 'deny'}/${r.state}`;

describe('TCP', () => {
  test('a full connection: SYN new, SYN-ACK reply, then established/reply until TIME_WAIT', () => {
    const f = new PacketFilter(fixtureDataplane());
    const seq = [
      f.packet(t4(CLIENT, SERVER, 40000, 8080, F.S), 1),
      f.packet(t4(SERVER, CLIENT, 8080, 40000, F.S | F.A), 1.001),
      f.packet(t4(CLIENT, SERVER, 40000, 8080, F.A), 1.002),
      f.packet(t4(CLIENT, SERVER, 40000, 8080, F.P | F.A), 1.003),
      f.packet(t4(SERVER, CLIENT, 8080, 40000, F.A), 1.004),
      f.packet(t4(CLIENT, SERVER, 40000, 8080, F.F | F.A), 1.005),
      f.packet(t4(SERVER, CLIENT, 8080, 40000, F.F | F.A), 1.006),
      f.packet(t4(CLIENT, SERVER, 40000, 8080, F.A), 1.007),
    ].map(brief);
    expect(seq).toEqual([
      'allow/new',
      'allow/reply',
      'allow/established',
      'allow/established',
      'allow/reply',
      'allow/established',
      'allow/reply',
      'allow/established',
    ]);
    expect(f.conntrack.entries().map((e) => e.state)).toEqual(['TIME_WAIT']);
  });

  test('the SYN-ACK is not judged by policy (the client is ingress-isolated): only conntrack lets it in', () => {
    const f = new PacketFilter(fixtureDataplane());
    // Without the SYN first, the same SYN-ACK belongs to no connection and cannot open one:
    // invalid (Linux conntrack's INVALID), never judged as a new flow into the client.
    const lone = f.packet(t4(SERVER, CLIENT, 8080, 40001, F.S | F.A), 1);
    expect(lone).toEqual({ allowed: false, state: 'invalid', invalid: 'no-connection', packet: lone.packet });
    expect(f.conntrack.size).toBe(0); // a lone SYN-ACK never opens a connection
    expect(f.stats()).toMatchObject({ packets: 1, misses: 1, invalid: 1, malformed: 0 });
  });

  test('a SYN-ACK, RST or FIN of no tracked connection is invalid, in either direction and whatever policy says', () => {
    const f = new PacketFilter(fixtureDataplane());
    const lone = (src: string, dst: string, sport: number, dport: number, flags: number) => brief(f.packet(t4(src, dst, sport, dport, flags), 1));
    // The client may open connections to the server (allowed), the server may not open any to the client (denied):
    // the answer is the same for both, since policy is never asked.
    for (const [src, dst, sport, dport] of [
      [CLIENT, SERVER, 40000, 8080],
      [SERVER, CLIENT, 8080, 40000],
    ] as const) {
      expect(lone(src, dst, sport, dport, F.S | F.A)).toBe('deny/invalid');
      expect(lone(src, dst, sport, dport, F.R)).toBe('deny/invalid');
      expect(lone(src, dst, sport, dport, F.R | F.A)).toBe('deny/invalid');
      expect(lone(src, dst, sport, dport, F.F)).toBe('deny/invalid');
      expect(lone(src, dst, sport, dport, F.F | F.A)).toBe('deny/invalid');
      expect(lone(src, dst, sport, dport, F.F | F.P | F.A)).toBe('deny/invalid');
      expect(lone(src, dst, sport, dport, F.S | F.F)).toBe('deny/invalid');
      expect(lone(src, dst, sport, dport, 0)).toBe('deny/invalid'); // no flags at all
    }
    expect(f.conntrack.size).toBe(0);
    expect(f.stats().invalid).toBe(16);
    // A SYN still opens; a bare ACK is picked up mid-stream (loose, the default) once policy allows it.
    expect(lone(CLIENT, SERVER, 40000, 8080, F.S)).toBe('allow/new');
    expect(lone(CLIENT, SERVER, 40001, 8080, F.A)).toBe('allow/new');
    expect(lone(SERVER, CLIENT, 8080, 40002, F.A)).toBe('deny/new');
    expect(f.conntrack.size).toBe(2);
    // Once the connection is tracked, its RST and FIN are ordinary segments of it.
    expect(lone(SERVER, CLIENT, 8080, 40000, F.S | F.A)).toBe('allow/reply');
    expect(lone(CLIENT, SERVER, 40000, 8080, F.F | F.A)).toBe('allow/established');
    expect(lone(SERVER, CLIENT, 8080, 40000, F.R)).toBe('allow/reply');
  });

  test('a denied SYN names the isolating policy and opens nothing; retransmissions are judged again', () => {
    const f = new PacketFilter(fixtureDataplane());
    const r = f.packet(t4(INTRUDER, SERVER, 50000, 8080, F.S), 1);
    expect(r).toMatchObject({ allowed: false, state: 'new', egress: 'not-isolated', ingress: 'denied' });
    expect(r.denial).toEqual({
      direction: 'ingress',
      policies: ['demo/server-allow-client'],
      egressPolicies: [],
      ingressPolicies: ['demo/server-allow-client'],
      ingressPod: 'demo/server',
    });
    expect(brief(f.packet(t4(INTRUDER, SERVER, 50000, 8080, F.S), 2))).toBe('deny/new');
    expect(f.conntrack.size).toBe(0);
  });

  test('a new connection in the reverse direction of an allowed one is judged by policy', () => {
    const f = new PacketFilter(fixtureDataplane());
    expect(brief(f.packet(t4(CLIENT, SERVER, 40000, 8080, F.S), 1))).toBe('allow/new');
    const back = f.packet(t4(SERVER, CLIENT, 33333, 9000, F.S), 1.1);
    expect(back).toMatchObject({ allowed: false, state: 'new', denial: { policies: ['demo/client-deny-ingress'] } });
  });

  test('orig-direction packets before any reply are "new" (as Linux ctinfo), allowed from the table', () => {
    const f = new PacketFilter(fixtureDataplane());
    f.packet(t4(CLIENT, SERVER, 40000, 8080, F.S), 1);
    const again = f.packet(t4(CLIENT, SERVER, 40000, 8080, F.S), 2);
    expect(again).toEqual({ allowed: true, state: 'new', packet: expect.anything() });
    expect(f.stats()).toMatchObject({ packets: 2, hits: 1, misses: 1 });
  });

  test('RST closes: the connection passes for the close timeout, then a new SYN is judged again', () => {
    const dp = fixtureDataplane();
    const f = new PacketFilter(dp);
    f.packet(t4(CLIENT, SERVER, 40000, 8080, F.S), 1);
    f.packet(t4(SERVER, CLIENT, 8080, 40000, F.S | F.A), 1);
    expect(brief(f.packet(t4(SERVER, CLIENT, 8080, 40000, F.R), 2))).toBe('allow/reply');
    expect(f.conntrack.entries()[0]!.state).toBe('CLOSE');
    expect(f.conntrack.entries()[0]!.expires).toBe(12);
    expect(brief(f.packet(t4(CLIENT, SERVER, 40000, 8080, F.A), 5))).toBe('allow/established');
    // After the close timeout the entry is gone: the server's next segment is a new flow into the client.
    expect(brief(f.packet(t4(SERVER, CLIENT, 8080, 40000, F.A), 13))).toBe('deny/new');
    // A SYN on a closing entry reopens it: the entry goes and policy judges the SYN.
    f.packet(t4(CLIENT, SERVER, 40002, 8080, F.S), 20);
    f.packet(t4(CLIENT, SERVER, 40002, 8080, F.R), 20.5);
    const inserted = f.conntrack.stats().inserted;
    expect(brief(f.packet(t4(CLIENT, SERVER, 40002, 8080, F.S), 21))).toBe('allow/new');
    expect(f.conntrack.stats().inserted).toBe(inserted + 1);
  });

  test('mid-stream pickup (loose, the default) and strict mode', () => {
    const loose = new PacketFilter(fixtureDataplane());
    expect(brief(loose.packet(t4(CLIENT, SERVER, 40000, 8080, F.A), 1))).toBe('allow/new');
    expect(brief(loose.packet(t4(SERVER, CLIENT, 8080, 40000, F.A), 1))).toBe('allow/reply');
    expect(loose.conntrack.entries()[0]!.state).toBe('ESTABLISHED');
    // Strict (Linux's nf_conntrack_tcp_loose=0): only a SYN opens; any other segment without a connection is invalid.
    const strict = new PacketFilter(fixtureDataplane(), { tcpLoose: false });
    expect(brief(strict.packet(t4(CLIENT, SERVER, 40000, 8080, F.A), 1))).toBe('deny/invalid');
    expect(brief(strict.packet(t4(SERVER, CLIENT, 8080, 40000, F.A), 1))).toBe('deny/invalid');
    expect(brief(strict.packet(t4(CLIENT, SERVER, 40000, 8080, F.P | F.A), 1))).toBe('deny/invalid');
    expect(strict.conntrack.size).toBe(0);
    expect(brief(strict.packet(t4(CLIENT, SERVER, 40001, 8080, F.S), 1))).toBe('allow/new');
    expect(strict.conntrack.size).toBe(1);
  });

  test('timeouts per state: SYN_SENT expires after 120 s, ESTABLISHED lives on', () => {
    const f = new PacketFilter(fixtureDataplane());
    f.packet(t4(CLIENT, SERVER, 40000, 8080, F.S), 0);
    // The SYN_SENT entry expired: the late SYN-ACK belongs to no connection (invalid).
    expect(brief(f.packet(t4(SERVER, CLIENT, 8080, 40000, F.S | F.A), 121))).toBe('deny/invalid');
    f.packet(t4(CLIENT, SERVER, 40001, 8080, F.S), 200);
    f.packet(t4(SERVER, CLIENT, 8080, 40001, F.S | F.A), 200);
    f.packet(t4(CLIENT, SERVER, 40001, 8080, F.A), 200);
    expect(f.conntrack.entries()[0]!.state).toBe('ESTABLISHED');
    expect(brief(f.packet(t4(SERVER, CLIENT, 8080, 40001, F.A), 200 + 86400))).toBe('allow/reply');
    expect(f.conntrack.sweep(200 + 86400 + 432_001)).toBe(1);
    expect(f.conntrack.size).toBe(0);
  });
});

describe('UDP, ICMP and other protocols', () => {
  test('UDP: a pseudo-connection, replies pass until the timeout (30 s unreplied, 120 s replied)', () => {
    const f = new PacketFilter(fixtureDataplane());
    expect(brief(f.packet(u4(CLIENT, SERVER, 5000, 5353), 0))).toBe('allow/new');
    expect(brief(f.packet(u4(SERVER, CLIENT, 5353, 5000), 29))).toBe('allow/reply');
    expect(f.conntrack.entries()[0]!.state).toBe('REPLIED');
    expect(brief(f.packet(u4(SERVER, CLIENT, 5353, 5000), 29 + 119))).toBe('allow/reply');
    expect(brief(f.packet(u4(SERVER, CLIENT, 5353, 5000), 29 + 119 + 121))).toBe('deny/new');
    // Unreplied: 30 s.
    f.packet(u4(CLIENT, SERVER, 5001, 5353), 1000);
    expect(brief(f.packet(u4(SERVER, CLIENT, 5353, 5001), 1031))).toBe('deny/new');
  });

  test('ICMP echo: the reply (same id) passes, another id or an unsolicited reply is judged', () => {
    const f = new PacketFilter(fixtureDataplane());
    const ping = (src: string, dst: string, type: number, id: number) => ipv4({ protocol: 1, src, dst }, icmp(type, 0, id));
    expect(brief(f.packet(ping(SERVER, INTRUDER, 8, 7), 1))).toBe('allow/new');
    expect(brief(f.packet(ping(INTRUDER, SERVER, 0, 7), 1))).toBe('allow/reply');
    expect(brief(f.packet(ping(INTRUDER, SERVER, 0, 8), 1))).toBe('deny/new');
    // The intruder pinging the server with the same id is a new request, not a reply.
    expect(brief(f.packet(ping(INTRUDER, SERVER, 8, 7), 1))).toBe('deny/new');
    // ICMP errors are never tracked.
    expect(brief(f.packet(ipv4({ protocol: 1, src: INTRUDER, dst: SERVER }, icmp(3, 3).slice(0, 8)), 1))).toBe('deny/new');
    expect(f.conntrack.size).toBe(1);
  });

  test('ICMPv6 echo over IPv6 and neighbour discovery by option', () => {
    const f = new PacketFilter(fixtureDataplane());
    const req = ipv6({ protocol: 58, src: 'fd00:10:244:1::20', dst: 'fd00:10:244:1::11' }, icmp(128, 0, 3));
    const rep = ipv6({ protocol: 58, src: 'fd00:10:244:1::11', dst: 'fd00:10:244:1::20' }, icmp(129, 0, 3));
    expect([f.packet(req, 1), f.packet(rep, 1)].map(brief)).toEqual(['allow/new', 'allow/reply']);
    const na = ipv6({ protocol: 58, src: 'fd00:10:244:1::20', dst: 'fd00:10:244:1::10' }, icmp(136).slice(0, 4));
    expect(brief(f.packet(na, 1))).toBe('deny/new');
    expect(brief(new PacketFilter(fixtureDataplane({ allowICMPv6NeighborDiscovery: true })).packet(na, 1))).toBe('allow/new');
  });

  test('other protocols: a pseudo-connection per address pair, judged by port-less rules only', () => {
    const f = new PacketFilter(fixtureDataplane());
    const gre = (src: string, dst: string) => ipv4({ protocol: 47, src, dst }, [0, 0, 8, 0]);
    expect(brief(f.packet(gre(SERVER, INTRUDER), 1))).toBe('allow/new');
    expect(brief(f.packet(gre(INTRUDER, SERVER), 2))).toBe('allow/reply');
    expect(brief(f.packet(gre(CLIENT, SERVER), 2))).toBe('deny/new');
  });
});

describe('fragments', () => {
  const first = (src: string, dst: string, id: number) => ipv4({ protocol: 17, src, dst, more: true, id }, udp(5000, 5353, new Array(16).fill(0)));
  const later = (src: string, dst: string, id: number) => ipv4({ protocol: 17, src, dst, fragOffset: 24, id }, [1, 2, 3, 4]);

  test('protocol-only (default): a later fragment is a flow without a port, so only port-less rules match', () => {
    const f = new PacketFilter(fixtureDataplane());
    expect(brief(f.packet(first(CLIENT, SERVER, 9), 1))).toBe('allow/new');
    const r = f.packet(later(CLIENT, SERVER, 9), 1);
    expect(r).toMatchObject({ allowed: false, state: 'fragment', ingress: 'denied', denial: { policies: ['demo/server-allow-client'] } });
    // Towards a pod nothing isolates, it passes.
    expect(brief(f.packet(later(SERVER, INTRUDER, 9), 1))).toBe('allow/fragment');
    // The same as the dataplane's verdict for a UDP flow with no port.
    const flow = parsePacket(later(CLIENT, SERVER, 9));
    expect(flow.ok && f.dataplane.verdict(flow.packet.toFlow()).allowed).toBe(false);
  });

  test('track: later fragments follow the first fragment with the same id, for the fragment timeout', () => {
    const f = new PacketFilter(fixtureDataplane(), { fragmentPolicy: 'track' });
    f.packet(first(CLIENT, SERVER, 9), 1);
    expect(brief(f.packet(later(CLIENT, SERVER, 9), 1.1))).toBe('allow/fragment');
    expect(brief(f.packet(later(CLIENT, SERVER, 10), 1.1))).toBe('deny/fragment'); // unknown id: protocol-only
    expect(brief(f.packet(later(CLIENT, SERVER, 9), 40))).toBe('deny/fragment'); // expired (30 s)
    // A denied first fragment takes its later fragments with it, even where protocol-only would allow.
    f.packet(first(INTRUDER, SERVER, 11), 50);
    expect(brief(f.packet(later(INTRUDER, SERVER, 11), 50))).toBe('deny/fragment');
  });

  test('track, IPv6: destination options after the fragment header do not hide the datagram', () => {
    const f = new PacketFilter(fixtureDataplane(), { fragmentPolicy: 'track' });
    const src = 'fd00:10:244:1::10';
    const dst = 'fd00:10:244:1::20';
    const first6 = ipv6(
      { protocol: 17, src, dst, ext: [{ kind: 'fragment', offset: 0, more: true, id: 5 }, { kind: 'dest' }] },
      udp(5000, 5353, new Array(16).fill(0)),
    );
    // In a later fragment the fragment header's next header is the destination options header.
    const later6 = (id: number) => ipv6({ protocol: 60, src, dst, ext: [{ kind: 'fragment', offset: 32, more: false, id }] }, [1, 2, 3, 4]);
    expect(brief(f.packet(first6, 1))).toBe('allow/new');
    expect(brief(f.packet(later6(5), 1))).toBe('allow/fragment');
    expect(brief(f.packet(later6(6), 1))).toBe('deny/fragment');
  });

  test('allow: every later fragment passes', () => {
    const f = new PacketFilter(fixtureDataplane(), { fragmentPolicy: 'allow' });
    expect(brief(f.packet(later(CLIENT, SERVER, 9), 1))).toBe('allow/fragment');
    expect(() => new PacketFilter(fixtureDataplane(), { fragmentPolicy: 'drop' as 'allow' })).toThrow(TypeError);
  });
});

describe('the table', () => {
  test('LRU eviction under maxEntries: the least recently used goes', () => {
    const f = new PacketFilter(fixtureDataplane(), { maxEntries: 3 });
    for (let i = 0; i < 3; i++) f.packet(u4(CLIENT, SERVER, 1000 + i, 5353), i);
    // Touch the oldest so that the second becomes least recently used.
    f.packet(u4(SERVER, CLIENT, 5353, 1000), 3);
    f.packet(u4(CLIENT, SERVER, 2000, 5353), 4);
    expect(f.conntrack.size).toBe(3);
    expect(f.conntrack.stats().evicted).toBe(1);
    expect(f.conntrack.entries().map((e) => e.srcPort)).toEqual([2000, 1000, 1002]);
    expect(brief(f.packet(u4(SERVER, CLIENT, 5353, 1001), 5))).toBe('deny/new');
    expect(brief(f.packet(u4(SERVER, CLIENT, 5353, 1002), 5))).toBe('allow/reply');
  });

  test('many connections: every one is found in both directions, then all expire', () => {
    const ct = new Conntrack({ maxEntries: 5000 });
    const parsed = (b: Uint8Array) => {
      const r = parsePacket(b);
      if (!r.ok) throw new Error(r.reason);
      return r.packet;
    };
    for (let i = 0; i < 5000; i++)
      ct.insert(parsed(ipv6({ protocol: 17, src: `fd00::${(i % 300).toString(16)}`, dst: `fd00::1:${(i >> 4).toString(16)}` }, udp(i, 53))), 0, 1);
    let found = 0;
    for (let i = 0; i < 5000; i++) {
      const fwd = ct.find(parsed(ipv6({ protocol: 17, src: `fd00::${(i % 300).toString(16)}`, dst: `fd00::1:${(i >> 4).toString(16)}` }, udp(i, 53))), 1);
      const back = ct.find(parsed(ipv6({ protocol: 17, dst: `fd00::${(i % 300).toString(16)}`, src: `fd00::1:${(i >> 4).toString(16)}` }, udp(53, i))), 1);
      if (fwd >= 0 && (fwd & 1) === 0 && back === (fwd | 1)) found++;
    }
    expect(found).toBe(5000);
    expect(ct.stats().bytes).toBeLessThan(5000 * 100);
    expect(ct.sweep(31)).toBe(5000);
    expect(ct.size).toBe(0);
    expect(() => new Conntrack({ maxEntries: 0 })).toThrow(RangeError);
  });
});

describe('policy changes', () => {
  const OPEN = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: server-allow-all, namespace: demo}
spec:
  podSelector: {matchLabels: {app: server}}
  policyTypes: [Ingress]
  ingress: [{}]
`;
  function dataplane(extra: string): CompiledDataplane {
    const base = loadFiles([join(FIXTURES, 'cluster.yaml')]);
    const pol = loadText(extra, { file: 'p.yaml' });
    return new CompiledDataplane({ ...base.cluster!, policies: pol.cluster!.policies }, { native: 'off' });
  }

  test('a new dataplane keeps tracked connections flowing; revalidate drops those now denied; flush drops all', () => {
    const f = new PacketFilter(dataplane(OPEN));
    f.packet(t4(INTRUDER, SERVER, 50000, 8080, F.S), 1);
    f.packet(t4(CLIENT, SERVER, 40000, 8080, F.S), 1);
    f.packet(u4(CLIENT, SERVER, 5000, 5353), 1);
    expect(f.conntrack.size).toBe(3);
    // Now only the fixture policies (server admits app=client on 8080/5353).
    const strict = fixtureDataplane();
    expect(f.setDataplane(strict)).toBe(0);
    expect(brief(f.packet(t4(SERVER, INTRUDER, 8080, 50000, F.S | F.A), 2))).toBe('allow/reply');
    expect(brief(f.packet(t4(INTRUDER, SERVER, 50001, 8080, F.S), 2))).toBe('deny/new');
    expect(f.revalidate()).toBe(1);
    expect(
      f.conntrack
        .entries()
        .map((e) => e.srcPort)
        .sort(),
    ).toEqual([40000, 5000]);
    expect(brief(f.packet(t4(INTRUDER, SERVER, 50000, 8080, F.A), 3))).toBe('deny/new');
    expect(f.setDataplane(strict, { flush: true })).toBe(2);
    expect(f.conntrack.size).toBe(0);
  });
});

describe('CompiledDataplane.packet and packetBatch', () => {
  test('the dataplane keeps its own filter: replies pass across calls', () => {
    const dp = fixtureDataplane();
    expect(brief(dp.packet(t4(CLIENT, SERVER, 40000, 8080, F.S), 1))).toBe('allow/new');
    expect(brief(dp.packet(t4(SERVER, CLIENT, 8080, 40000, F.S | F.A), 1))).toBe('allow/reply');
    const batch = dp.packetBatch(
      [t4(CLIENT, SERVER, 40000, 8080, F.A), t4(INTRUDER, SERVER, 1, 8080, F.S), Uint8Array.of(0x45, 0), t4(SERVER, CLIENT, 8080, 40000, F.A)],
      [2, 2, 2, 2],
    );
    expect(batch.map(brief)).toEqual(['allow/established', 'deny/new', 'deny/invalid', 'allow/reply']);
    expect(batch[2]!.error).toBe('too-short');
    expect(batch[1]!.denial?.policies).toEqual(['demo/server-allow-client']);
    expect(dp.packets.conntrack.size).toBe(1);
  });

  test('packetCodes: one packed number per packet, no objects', () => {
    const f = new PacketFilter(fixtureDataplane());
    const out = f.packetCodes(
      [t4(CLIENT, SERVER, 1, 8080, F.S), t4(SERVER, CLIENT, 8080, 1, F.S | F.A), t4(INTRUDER, SERVER, 1, 8080, F.S)],
      0,
      new Uint32Array(3),
    );
    expect([...out].map((c) => c & 1)).toEqual([1, 1, 0]);
    expect([...out].map((c) => (c >>> 8) & 7)).toEqual([0, 2, 0]);
  });
});
