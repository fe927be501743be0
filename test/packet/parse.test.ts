// parsePacket on crafted packets: every header it walks, every malformed reason, and
// properties (fast-check, shrinkable) over structured packets with random extension chains.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { FRAGMENT, MALFORMED_REASONS, ParsedPacket, formatIP, parsePacket, parsePacketInto, tcpFlagsText } from '@netpol/core';
import { icmp, ipv4, ipv6, sctp, tcp, TCP_FLAGS, udp, type Ext } from './build.js';
import { runs } from '../helpers.js';

const ok = (bytes: Uint8Array, wire?: number): ParsedPacket => {
  const r = parsePacket(bytes, wire);
  if (!r.ok) throw new Error(`expected a valid packet, got ${r.reason}`);
  return r.packet;
};
const reason = (bytes: Uint8Array, wire?: number): string | undefined => {
  const r = parsePacket(bytes, wire);
  return r.ok ? undefined : r.reason;
};

describe('IPv4', () => {
  test('TCP: addresses as u32 words, ports, flags', () => {
    const p = ok(ipv4({ protocol: 6, src: '10.244.1.10', dst: '10.244.1.20' }, tcp(40000, 8080, TCP_FLAGS.S | TCP_FLAGS.A)));
    expect(p.family).toBe(4);
    expect(p.src[0]).toBe(0x0af4010a);
    expect([...p.src.subarray(1)]).toEqual([0, 0, 0]);
    expect(p.dst[0]).toBe(0x0af40114);
    expect([p.protocol, p.srcPort, p.dstPort, p.hasL4, p.fragment]).toEqual([6, 40000, 8080, 1, FRAGMENT.none]);
    expect(tcpFlagsText(p.tcpFlags)).toBe('S.');
    expect(formatIP(p.srcIP())).toBe('10.244.1.10');
    expect(p.toFlow()).toMatchObject({ protocol: 6, port: 8080 });
  });

  test('UDP, SCTP, ICMP echo (id), ICMP error (no id), unknown protocol (no ports)', () => {
    expect(ok(ipv4({ protocol: 17 }, udp(53000, 53)))).toMatchObject({ protocol: 17, srcPort: 53000, dstPort: 53 });
    expect(ok(ipv4({ protocol: 132 }, sctp(5000, 9)))).toMatchObject({ protocol: 132, srcPort: 5000, dstPort: 9 });
    expect(ok(ipv4({ protocol: 1 }, icmp(8, 0, 0xbeef)))).toMatchObject({ icmpType: 8, icmpCode: 0, icmpId: 0xbeef, hasL4: 1 });
    expect(ok(ipv4({ protocol: 1 }, icmp(3, 3).slice(0, 4)))).toMatchObject({ icmpType: 3, icmpCode: 3, icmpId: -1 });
    const gre = ok(ipv4({ protocol: 47 }, [0, 0, 8, 0]));
    expect([gre.protocol, gre.hasL4, gre.srcPort, gre.dstPort]).toEqual([47, 0, 0, 0]);
    expect(gre.toFlow().port).toBeUndefined();
  });

  test('options: the L4 header starts after IHL*4 bytes', () => {
    const p = ok(ipv4({ protocol: 6, options: [0x94, 4, 0, 0, 1, 1, 1, 0] }, tcp(1, 2)));
    expect([p.l4Offset, p.srcPort, p.dstPort]).toEqual([28, 1, 2]);
  });

  test('fragments: the first carries L4, later ones only their protocol', () => {
    const first = ok(ipv4({ protocol: 17, more: true, id: 77 }, udp(1000, 5353, new Array(16).fill(0))));
    expect([first.fragment, first.hasL4, first.dstPort, first.fragmentId]).toEqual([FRAGMENT.first, 1, 5353, 77]);
    const later = ok(ipv4({ protocol: 17, fragOffset: 24, id: 77 }, [1, 2, 3, 4]));
    expect([later.fragment, later.hasL4, later.protocol, later.dstPort, later.fragmentOffset]).toEqual([FRAGMENT.later, 0, 17, 0, 24]);
    expect(later.toFlow()).toEqual({ src: later.srcIP(), dst: later.dstIP(), protocol: 17 });
    // The last fragment (MF clear, offset > 0) is still a later fragment.
    expect(ok(ipv4({ protocol: 6, fragOffset: 8 }, [0])).fragment).toBe(FRAGMENT.later);
    // A later fragment too short for any L4 header is fine: nothing is read from it.
    expect(ok(ipv4({ protocol: 6, fragOffset: 1480 }, [])).fragment).toBe(FRAGMENT.later);
    // A first fragment that ends inside the TCP options is not malformed.
    expect(ok(ipv4({ protocol: 6, more: true }, tcp(1, 2, TCP_FLAGS.S, [], new Array(20).fill(1)).slice(0, 24))).dstPort).toBe(2);
  });

  test('Ethernet padding after the total length is ignored', () => {
    const p = ipv4({ protocol: 17 }, udp(1, 2));
    const padded = new Uint8Array(60);
    padded.set(p);
    expect(ok(padded)).toMatchObject({ dstPort: 2, ipEnd: p.length });
  });

  test.each([
    ['empty', new Uint8Array(0), 'too-short'],
    ['19 bytes', ipv4({ protocol: 6 }, tcp(1, 2)).slice(0, 19), 'too-short'],
    ['version 5', Uint8Array.from([0x55, ...new Array(39).fill(0)]), 'bad-version'],
    [
      'IHL 4',
      (() => {
        const b = ipv4({ protocol: 6 }, tcp(1, 2));
        b[0] = 0x44;
        return b;
      })(),
      'bad-header-length',
    ],
    [
      'IHL beyond total length',
      (() => {
        const b = ipv4({ protocol: 6, totalLength: 24 }, [0, 0, 0, 0]);
        b[0] = 0x47;
        return b;
      })(),
      'bad-header-length',
    ],
    ['total length 0', ipv4({ protocol: 6, totalLength: 0 }, tcp(1, 2)), 'bad-total-length'],
    ['total length past the bytes', ipv4({ protocol: 6, totalLength: 100 }, tcp(1, 2)), 'bad-total-length'],
    ['TCP cut at 19 bytes', ipv4({ protocol: 6 }, tcp(1, 2).slice(0, 19)), 'truncated-l4'],
    [
      'TCP data offset 4',
      ipv4(
        { protocol: 6 },
        (() => {
          const t = tcp(1, 2);
          t[12] = 0x40;
          return t;
        })(),
      ),
      'bad-l4-header',
    ],
    [
      'TCP data offset past the packet',
      ipv4(
        { protocol: 6 },
        (() => {
          const t = tcp(1, 2);
          t[12] = 0xf0;
          return t;
        })(),
      ),
      'bad-l4-header',
    ],
    ['UDP cut at 7 bytes', ipv4({ protocol: 17 }, udp(1, 2).slice(0, 7)), 'truncated-l4'],
    ['SCTP cut at 11 bytes', ipv4({ protocol: 132 }, sctp(1, 2).slice(0, 11)), 'truncated-l4'],
    ['ICMP cut at 3 bytes', ipv4({ protocol: 1 }, icmp(8).slice(0, 3)), 'truncated-l4'],
    ['ICMP echo without its id', ipv4({ protocol: 1 }, icmp(8).slice(0, 5)), 'truncated-l4'],
    ['first fragment too short for UDP', ipv4({ protocol: 17, more: true }, [0, 1, 0]), 'truncated-l4'],
  ])('malformed: %s → %s', (_name, bytes, expected) => {
    expect(reason(bytes)).toBe(expected);
  });

  test('a capture-truncated packet (snaplen): lengths checked against the wire length', () => {
    const full = ipv4({ protocol: 6 }, tcp(1, 8080, TCP_FLAGS.A, new Array(1000).fill(7)));
    const cut = full.slice(0, 54);
    expect(reason(cut)).toBe('bad-total-length');
    expect(ok(cut, full.length).dstPort).toBe(8080);
    expect(reason(full.slice(0, 30), full.length)).toBe('truncated-l4');
  });
});

describe('IPv6', () => {
  test('TCP with the full address in four words', () => {
    const p = ok(ipv6({ protocol: 6, src: 'fd00:10:244:1::10', dst: '2001:db8::1' }, tcp(5000, 443)));
    expect([...p.src]).toEqual([0xfd000010, 0x02440001, 0, 0x10]);
    expect(formatIP(p.dstIP())).toBe('2001:db8::1');
    expect([p.family, p.protocol, p.dstPort, p.l4Offset]).toEqual([6, 6, 443, 40]);
  });

  test('the extension chain: hop-by-hop, routing, destination options, AH (4-byte units + 2)', () => {
    const p = ok(ipv6({ protocol: 17, ext: [{ kind: 'hop' }, { kind: 'routing', len: 2 }, { kind: 'dest', len: 1 }, { kind: 'ah', len: 4 }] }, udp(1, 53)));
    expect([p.protocol, p.dstPort, p.l4Offset]).toEqual([17, 53, 40 + 8 + 24 + 16 + 24]);
  });

  test('fragment header: first fragment keeps walking, later ones stop with the protocol', () => {
    const first = ok(ipv6({ protocol: 58, ext: [{ kind: 'fragment', offset: 0, more: true, id: 99 }] }, icmp(128, 0, 7)));
    expect([first.fragment, first.icmpType, first.icmpId, first.fragmentId]).toEqual([FRAGMENT.first, 128, 7, 99]);
    const later = ok(ipv6({ protocol: 58, ext: [{ kind: 'hop' }, { kind: 'fragment', offset: 1448, more: false }] }, [1, 2, 3]));
    expect([later.fragment, later.protocol, later.hasL4, later.icmpType, later.fragmentOffset]).toEqual([FRAGMENT.later, 58, 0, -1, 1448]);
    // An atomic fragment (offset 0, M clear; RFC 6946) is a whole packet.
    const atomic = ok(ipv6({ protocol: 6, ext: [{ kind: 'fragment', offset: 0, more: false }] }, tcp(1, 22)));
    expect([atomic.fragment, atomic.dstPort]).toEqual([FRAGMENT.none, 22]);
    // Headers after the fragment header in a first fragment are walked too.
    expect(ok(ipv6({ protocol: 6, ext: [{ kind: 'fragment', offset: 0, more: true }, { kind: 'dest' }] }, tcp(1, 23))).dstPort).toBe(23);
  });

  test('ESP and no-next-header end the chain without ports', () => {
    const esp = ok(ipv6({ protocol: 50, ext: [{ kind: 'dest' }] }, [0, 0, 1, 0, 0, 0, 0, 1]));
    expect([esp.protocol, esp.hasL4, esp.l4Offset]).toEqual([50, 0, 48]);
    const none = ok(ipv6({ protocol: 59 }, []));
    expect([none.protocol, none.hasL4]).toEqual([59, 0]);
  });

  test('ICMPv6 neighbour discovery has a type and no id; ICMP (1) inside IPv6 is not parsed as ICMP', () => {
    expect(ok(ipv6({ protocol: 58 }, icmp(135).slice(0, 4)))).toMatchObject({ icmpType: 135, icmpId: -1 });
    expect(ok(ipv6({ protocol: 1 }, icmp(8)))).toMatchObject({ protocol: 1, hasL4: 0, icmpType: -1 });
  });

  test.each([
    ['39 bytes', ipv6({ protocol: 6 }, []).slice(0, 39), 'too-short'],
    ['payload length past the bytes', ipv6({ protocol: 6, payloadLength: 100 }, tcp(1, 2)), 'bad-total-length'],
    [
      'extension header cut in its first 8 bytes',
      ipv6({ protocol: 6, ext: [{ kind: 'hop' }], payloadLength: 4 }, []).slice(0, 44),
      'truncated-extension-header',
    ],
    [
      'extension length past the packet',
      ipv6({ protocol: 6, ext: [{ kind: 'routing', len: 10 }], payloadLength: 20 }, []).slice(0, 60),
      'truncated-extension-header',
    ],
    ['AH length past the packet', ipv6({ protocol: 6, ext: [{ kind: 'ah', len: 6 }], payloadLength: 10 }, []).slice(0, 50), 'truncated-extension-header'],
    [
      'fragment header cut',
      ipv6({ protocol: 6, ext: [{ kind: 'fragment', offset: 8, more: false }], payloadLength: 6 }, []).slice(0, 46),
      'truncated-extension-header',
    ],
    ['hop-by-hop after another header', ipv6({ protocol: 6, ext: [{ kind: 'dest' }, { kind: 'hop' }] }, tcp(1, 2)), 'bad-extension-header'],
    ['TCP cut', ipv6({ protocol: 6, ext: [{ kind: 'dest' }] }, tcp(1, 2).slice(0, 10)), 'truncated-l4'],
    ['ICMPv6 echo cut before the id', ipv6({ protocol: 58 }, icmp(129).slice(0, 6)), 'truncated-l4'],
  ])('malformed: %s → %s', (_name, bytes, expected) => {
    expect(reason(bytes)).toBe(expected);
  });
});

describe('the reusable form', () => {
  test('parsePacketInto overwrites every field of a reused object', () => {
    const p = new ParsedPacket();
    expect(parsePacketInto(ipv6({ protocol: 58, ext: [{ kind: 'fragment', offset: 0, more: true }] }, icmp(128, 0, 5)), p)).toBe(0);
    expect(p.icmpId).toBe(5);
    expect(parsePacketInto(ipv4({ protocol: 6 }, tcp(1, 2)), p)).toBe(0);
    expect([p.family, p.icmpType, p.icmpId, p.fragment, p.fragmentId, p.src[1], p.error]).toEqual([4, -1, -1, 0, 1, 0, 0]);
    expect(parsePacketInto(new Uint8Array([0x45]), p)).toBe(1);
    expect([p.error, p.reason, p.hasL4, p.protocol]).toEqual([1, 'too-short', 0, 0]);
  });

  test('clone is independent of later parses', () => {
    const p = new ParsedPacket();
    parsePacketInto(ipv4({ protocol: 6, src: '1.2.3.4' }, tcp(1, 2)), p);
    const c = p.clone();
    parsePacketInto(ipv4({ protocol: 6, src: '5.6.7.8' }, tcp(3, 4)), p);
    expect([formatIP(c.srcIP()), c.srcPort]).toEqual(['1.2.3.4', 1]);
  });
});

// Structured packets: any valid chain of extension headers, any L4 protocol.
const extArb: fc.Arbitrary<Ext> = fc.oneof(
  fc.record({ kind: fc.constantFrom('routing' as const, 'dest' as const), len: fc.integer({ min: 0, max: 4 }) }),
  fc.record({ kind: fc.constant('ah' as const), len: fc.integer({ min: 1, max: 6 }) }),
);
const l4Arb = fc.oneof(
  fc.record({ protocol: fc.constant(6), sport: fc.nat(65535), dport: fc.nat(65535), flags: fc.nat(255) }),
  fc.record({ protocol: fc.constant(17), sport: fc.nat(65535), dport: fc.nat(65535), flags: fc.constant(0) }),
  fc.record({ protocol: fc.constant(132), sport: fc.nat(65535), dport: fc.nat(65535), flags: fc.constant(0) }),
);
const l4Bytes = (l: { protocol: number; sport: number; dport: number; flags: number }): number[] =>
  l.protocol === 6 ? tcp(l.sport, l.dport, l.flags) : l.protocol === 17 ? udp(l.sport, l.dport) : sctp(l.sport, l.dport);

describe('properties', () => {
  test('IPv6: any chain of extension headers yields the L4 ports at the end of the chain', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.array(extArb, { maxLength: 6 }), l4Arb, (hop, chain, l) => {
        const ext: Ext[] = [...(hop ? [{ kind: 'hop' as const }] : []), ...chain];
        const p = ok(ipv6({ protocol: l.protocol, ext }, l4Bytes(l)));
        expect([p.protocol, p.srcPort, p.dstPort, p.tcpFlags]).toEqual([l.protocol, l.sport, l.dport, l.protocol === 6 ? l.flags : 0]);
      }),
      { numRuns: runs(300) },
    );
  });

  test('IPv4 and IPv6: cutting a valid packet anywhere gives a malformed reason, never an exception', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.array(extArb, { maxLength: 3 }), l4Arb, fc.nat(), (six, ext, l, cutSeed) => {
        const full = six ? ipv6({ protocol: l.protocol, ext }, l4Bytes(l)) : ipv4({ protocol: l.protocol }, l4Bytes(l));
        const cut = cutSeed % full.length;
        const r = parsePacket(full.subarray(0, cut));
        expect(r.ok).toBe(false);
        if (!r.ok) expect(['too-short', 'bad-total-length', 'truncated-l4', 'truncated-extension-header']).toContain(r.reason);
        // With the wire length known, the cut is fine as long as the L4 header was captured.
        const known = parsePacket(full.subarray(0, cut), full.length);
        if (known.ok) expect(known.packet.dstPort).toBe(l.dport);
      }),
      { numRuns: runs(500) },
    );
  });

  test('every malformed reason has a name', () => {
    expect(MALFORMED_REASONS.length).toBe(9);
    expect(new Set(MALFORMED_REASONS).size).toBe(MALFORMED_REASONS.length);
  });
});
