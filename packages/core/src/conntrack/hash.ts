/**
 * The conntrack table's bucket hash: HalfSipHash-1-3 (SipHash's 32-bit variant, one
 * compression and three finalization rounds; Linux's `hsiphash` on 32-bit machines), keyed
 * by a 64-bit secret drawn per table, over the tuple's words and its tag.
 *
 * Why keyed: with fixed public constants anyone who can send packets can compute tuples
 * that land in one bucket and turn every lookup into a walk of the whole chain (65,536
 * crafted SYNs cost about 750× the normal time per packet). Linux keys its conntrack hash
 * with siphash and a boot-time secret for the same reason.
 *
 * What an attacker who cannot read the key can and cannot do. HalfSipHash is a keyed
 * pseudo-random function: without the key, the bucket of a tuple is unpredictable, and so is
 * whether two tuples share one, so a flood, however its tuples are chosen, spreads like
 * random traffic. A collision learnt some other way (timing, or noticing a connection
 * refused by a full chain) says nothing about any other tuple: each further one costs the
 * same search again, and a chain can never exceed MAX_CHAIN anyway. Cheaper keyed families
 * fail here. A multiply-xorshift keyed by xoring a seed in has key-independent collisions
 * (flipping the top bit of two words cancels through the multiplications). Keyed tabulation
 * hashing (an xor of one random table entry per tuple byte: 12 lookups for IPv4, several
 * times faster in JavaScript) is unpredictable for tuples chosen in advance, but linear over
 * xor: one observed collision between tuples a and b gives a collision for every pair that
 * differs from each other as a and b do, in the same bytes, whatever their other bytes, and
 * k such collisions in disjoint bytes give 2^k tuples in one bucket, in as many buckets as
 * the free bytes allow: enough to fill every chain to MAX_CHAIN, where each new connection
 * is refused, from a handful of observations. A PRF has no such structure to exploit.
 *
 * The price is the hash itself: seven SipRounds for an IPv4 tuple, about 15 ns in
 * JavaScript against 2 ns for the old multiply-xorshift, kept there by hashing IPv4 tuples
 * straight from their arrays in unrolled code and boxing nothing.
 */
import { getRandomValues } from 'node:crypto';

/** A table's hash key: two unsigned 32-bit words. */
export type HashSeed = readonly [number, number];

/** A fresh random key (node:crypto). */
export function randomSeed(): HashSeed {
  const w = getRandomValues(new Uint32Array(2));
  return [w[0]!, w[1]!];
}

const rotl = (x: number, b: number): number => (x << b) | (x >>> (32 - b));

/**
 * HalfSipHash-1-3 of the message words w[0..count-1], the last of which carries the length
 * byte (and the tail bytes): one SipRound per word, then 3 finalization rounds. int32 result.
 */
function sipWords(key: Int32Array, w: Int32Array, count: number): number {
  const k0 = key[0]!;
  const k1 = key[1]!;
  let v0 = k0;
  let v1 = k1;
  let v2 = 0x6c796765 ^ k0;
  let v3 = 0x74656462 ^ k1;
  for (let i = 0; i < count + 3; i++) {
    const m = i < count ? w[i]! : 0;
    v3 ^= m;
    v0 = (v0 + v1) | 0;
    v1 = rotl(v1, 5) ^ v0;
    v0 = rotl(v0, 16);
    v2 = (v2 + v3) | 0;
    v3 = rotl(v3, 8) ^ v2;
    v0 = (v0 + v3) | 0;
    v3 = rotl(v3, 7) ^ v0;
    v2 = (v2 + v1) | 0;
    v1 = rotl(v1, 13) ^ v2;
    v2 = rotl(v2, 16);
    v0 ^= m;
    if (i === count - 1) v2 ^= 0xff;
  }
  return v1 ^ v3;
}

/**
 * HalfSipHash-1-3 of a byte string, as specified (little-endian words, the length in the
 * last block's top byte): the definition, checked against the published test vectors.
 * The table hashes with `tupleHash`, the same function on a tuple without serializing it.
 * Unsigned 32-bit result.
 */
export function halfSipHash13(k0: number, k1: number, message: Uint8Array): number {
  const len = message.length;
  const full = len >> 2;
  const w = new Int32Array(full + 1);
  for (let i = 0; i < full; i++) w[i] = message[4 * i]! | (message[4 * i + 1]! << 8) | (message[4 * i + 2]! << 16) | (message[4 * i + 3]! << 24);
  w[full] = len << 24;
  for (let t = 0; t < (len & 3); t++) w[full] |= message[4 * full + t]! << (8 * t);
  return sipWords(Int32Array.of(k0, k1), w, full + 1) >>> 0;
}

/**
 * The table's bucket hash of one direction of a tuple: `halfSipHash13` keyed by `key` over
 * the little-endian 32-bit words (srcPort << 16) | dstPort, a[ao], b[bo] and, for IPv6,
 * a[ao+1], b[bo+1], a[ao+2], b[bo+2], a[ao+3], b[bo+3], then `tag`'s 2 bytes (16 bits
 * that set kinds of tuple apart: the table puts family and protocol in them).
 * Returns the low 30 bits: every argument and the result are small integers or arrays, so
 * a call the compiler does not inline boxes nothing (a 32-bit word passed or returned would
 * be a heap number per packet). Allocates nothing.
 */
export function tupleHash(
  key: Int32Array,
  family: number,
  tag: number,
  a: Uint32Array,
  ao: number,
  b: Uint32Array,
  bo: number,
  srcPort: number,
  dstPort: number,
): number {
  return family === 4 ? tupleHash4(key, tag, a, ao, b, bo, srcPort, dstPort) : tupleHash6(key, tag, a, ao, b, bo, srcPort, dstPort);
}

/**
 * IPv4, the hit path's one hash: the 14-byte message's four words in straight-line code,
 * every SipRound unrolled (one a line). Measured against `sipWords` over a scratch copy,
 * a fifth faster: no copy and no branch per round, and at ~15 ns this hash is most of what a
 * keyed table costs a hit over an unkeyed one.
 */
function tupleHash4(key: Int32Array, tag: number, a: Uint32Array, ao: number, b: Uint32Array, bo: number, srcPort: number, dstPort: number): number {
  const ports = (srcPort << 16) | dstPort;
  const src = a[ao]! | 0;
  const dst = b[bo]! | 0;
  const last = (14 << 24) | (tag & 0xffff); // 14 bytes: 3 words and the tag
  const k0 = key[0]!;
  const k1 = key[1]!;
  let v0 = k0;
  let v1 = k1;
  let v2 = 0x6c796765 ^ k0;
  let v3 = 0x74656462 ^ k1;
  v3 ^= ports;
  v0 = (v0 + v1) | 0;
  v1 = rotl(v1, 5) ^ v0;
  v0 = rotl(v0, 16);
  v2 = (v2 + v3) | 0;
  v3 = rotl(v3, 8) ^ v2;
  v0 = (v0 + v3) | 0;
  v3 = rotl(v3, 7) ^ v0;
  v2 = (v2 + v1) | 0;
  v1 = rotl(v1, 13) ^ v2;
  v2 = rotl(v2, 16);
  v0 ^= ports;
  v3 ^= src;
  v0 = (v0 + v1) | 0;
  v1 = rotl(v1, 5) ^ v0;
  v0 = rotl(v0, 16);
  v2 = (v2 + v3) | 0;
  v3 = rotl(v3, 8) ^ v2;
  v0 = (v0 + v3) | 0;
  v3 = rotl(v3, 7) ^ v0;
  v2 = (v2 + v1) | 0;
  v1 = rotl(v1, 13) ^ v2;
  v2 = rotl(v2, 16);
  v0 ^= src;
  v3 ^= dst;
  v0 = (v0 + v1) | 0;
  v1 = rotl(v1, 5) ^ v0;
  v0 = rotl(v0, 16);
  v2 = (v2 + v3) | 0;
  v3 = rotl(v3, 8) ^ v2;
  v0 = (v0 + v3) | 0;
  v3 = rotl(v3, 7) ^ v0;
  v2 = (v2 + v1) | 0;
  v1 = rotl(v1, 13) ^ v2;
  v2 = rotl(v2, 16);
  v0 ^= dst;
  v3 ^= last;
  v0 = (v0 + v1) | 0;
  v1 = rotl(v1, 5) ^ v0;
  v0 = rotl(v0, 16);
  v2 = (v2 + v3) | 0;
  v3 = rotl(v3, 8) ^ v2;
  v0 = (v0 + v3) | 0;
  v3 = rotl(v3, 7) ^ v0;
  v2 = (v2 + v1) | 0;
  v1 = rotl(v1, 13) ^ v2;
  v2 = rotl(v2, 16);
  v0 ^= last;
  v2 ^= 0xff;
  v0 = (v0 + v1) | 0;
  v1 = rotl(v1, 5) ^ v0;
  v0 = rotl(v0, 16);
  v2 = (v2 + v3) | 0;
  v3 = rotl(v3, 8) ^ v2;
  v0 = (v0 + v3) | 0;
  v3 = rotl(v3, 7) ^ v0;
  v2 = (v2 + v1) | 0;
  v1 = rotl(v1, 13) ^ v2;
  v2 = rotl(v2, 16);
  v0 = (v0 + v1) | 0;
  v1 = rotl(v1, 5) ^ v0;
  v0 = rotl(v0, 16);
  v2 = (v2 + v3) | 0;
  v3 = rotl(v3, 8) ^ v2;
  v0 = (v0 + v3) | 0;
  v3 = rotl(v3, 7) ^ v0;
  v2 = (v2 + v1) | 0;
  v1 = rotl(v1, 13) ^ v2;
  v2 = rotl(v2, 16);
  v0 = (v0 + v1) | 0;
  v1 = rotl(v1, 5) ^ v0;
  v0 = rotl(v0, 16);
  v2 = (v2 + v3) | 0;
  v3 = rotl(v3, 8) ^ v2;
  v0 = (v0 + v3) | 0;
  v3 = rotl(v3, 7) ^ v0;
  v2 = (v2 + v1) | 0;
  v1 = rotl(v1, 13) ^ v2;
  v2 = rotl(v2, 16);
  return (v1 ^ v3) & 0x3fffffff;
}

/** The IPv6 message's words (tupleHash6 fills it per call; nothing else holds it). */
const message6 = new Int32Array(10);

/** IPv6: the 38-byte message (nine words and the tag) through `sipWords`. */
function tupleHash6(key: Int32Array, tag: number, a: Uint32Array, ao: number, b: Uint32Array, bo: number, srcPort: number, dstPort: number): number {
  const w = message6;
  w[0] = (srcPort << 16) | dstPort;
  for (let i = 0; i < 4; i++) {
    w[1 + 2 * i] = a[ao + i]!;
    w[2 + 2 * i] = b[bo + i]!;
  }
  w[9] = (38 << 24) | (tag & 0xffff); // 38 bytes: 9 words and the tag
  return sipWords(key, w, 10) & 0x3fffffff;
}
