/**
 * The conntrack table's bucket hash: HalfSipHash-1-3 (SipHash's 32-bit variant, one
 * compression and three finalization rounds) over the tuple's 32-bit words, keyed by a
 * 64-bit secret drawn per table.
 *
 * Why keyed: with fixed public constants anyone who can send packets can compute tuples
 * that land in one bucket and turn every lookup into a walk of the whole chain (65,536
 * crafted SYNs cost about 750× the normal time per packet). Linux keys its conntrack hash
 * with siphash and a boot-time secret for the same reason. A multiply-xorshift keyed only
 * by xoring a seed in still lets an attacker build key-independent collisions (flipping the
 * top bit of two words cancels through the multiplications), so a real PRF it is.
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
 * Keyed hash of a tuple: `words` (the first `n` are hashed) and a final word that carries
 * what the words do not (their count, family, protocol tag). Unsigned 32-bit result.
 * Allocates nothing; the caller fills its own scratch array.
 */
export function halfSipHash13(k0: number, k1: number, words: Uint32Array, n: number, last: number): number {
  let v0 = k0 | 0;
  let v1 = k1 | 0;
  let v2 = 0x6c796765 ^ k0;
  let v3 = 0x74656462 ^ k1;
  for (let i = 0; i <= n; i++) {
    const m = i < n ? words[i]! : (last | (n << 24)) >>> 0;
    v3 ^= m;
    // one SipRound (c = 1)
    v0 = (v0 + v1) | 0; v1 = rotl(v1, 5) ^ v0; v0 = rotl(v0, 16);
    v2 = (v2 + v3) | 0; v3 = rotl(v3, 8) ^ v2;
    v0 = (v0 + v3) | 0; v3 = rotl(v3, 7) ^ v0;
    v2 = (v2 + v1) | 0; v1 = rotl(v1, 13) ^ v2; v2 = rotl(v2, 16);
    v0 ^= m;
  }
  v2 ^= 0xff;
  for (let r = 0; r < 3; r++) {
    v0 = (v0 + v1) | 0; v1 = rotl(v1, 5) ^ v0; v0 = rotl(v0, 16);
    v2 = (v2 + v3) | 0; v3 = rotl(v3, 8) ^ v2;
    v0 = (v0 + v3) | 0; v3 = rotl(v3, 7) ^ v0;
    v2 = (v2 + v1) | 0; v1 = rotl(v1, 13) ^ v2; v2 = rotl(v2, 16);
  }
  return (v1 ^ v3) >>> 0;
}
