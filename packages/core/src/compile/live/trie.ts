/**
 * In-place changes to the leaf-pushed multibit tries of the image (lpm.ts builds them in one
 * go; the live compiler inserts and removes prefixes one at a time). Prefixes nest or are
 * disjoint, so "is this leaf covered by the new prefix?" is answered by the prefix length of
 * the entry the leaf holds: a new prefix takes every leaf whose own prefix is not longer.
 */
import { POINTER, ROOT_SLOTS } from '../lpm.js';
import { CapacityError } from '../../model/limits.js';

const CHUNK = 256;

/** The slots of one trie; `t` may be replaced by a larger array when `alloc` grows it. */
export interface TrieStore {
  readonly t: Uint32Array;
  /** Slots in use (the root first, then 256-slot chunks). */
  used: number;
  /** Room for `n` more slots; may replace `t`. */
  reserve(n: number): void;
  /** Slots [start, end) were written. */
  touch(start: number, end: number): void;
}

/** The index of the root slot or chunk slot for bit position `pos` of an address in words. */
const slotAt = (w: ArrayLike<number>, pos: number): number => (pos === 0 ? w[0]! >>> 16 : (w[pos >>> 5]! >>> (24 - (pos & 31))) & 255);

function alloc(s: TrieStore, fill: number): number {
  s.reserve(CHUNK);
  const at = s.used;
  s.t.fill(fill, at, at + CHUNK);
  s.used += CHUNK;
  s.touch(at, at + CHUNK);
  return at;
}

/** Walks to the level where a prefix of `length` bits ends; pushes leaves down on the way. */
function descend(s: TrieStore, w: ArrayLike<number>, length: number, push: boolean): { base: number; first: number; span: number } | undefined {
  let base = 0;
  let pos = 0;
  let stride = 16;
  for (;;) {
    const slot = slotAt(w, pos);
    if (length <= pos + stride) {
      const span = 1 << (pos + stride - length);
      return { base, first: slot & ~(span - 1), span };
    }
    const v = s.t[base + slot]!;
    if (v & POINTER) base = v & ~POINTER;
    else if (!push) return undefined;
    else {
      const child = alloc(s, v);
      s.t[base + slot] = (POINTER | child) >>> 0;
      s.touch(base + slot, base + slot + 1);
      base = child;
    }
    pos += stride;
    stride = 8;
  }
}

/** Every leaf in [at, at + n) and below that does not outrank `entry` becomes `entry`. */
function cover(s: TrieStore, at: number, n: number, entry: number, rank: number, lengthOf: (entry: number) => number): void {
  for (let i = at; i < at + n; i++) {
    const v = s.t[i]!;
    if (v & POINTER) cover(s, v & ~POINTER, CHUNK, entry, rank, lengthOf);
    else if (lengthOf(v) <= rank) s.t[i] = entry;
  }
  s.touch(at, at + n);
}

/** Every leaf in [at, at + n) and below holding `from` becomes `to`. */
function replace(s: TrieStore, at: number, n: number, from: number, to: number): void {
  for (let i = at; i < at + n; i++) {
    const v = s.t[i]!;
    if (v & POINTER) replace(s, v & ~POINTER, CHUNK, from, to);
    else if (v === from) s.t[i] = to;
  }
  s.touch(at, at + n);
}

/**
 * Inserts (or re-points) the prefix `w`/`length` (address as big-endian u32 words, masked).
 * `lengthOf(entry)` ranks entries: the prefix length, a host a half above a same-length region.
 */
export function insertPrefix(s: TrieStore, w: ArrayLike<number>, length: number, entry: number, lengthOf: (entry: number) => number): void {
  if (entry >= POINTER) throw new CapacityError('entries', entry + 1);
  const at = descend(s, w, length, true)!;
  cover(s, at.base + at.first, at.span, entry, lengthOf(entry), lengthOf);
}

/** Removes the prefix: its leaves go back to `coverEntry`, the entry of the prefix around it. */
export function removePrefix(s: TrieStore, w: ArrayLike<number>, length: number, entry: number, coverEntry: number): void {
  const at = descend(s, w, length, false);
  if (at) replace(s, at.base + at.first, at.span, entry, coverEntry);
}

/** A trie with only the root, every slot `defaultEntry`. */
export function initTrie(s: TrieStore, defaultEntry: number): void {
  s.reserve(ROOT_SLOTS);
  s.t.fill(defaultEntry, 0, ROOT_SLOTS);
  s.used = ROOT_SLOTS;
  s.touch(0, ROOT_SLOTS);
}
