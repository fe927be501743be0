/**
 * Longest-prefix match as a leaf-pushed multibit trie: a 16-bit root table, then 8-bit
 * chunks (IPv4 16-8-8: at most three reads; IPv6 16-8-...-8). A slot holds either an entry
 * id (leaf) or POINTER | index of a 256-slot child chunk. Built once from prefixes; the
 * kernels read it from the image.
 */
import type { Family } from '../ip/address.js';
import { CapacityError } from '../model/limits.js';

export const POINTER = 0x80000000;
export const ROOT_SLOTS = 65536;
const CHUNK = 256;

export interface Prefix {
  /** The address as a bigint (32 or 128 bits), masked to `length`. */
  readonly value: bigint;
  readonly length: number;
  readonly entry: number;
}

class Nodes {
  data: Uint32Array;
  size = 0;
  constructor(initial: number) {
    this.data = new Uint32Array(initial);
  }
  alloc(n: number, fill: number): number {
    if (this.size + n > this.data.length) {
      const next = new Uint32Array(Math.max(this.data.length * 2, this.size + n));
      next.set(this.data.subarray(0, this.size));
      this.data = next;
    }
    const at = this.size;
    this.data.fill(fill, at, at + n);
    this.size += n;
    return at;
  }
}

/** Builds the trie for one family; `defaultEntry` answers addresses no prefix covers. */
export function buildLPM(family: Family, prefixes: readonly Prefix[], defaultEntry: number): Uint32Array {
  const width = family === 4 ? 32 : 128;
  const nodes = new Nodes(ROOT_SLOTS + CHUNK * 64);
  nodes.alloc(ROOT_SLOTS, defaultEntry);
  // IPv4 in plain numbers (10k pod IPs: bigint shifts here were a visible share of compile).
  const bitsAt =
    family === 4
      ? (value: bigint | number, pos: number, n: number): number => ((value as number) >>> (32 - pos - n)) & ((1 << n) - 1)
      : (value: bigint | number, pos: number, n: number): number => Number(((value as bigint) >> BigInt(width - pos - n)) & ((1n << BigInt(n)) - 1n));
  // Shorter prefixes first: a longer one then overwrites (or pushes into a new chunk) only its own range.
  const sorted = [...prefixes].sort((a, b) => a.length - b.length);
  for (const p of sorted) {
    if (p.entry >= POINTER) throw new CapacityError('entries', p.entry + 1);
    const value = family === 4 ? Number(p.value) : p.value;
    let base = 0;
    let pos = 0;
    let stride = 16;
    for (;;) {
      const slot = bitsAt(value, pos, stride);
      if (p.length <= pos + stride) {
        const span = 1 << (pos + stride - p.length);
        nodes.data.fill(p.entry, base + slot, base + slot + span);
        break;
      }
      const v = nodes.data[base + slot]!;
      if (v & POINTER) base = v & ~POINTER;
      else {
        const child = nodes.alloc(CHUNK, v);
        nodes.data[base + slot] = (POINTER | child) >>> 0;
        base = child;
      }
      pos += stride;
      stride = 8;
    }
  }
  return nodes.data.slice(0, nodes.size);
}

/** IPv4 lookup: an address as an unsigned 32-bit number. */
export function lookup4(t: Uint32Array, a: number): number {
  let v = t[a >>> 16]!;
  if (v & POINTER) {
    v = t[(v & 0x7fffffff) + ((a >>> 8) & 255)]!;
    if (v & POINTER) v = t[(v & 0x7fffffff) + (a & 255)]!;
  }
  return v;
}

/** IPv6 lookup: the address as four big-endian 32-bit words at w[o..o+3]. */
export function lookup6(t: Uint32Array, w: Uint32Array, o: number): number {
  let v = t[w[o]! >>> 16]!;
  let pos = 16;
  while (v & POINTER) {
    // Past the last level only in bytes changed since validation: no entry (a checked kernel answers malformed), not a walk without end.
    if (pos >= 128) return 0xffffffff;
    const byte = (w[o + (pos >>> 5)]! >>> (24 - (pos & 31))) & 255;
    v = t[(v & 0x7fffffff) + byte]!;
    pos += 8;
  }
  return v;
}
