// parseIP / formatIP / parseCIDR / cidrContains / formatCIDR against independent
// implementations: ip-num and netmask for CIDRs, Node's net.isIP and the WHATWG URL
// serialiser for address text.
import { isIP } from 'node:net';
import fc from 'fast-check';
import { IPv4, IPv4CidrRange, IPv6, IPv6CidrRange } from 'ip-num';
import netmask from 'netmask';
import { describe, expect, test } from 'vitest';
import { cidrContains, formatCIDR, formatIP, parseCIDR, parseIP, type CIDR } from '@netpol/core';

const { Netmask } = netmask;
const V4_MAX = (1n << 32n) - 1n;
const V6_MAX = (1n << 128n) - 1n;
const isMapped = (v: bigint): boolean => v >> 32n === 0xffffn;

// ---- generators ------------------------------------------------------------------------

/** Addresses biased towards a few interesting values. */
const v4 = fc.oneof(
  fc.bigInt({ min: 0n, max: V4_MAX }),
  fc.constantFrom(0n, V4_MAX, 0x0a000000n, 0x0a0000ffn, 0xc0a80100n, 0x7f000001n, 0x80000000n, 0x7fffffffn),
);
const group = fc.oneof(fc.constant(0n), fc.constant(0xffffn), fc.bigInt({ min: 0n, max: 0xffffn }));
/** IPv6 values with long zero runs, so that `::` compression is exercised. */
const v6 = fc.oneof(
  fc.array(group, { minLength: 8, maxLength: 8 }).map((gs) => gs.reduce((acc, g) => (acc << 16n) | g, 0n)),
  fc.bigInt({ min: 0n, max: V6_MAX }),
  fc.constantFrom(0n, 1n, V6_MAX, 0x20010db8n << 96n, 0xfe80n << 112n, 0xffff01020304n, 0xffff00000000n),
);
const v6NotMapped = v6.filter((v) => !isMapped(v));

/** A second address that often shares a long prefix with the first. */
const near = (bits: number, base: bigint) =>
  fc.oneof(
    fc.tuple(fc.integer({ min: 0, max: bits }), fc.bigInt({ min: 0n, max: (1n << BigInt(bits)) - 1n })).map(([k, r]) => base ^ (r & ((1n << BigInt(k)) - 1n))),
    fc.bigInt({ min: 0n, max: (1n << BigInt(bits)) - 1n }),
  );

// ---- independent text forms ------------------------------------------------------------

const dotted = (v: bigint): string => IPv4.fromNumber(v).toString();
const groupsOf = (v: bigint): number[] => Array.from({ length: 8 }, (_, i) => Number((v >> BigInt((7 - i) * 16)) & 0xffffn));
/** Fully expanded, lower case, no leading zeros: `0:0:0:0:0:0:0:1`. */
const expanded = (v: bigint): string =>
  groupsOf(v)
    .map((g) => g.toString(16))
    .join(':');
/** RFC 5952 text by the WHATWG URL serialiser (IPv4-mapped addresses come out in hex). */
const whatwg = (v: bigint): string => new URL(`http://[${expanded(v)}]/`).hostname.slice(1, -1);

/**
 * Any legal spelling of an IPv6 value: `::` on any zero run (or none), random case,
 * leading zeros, and optionally the last 32 bits as a dotted quad.
 */
const spelling = (v: bigint) =>
  fc
    .record({
      compress: fc.nat(),
      upper: fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }),
      pad: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 8, maxLength: 8 }),
      dottedTail: fc.boolean(),
    })
    .map(({ compress, upper, pad, dottedTail }) => {
      const gs = groupsOf(v).map((g, i) => {
        const h = g.toString(16);
        const padded = '0'.repeat(Math.max(0, Math.min(pad[i]!, 4 - h.length))) + h;
        return upper[i] ? padded.toUpperCase() : padded;
      });
      let tail: string[] = [];
      let head = gs;
      if (dottedTail) {
        head = gs.slice(0, 6);
        tail = [dotted(v & 0xffffffffn)];
      }
      // Zero runs among the hex groups (length >= 1; a single zero group may also be "::").
      const runs: [number, number][] = [];
      for (let i = 0; i < head.length; ) {
        if (groupsOf(v)[i] !== 0) {
          i++;
          continue;
        }
        let j = i;
        while (j < head.length && groupsOf(v)[j] === 0) j++;
        for (let s = i; s < j; s++) for (let e = s + 1; e <= j; e++) runs.push([s, e]);
        i = j;
      }
      const choice = compress % (runs.length + 1);
      if (choice === runs.length) return [...head, ...tail].join(':');
      const [s, e] = runs[choice]!;
      const left = head.slice(0, s).join(':');
      const right = [...head.slice(e), ...tail].join(':');
      return `${left}::${right}`;
    });

// ---- IPv4 CIDRs --------------------------------------------------------------------------

describe('IPv4 CIDRs against netmask and ip-num', () => {
  test('parse, mask, format and containment agree', () => {
    fc.assert(
      fc.property(
        v4.chain((a) => fc.tuple(fc.constant(a), fc.integer({ min: 0, max: 32 }), near(32, a))),
        ([a, prefix, x]) => {
          const text = `${dotted(a)}/${prefix}`;
          const r = parseCIDR(text);
          expect(r.ok).toBe(true);
          if (!r.ok) return;
          const nm = new Netmask(text);
          const range = IPv4CidrRange.fromCidr(text);
          expect(r.cidr.family).toBe(4);
          expect(formatCIDR(r.cidr)).toBe(`${nm.base}/${nm.bitmask}`);
          expect(r.cidr.base).toBe(range.getFirst().getValue());
          expect(r.legacy.hostBits).toBe(r.cidr.base !== a);
          const addr = parseIP(dotted(x));
          expect(addr).toEqual({ family: 4, value: x });
          const ours = cidrContains(r.cidr, addr!);
          expect(ours).toBe(nm.contains(dotted(x)));
          expect(ours).toBe(range.contains(IPv4.fromNumber(x)));
          // The masked network re-parses to itself, with no host bits.
          const again = parseCIDR(formatCIDR(r.cidr));
          expect(again).toEqual({ ok: true, cidr: r.cidr, written: r.cidr.prefix, legacy: { leadingZeros: false, ipv4Mapped: false, hostBits: false } });
        },
      ),
    );
  });

  test('an IPv4 CIDR never contains an IPv6 address (not even 0.0.0.0/0 and IPv4-mapped ones)', () => {
    fc.assert(
      fc.property(v4, fc.integer({ min: 0, max: 32 }), v6, (a, prefix, x) => {
        const r = parseCIDR(`${dotted(a)}/${prefix}`);
        expect(r.ok && cidrContains(r.cidr, { family: 6, value: x })).toBe(false);
      }),
    );
  });
});

// ---- IPv6 CIDRs --------------------------------------------------------------------------

describe('IPv6 CIDRs against ip-num', () => {
  test('parse (any spelling), mask, format and containment agree', () => {
    fc.assert(
      fc.property(
        v6NotMapped.chain((a) => fc.tuple(fc.constant(a), spelling(a), fc.integer({ min: 0, max: 128 }), near(128, a))),
        ([a, text, prefix, x]) => {
          const r = parseCIDR(`${text}/${prefix}`);
          expect(r.ok).toBe(true);
          if (!r.ok) return;
          const range = IPv6CidrRange.fromCidr(`${expanded(a)}/${prefix}`);
          expect(r.cidr.family).toBe(6);
          expect(r.cidr.prefix).toBe(prefix);
          expect(r.cidr.base).toBe(range.getFirst().getValue());
          expect(r.legacy.hostBits).toBe(r.cidr.base !== a);
          expect(r.legacy.ipv4Mapped).toBe(false);
          const c6: CIDR = r.cidr;
          if (!isMapped(c6.base)) expect(formatCIDR(c6)).toBe(`${whatwg(c6.base)}/${prefix}`);
          expect(cidrContains(c6, { family: 6, value: x })).toBe(range.contains(IPv6.fromBigInt(x)));
          expect(cidrContains(c6, { family: 4, value: x & V4_MAX })).toBe(false);
        },
      ),
    );
  });

  test('::/0 contains every IPv6 address and no IPv4 address', () => {
    const all = parseCIDR('::/0');
    expect(all.ok).toBe(true);
    if (!all.ok) return;
    fc.assert(
      fc.property(v6, v4, (x, y) => {
        expect(cidrContains(all.cidr, { family: 6, value: x })).toBe(true);
        expect(cidrContains(all.cidr, { family: 4, value: y })).toBe(false);
      }),
    );
  });
});

// ---- IPv4-mapped CIDRs (legacy form, §2.10 and §3.5: Go's ParseCIDRSloppy) -------------

describe('IPv4-mapped IPv6 CIDRs evaluate as Go does', () => {
  test('::ffff:1.2.3.0/120 is IPv4 1.2.3.0/24 (spec §2.10 example)', () => {
    const r = parseCIDR('::ffff:1.2.3.0/120');
    expect(r).toMatchObject({ ok: true, legacy: { ipv4Mapped: true } });
    if (r.ok) expect(formatCIDR(r.cidr)).toBe('1.2.3.0/24');
  });

  test('prefix >= 96: the IPv4 CIDR of prefix-96, as netmask computes it', () => {
    fc.assert(
      fc.property(v4, fc.integer({ min: 96, max: 128 }), v4, (a, prefix, x) => {
        const r = parseCIDR(`::ffff:${dotted(a)}/${prefix}`);
        expect(r.ok).toBe(true);
        if (!r.ok) return;
        const nm = new Netmask(`${dotted(a)}/${prefix - 96}`);
        expect(formatCIDR(r.cidr)).toBe(`${nm.base}/${prefix - 96}`);
        expect(cidrContains(r.cidr, { family: 4, value: x })).toBe(nm.contains(dotted(x)));
      }),
    );
  });

  test('prefix < 96: Go masks the 16-byte address first, so the network is IPv6, never IPv4 0.0.0.0/0', () => {
    // ParseCIDRSloppy: IPNet{IP: ip.Mask(m)} with a 16-byte mask clears the ffff marker, and
    // IPNet.Contains then treats the network as IPv6 (To4() is nil).
    fc.assert(
      fc.property(v4, fc.integer({ min: 0, max: 95 }), v6, v4, (a, prefix, x, y) => {
        const text = `::ffff:${dotted(a)}/${prefix}`;
        const r = parseCIDR(text);
        expect(r.ok).toBe(true);
        if (!r.ok) return;
        const range = IPv6CidrRange.fromCidr(`${expanded(0xffff00000000n | a)}/${prefix}`);
        expect(r.cidr.family).toBe(6);
        expect(r.cidr.base).toBe(range.getFirst().getValue());
        expect(cidrContains(r.cidr, { family: 4, value: y })).toBe(false);
        expect(cidrContains(r.cidr, { family: 6, value: x })).toBe(range.contains(IPv6.fromBigInt(x)));
      }),
    );
  });
});

// ---- address text ------------------------------------------------------------------------

describe('address parse/format round trips', () => {
  test('IPv4: formatIP is the dotted quad, and parses back', () => {
    fc.assert(
      fc.property(v4, (v) => {
        const text = formatIP({ family: 4, value: v });
        expect(text).toBe(dotted(v));
        expect(parseIP(text)).toEqual({ family: 4, value: v });
      }),
    );
  });

  test('IPv6: formatIP is RFC 5952 (WHATWG serialiser), mapped addresses use a dotted tail, and it parses back', () => {
    fc.assert(
      fc.property(v6, (v) => {
        const text = formatIP({ family: 6, value: v });
        expect(text).toBe(isMapped(v) ? `::ffff:${dotted(v & V4_MAX)}` : whatwg(v));
        expect(parseIP(text)).toEqual({ family: 6, value: v });
        expect(isIP(text)).toBe(6);
      }),
    );
  });

  test('IPv6: every legal spelling parses to the same value', () => {
    fc.assert(
      fc.property(
        v6.chain((v) => fc.tuple(fc.constant(v), spelling(v))),
        ([v, text]) => {
          expect(isIP(text)).toBe(6); // the generator only makes legal text
          expect(parseIP(text)).toEqual({ family: 6, value: v });
        },
      ),
    );
  });

  test('known compressions', () => {
    const cases: [string, string][] = [
      ['0:0:0:0:0:0:0:0', '::'],
      ['0:0:0:0:0:0:0:1', '::1'],
      ['1:0:0:0:0:0:0:0', '1::'],
      ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // first of two equal runs
      ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'], // the longest run
      ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // a single zero group is not compressed
      ['2001:DB8::0001', '2001:db8::1'],
      ['::ffff:1.2.3.4', '::ffff:1.2.3.4'],
      ['::ffff:102:304', '::ffff:1.2.3.4'],
      ['::1.2.3.4', '::102:304'],
      ['1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:0'],
      ['::2:3:4:5:6:7:8', '0:2:3:4:5:6:7:8'],
    ];
    for (const [input, canonical] of cases) {
      const ip = parseIP(input);
      expect(ip, input).toBeDefined();
      expect(formatIP(ip!), input).toBe(canonical);
    }
  });
});

describe('rejected address text', () => {
  test.each([
    '0x7f.1',
    '0x7f.0.0.1',
    '127.1',
    '1.2.3',
    '1.2.3.4.5',
    '01.2.3.4',
    '1.2.3.04',
    '1.2.3.00',
    '256.0.0.0',
    '1.2.3.-4',
    '+1.2.3.4',
    '1..3.4',
    '1.2.3.4.',
    ' 1.2.3.4',
    '1.2.3.4 ',
    '1.2.3.4\n',
    '\t::1',
    ':: 1',
    '1.2. 3.4',
    'fe80::1%eth0',
    'fe80::1%1',
    '::1%',
    '[::1]',
    '::1::',
    '1::2::3',
    '12345::',
    'g::',
    '1:2:3:4:5:6:7:8:9',
    '1:2:3:4:5:6:7',
    ':1:2:3:4:5:6:7',
    '1:2:3:4:5:6:7:',
    ':::',
    '::01.2.3.4',
    '::1.2.3',
    '::1.2.3.4:5',
    '1.2.3.4::',
    '1:2:3:4:5:6:7:1.2.3.4',
    '1:2:3:4:5:6::1.2.3.4',
    '',
    '1.2.3.4/32',
    'localhost',
  ])('parseIP(%j) is undefined', (text) => {
    expect(parseIP(text)).toBeUndefined();
  });

  test.each([
    '1.2.3.4',
    '1.2.3.4/',
    '/24',
    '1.2.3.4/33',
    '::/129',
    '1.2.3.4/-1',
    '1.2.3.4/+8',
    '1.2.3.4/ 8',
    '1.2.3.4 /8',
    '1.2.3.4/8 ',
    ' 1.2.3.4/8',
    '1.2.3.4/healthz',
    '1.2.3.4/0/99',
    '1.2.3.4/8.0',
    '0x7f.1/8',
    '127.1/8',
    '1.2.3/24',
    'fe80::1%eth0/64',
    '[::]/0',
    '::/1000000',
    '300.300.300.300/24',
  ])('parseCIDR(%j) fails', (text) => {
    expect(parseCIDR(text).ok).toBe(false);
  });

  test('leading zeros are a legacy form of parseCIDR, never accepted by strict parseIP', () => {
    const r = parseCIDR('010.1.2.0/24');
    expect(r).toMatchObject({ ok: true, legacy: { leadingZeros: true } });
    if (r.ok) expect(formatCIDR(r.cidr)).toBe('10.1.2.0/24');
    expect(parseCIDR('10.1.2.0/024')).toMatchObject({ ok: true, legacy: { leadingZeros: true } });
    expect(parseIP('010.1.2.0')).toBeUndefined();
  });

  const alphabet = fc.constantFrom(...'0123456789abcdefABCDEFx.: /-+'.split(''));
  const mutate = (text: string) =>
    fc.tuple(fc.nat(), fc.constantFrom('insert', 'delete', 'replace'), alphabet).map(([i, op, ch]) => {
      const at = i % (text.length + 1);
      if (op === 'insert') return text.slice(0, at) + ch + text.slice(at);
      if (op === 'delete') return text.slice(0, at) + text.slice(at + 1);
      return text.slice(0, at) + ch + text.slice(at + 1);
    });

  test('mutated addresses: parseIP accepts exactly what net.isIP accepts (no zones here)', () => {
    const source = fc.oneof(v4.map(dotted), v6.chain(spelling));
    fc.assert(
      fc.property(
        source.chain((t) => fc.tuple(fc.constant(t), mutate(t))),
        ([, text]) => {
          const ip = parseIP(text);
          expect(ip !== undefined).toBe(isIP(text) !== 0);
          if (ip) expect(ip.family).toBe(isIP(text));
        },
      ),
    );
  });

  test('whitespace or a zone anywhere makes an address or CIDR invalid', () => {
    fc.assert(
      fc.property(fc.oneof(v4.map(dotted), v6.chain(spelling)), fc.nat(), fc.constantFrom(' ', '\t', '\n', '%eth0', '%1'), (text, i, junk) => {
        const at = junk.startsWith('%') ? text.length : i % (text.length + 1);
        const bad = text.slice(0, at) + junk + text.slice(at);
        expect(parseIP(bad)).toBeUndefined();
        expect(parseCIDR(`${bad}/8`).ok).toBe(false);
      }),
    );
  });
});
