// The longest-prefix-match trie against a linear scan, with netmask (IPv4) and ip-num
// (IPv6) as the containment oracle: Cilium's bitlpm fuzz pattern.
import fc from 'fast-check';
import { IPv6CidrRange, IPv6 } from 'ip-num';
import { Netmask } from 'netmask';
import { describe, expect, test } from 'vitest';
import { buildLPM, lookup4, lookup6 } from '../../packages/core/src/compile/lpm.js';

const dotted = (x: number): string => [24, 16, 8, 0].map((s) => (x >>> s) & 255).join('.');
const mask4 = (v: number, len: number): number => (len === 0 ? 0 : ((v >>> (32 - len)) << (32 - len)) >>> 0);

// Prefixes near a few bases so that they nest and overlap.
const bases4 = [0x0a000000, 0x0a010200, 0xc0a80000, 0x0a0102ff];
const prefix4 = fc
  .record({ base: fc.constantFrom(...bases4), jitter: fc.integer({ min: 0, max: 0xffff }), length: fc.integer({ min: 0, max: 32 }) })
  .map(({ base, jitter, length }) => ({ value: mask4((base ^ jitter) >>> 0, length), length }));
const addr4 = fc.oneof(
  fc.constantFrom(...bases4).chain((b) => fc.integer({ min: 0, max: 0x1ffff }).map((j) => (b ^ j) >>> 0)),
  fc.integer({ min: 0, max: 0xffffffff }),
);

describe('IPv4 trie = longest match of a linear scan (netmask as containment oracle)', () => {
  test('random nested prefix sets', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(prefix4, { selector: (p) => `${p.value}/${p.length}`, maxLength: 40 }),
        fc.array(addr4, { minLength: 1, maxLength: 60 }),
        (prefixes, addrs) => {
          const t = buildLPM(
            4,
            prefixes.map((p, i) => ({ value: BigInt(p.value), length: p.length, entry: i + 1 })),
            0,
          );
          const nets = prefixes.map((p) => new Netmask(`${dotted(p.value)}/${p.length}`));
          for (const a of addrs) {
            let best = -1;
            nets.forEach((n, i) => {
              if (n.contains(dotted(a)) && (best < 0 || prefixes[i]!.length > prefixes[best]!.length)) best = i;
            });
            expect(lookup4(t, a)).toBe(best + 1);
          }
        },
      ),
    );
  });
});

const toWords = (v: bigint): Uint32Array => Uint32Array.from([96n, 64n, 32n, 0n].map((s) => Number((v >> s) & 0xffffffffn)));
const mask6 = (v: bigint, len: number): bigint => (len === 0 ? 0n : (v >> BigInt(128 - len)) << BigInt(128 - len));
const bases6 = [0xfd00n << 112n, (0x20010db8n << 96n) | 0x1234n, (0xfd00n << 112n) | (0xffn << 64n)];
const big = fc.bigInt({ min: 0n, max: (1n << 128n) - 1n });
const prefix6 = fc
  .record({ base: fc.constantFrom(...bases6), jitter: fc.bigInt({ min: 0n, max: (1n << 80n) - 1n }), length: fc.integer({ min: 0, max: 128 }) })
  .map(({ base, jitter, length }) => ({ value: mask6(base ^ jitter, length), length }));
const addr6 = fc.oneof(
  fc.constantFrom(...bases6).chain((b) => fc.bigInt({ min: 0n, max: (1n << 72n) - 1n }).map((j) => b ^ j)),
  big,
);

describe('IPv6 trie = longest match of a linear scan (ip-num as containment oracle)', () => {
  test('random nested prefix sets', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(prefix6, { selector: (p) => `${p.value}/${p.length}`, maxLength: 30 }),
        fc.array(addr6, { minLength: 1, maxLength: 40 }),
        (prefixes, addrs) => {
          const t = buildLPM(
            6,
            prefixes.map((p, i) => ({ value: p.value, length: p.length, entry: i + 1 })),
            0,
          );
          const ranges = prefixes.map((p) => IPv6CidrRange.fromCidr(`${IPv6.fromBigInt(p.value).toString()}/${p.length}`));
          for (const a of addrs) {
            const ip = IPv6.fromBigInt(a);
            let best = -1;
            ranges.forEach((r, i) => {
              if (r.contains(IPv6CidrRange.fromCidr(`${ip.toString()}/128`)) && (best < 0 || prefixes[i]!.length > prefixes[best]!.length)) best = i;
            });
            expect(lookup6(t, toWords(a), 0)).toBe(best + 1);
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});
