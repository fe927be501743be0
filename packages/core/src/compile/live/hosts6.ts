/**
 * The IPv6 host table changed in place: linear probing with backward-shift deletion (no
 * tombstones, so a probe still ends at the first empty slot, as the kernels expect). Kept at
 * most half full; past that the owner lays the image out with twice the slots and rewrites it.
 */
import { HOST6_STRIDE, host6Hash } from '../layout.js';

export interface HostTableStore {
  /** The table (slots × HOST6_STRIDE words); may be replaced by a relayout between calls. */
  readonly table: Uint32Array;
  readonly slots: number;
  touch(start: number, end: number): void;
}

const same = (t: Uint32Array, at: number, w: readonly number[]): boolean => t[at] === w[0] && t[at + 1] === w[1] && t[at + 2] === w[2] && t[at + 3] === w[3];

/** Inserts or re-points an address. The caller keeps the table at most half full. */
export function insertHost6(s: HostTableStore, w: readonly number[], entry: number): void {
  const t = s.table;
  const mask = s.slots - 1;
  let i = host6Hash(w[0]!, w[1]!, w[2]!, w[3]!, mask);
  while (t[i * HOST6_STRIDE + 4] !== 0 && !same(t, i * HOST6_STRIDE, w)) i = (i + 1) & mask;
  t.set([w[0]!, w[1]!, w[2]!, w[3]!, entry + 1], i * HOST6_STRIDE);
  s.touch(i * HOST6_STRIDE, (i + 1) * HOST6_STRIDE);
}

/** Removes an address; later entries of its probe run move back so no probe stops early. */
export function removeHost6(s: HostTableStore, w: readonly number[]): void {
  const t = s.table;
  const mask = s.slots - 1;
  let i = host6Hash(w[0]!, w[1]!, w[2]!, w[3]!, mask);
  while (!same(t, i * HOST6_STRIDE, w)) {
    if (t[i * HOST6_STRIDE + 4] === 0) return; // not there
    i = (i + 1) & mask;
  }
  let j = i;
  for (;;) {
    j = (j + 1) & mask;
    const at = j * HOST6_STRIDE;
    if (t[at + 4] === 0) break;
    const home = host6Hash(t[at]!, t[at + 1]!, t[at + 2]!, t[at + 3]!, mask);
    // Move j back to the hole at i unless its home lies cyclically in (i, j].
    const stays = i <= j ? i < home && home <= j : i < home || home <= j;
    if (stays) continue;
    t.copyWithin(i * HOST6_STRIDE, at, at + HOST6_STRIDE);
    s.touch(i * HOST6_STRIDE, (i + 1) * HOST6_STRIDE);
    i = j;
  }
  t.fill(0, i * HOST6_STRIDE, (i + 1) * HOST6_STRIDE);
  s.touch(i * HOST6_STRIDE, (i + 1) * HOST6_STRIDE);
}
