/**
 * batch4.ts's loop for an image that may change after validation (a live copy patched in
 * place, Kernel `mutable`): the same decision, every index read from the image checked before
 * use, as the native kernel's kChecked mode does. A trie leaf at or past entryCount (or a chunk
 * pointer outside the trie, whose read is undefined), a row, group, column, tier row or column,
 * group-map offset, port-set id or tier decision id that reads outside its section makes the
 * flow MALFORMED (0x80), never a verdict. `!(i < n)` and `=== undefined` tests: a typed array
 * read past its end is undefined, and an index computed from one is NaN, which fails `<`.
 * No tier code table here (the Kernel builds none for a changeable image).
 */
import { DENYING_DECISIONS, MALFORMED } from '../compile/layout.js';
import { lookup4 } from '../compile/lpm.js';
import { PROTOCOL_NUMBERS } from '../model/protocol.js';
import type { BatchLoop, LoopImage } from './batch4.js';

const PROTO_TCP = PROTOCOL_NUMBERS.TCP;
const PROTO_UDP = PROTOCOL_NUMBERS.UDP;
const PROTO_SCTP = PROTOCOL_NUMBERS.SCTP;
const DENYING = DENYING_DECISIONS;
/** A read outside its section (not a decision code). */
const BAD = -1;

/** The checked batch loop over one image (a closure per image, as batch4.ts's, for the same reason). */
export function batchLoop4Checked(image: LoopImage & { readonly entryCount: number }): BatchLoop {
  const img = image;
  return (src, dst, protocol, port, n, out) => {
    const { lpm4: t, ent, half, portMap, portSets, egM, inM, tEg, tIn, tDec } = img;
    const { egCols, inCols, words, tEgCols, tInCols, nameClasses, localIn, localEg, entryCount } = img;
    /** Whether port class pc is in `set`: 1 or 0, BAD when the set's word is outside portSets. */
    const has = (set: number, pc: number): number => {
      const w = portSets[set * words + (pc >>> 5)];
      return w === undefined ? BAD : (w >>> (pc & 31)) & 1;
    };
    /**
     * One direction: `l`/`r` the local and remote entries' first halves, `row` the local row,
     * `k` its tier decision × 4 (0: none), `m`/`cols`/`g`/`c` the matrix, its peer count and
     * the halves of the local group and remote column, `local` the local-node exemption.
     */
    const decision = (k: number, row: number, m: Uint16Array, cols: number, g: number, c: number, local: boolean, pc: number): number => {
      if (k > 0) {
        const a = has(tDec[k]!, pc);
        if (a !== 0) return a === BAD ? BAD : 4;
        const d = has(tDec[k + 1]!, pc);
        if (d !== 0) return d === BAD ? BAD : 5;
      }
      if (row !== 0) {
        if (local) return 0;
        const offset = m[g * cols + c];
        const cell = offset === undefined ? undefined : m[row + offset];
        const allows = cell === undefined ? BAD : has(cell, pc);
        return allows === BAD ? BAD : allows === 1 ? 0 : 1;
      }
      if (k > 0) {
        const a = has(tDec[k + 2]!, pc);
        if (a !== 0) return a === BAD ? BAD : 6;
        const d = has(tDec[k + 3]!, pc);
        if (d !== 0) return d === BAD ? BAD : 7;
      }
      return 2;
    };
    /** A tier cell's decision × 4, 0 for tier row 0, BAD when the cell or its decision is outside. */
    const tier = (tm: Uint16Array, at: number): number => {
      const id = tm[at];
      return id === undefined || (id + 1) * 4 > tDec.length ? BAD : id * 4;
    };
    for (let i = 0; i < n; i++) {
      const s = lookup4(t, src[i]!);
      const d = lookup4(t, dst[i]!);
      // Negated: lookup4 gives undefined for a chunk pointer outside the trie, which fails it too.
      if (!(s < entryCount && d < entryCount)) {
        out[i] = MALFORMED;
        continue;
      }
      // Entry fields as in batch4.ts: u32 words 0 podSlot, 1/2 rows; u16 halves 6/7 groups,
      // 8/9 columns, 10 podNode, 11 addrNode, 12-15 tiers.
      const es = s * 8;
      const ed = d * 8;
      const sSlot = ent[es]!;
      const dSlot = ent[ed]!;
      if (sSlot !== 0 && sSlot === dSlot) {
        out[i] = 1; // ALLOW_BOTH
        continue;
      }
      const hs = es * 2;
      const hd = ed * 2;
      const p = protocol[i]!;
      const pc = p === PROTO_TCP ? portMap[port[i]!]! : p === PROTO_UDP ? portMap[65536 + port[i]!]! : p === PROTO_SCTP ? portMap[131072 + port[i]!]! : 0;
      let eg = 3;
      if (sSlot !== 0) {
        const trow = half[hs + 12]!;
        const k = trow === 0 ? 0 : tier(tEg, trow * tEgCols + half[hd + 14]! * nameClasses);
        const row = ent[es + 1]!;
        const local = localEg && half[hd + 11] !== 0 && half[hd + 11] === half[hs + 10];
        eg = k === BAD ? BAD : decision(k, row, egM, egCols, half[hs + 6]!, half[hd + 8]!, local, pc);
      }
      let ing = 3;
      if (dSlot !== 0) {
        const trow = half[hd + 13]!;
        const k = trow === 0 ? 0 : tier(tIn, trow * tInCols + half[hs + 15]!);
        const row = ent[ed + 2]!;
        const local = localIn && half[hs + 11] !== 0 && half[hs + 11] === half[hd + 10];
        ing = k === BAD ? BAD : decision(k, row, inM, inCols, half[hd + 7]!, half[hs + 9]!, local, pc);
      }
      out[i] = eg === BAD || ing === BAD ? MALFORMED : ((((DENYING >>> eg) | (DENYING >>> ing)) & 1) ^ 1) | (eg << 1) | (ing << 4);
    }
  };
}
