/**
 * The JS kernel's hot loop: verdicts for a batch of IPv4 flows without flags or name classes,
 * everything inlined (the same decision as Kernel.decide, IMAGE.md "A verdict").
 *
 * Why a closure made per image instead of a Kernel method: TurboFan compiles a closure with
 * "function context specialization" while its function literal has made only that one closure
 * (V8's one-closure feedback cell): the image's typed arrays and counts are then constants in the
 * machine code (no per-flow map checks, data pointer and length loads for a dozen arrays). At L
 * (10k pods / 1k policies) that is ~31 ns per verdict against ~43 for the same loop over values
 * that are not constants. A closure factory does not give every image its own code: V8 shares
 * one feedback cell per literal, so from the second closure on, the code compiled is generic
 * (shared by all images) and each keeps whatever it was compiled with. Measured (node 20, L):
 * the first image's closure optimized alone 31.6 ns, and still 32 ns after others were made;
 * closures optimized after a second one existed 52 ns when they read the captured variables in
 * the loop. So the closure copies what it captured into locals first: generic code is then as
 * fast as the method was (~43-46 ns), and the specialized case loses nothing (a local
 * initialized from a constant is the constant). Typed arrays are passed in, not the FlowBatch:
 * a batch object of another shape would make V8 deoptimize the loop (and reoptimize it generic).
 */
import { DENYING_DECISIONS } from '../compile/layout.js';
import { PROTOCOL_NUMBERS } from '../model/protocol.js';

const PROTO_TCP = PROTOCOL_NUMBERS.TCP;
const PROTO_UDP = PROTOCOL_NUMBERS.UDP;
const PROTO_SCTP = PROTOCOL_NUMBERS.SCTP;
const DENYING = DENYING_DECISIONS;

/** What the loop reads: an image's sections (as the Kernel holds them) and header counts. */
export interface LoopImage {
  readonly lpm4: Uint32Array;
  readonly ent: Uint32Array;
  /** The entries as u16 halves (ENTRY_HALF). */
  readonly half: Uint16Array;
  readonly egCols: number;
  readonly inCols: number;
  readonly portMap: Uint16Array;
  readonly portSets: Uint32Array;
  readonly egM: Uint16Array;
  readonly inM: Uint16Array;
  readonly words: number;
  readonly tEg: Uint16Array;
  readonly tIn: Uint16Array;
  readonly tDec: Uint32Array;
  readonly tEgCols: number;
  readonly tInCols: number;
  readonly nameClasses: number;
  /** The Kernel's tier code table, or null (a live copy, or no cluster-scoped policies). */
  readonly tCodes: Uint8Array | null;
  readonly classes: number;
  /** Image flags bit 0: ingress from the pod's own node is allowed. */
  readonly localIn: boolean;
  /** Image flags bit 1: egress to the pod's own node is allowed. */
  readonly localEg: boolean;
}

/** Verdict bytes of flows [0, n) into out; the caller has checked every length. */
export type BatchLoop = (src: Uint32Array, dst: Uint32Array, protocol: Uint8Array, port: Uint16Array, n: number, out: Uint8Array) => void;

/** The batch loop over one image (see the file's comment for why a closure). */
export function batchLoop4(image: LoopImage): BatchLoop {
  const img = image;
  return (src, dst, protocol, port, n, out) => {
    // Locals, not the captured binding, in the loop: see the file's comment.
    const { lpm4: t, ent, half, portMap, portSets, egM, inM, tEg, tIn, tDec, tCodes } = img;
    const { egCols, inCols, words, tEgCols, tInCols, nameClasses, classes, localIn, localEg } = img;
    for (let i = 0; i < n; i++) {
      const a = src[i]!;
      let s = t[a >>> 16]!;
      if (s & 0x80000000) {
        s = t[(s & 0x7fffffff) + ((a >>> 8) & 255)]!;
        if (s & 0x80000000) s = t[(s & 0x7fffffff) + (a & 255)]!;
      }
      const c = dst[i]!;
      let d = t[c >>> 16]!;
      if (d & 0x80000000) {
        d = t[(d & 0x7fffffff) + ((c >>> 8) & 255)]!;
        if (d & 0x80000000) d = t[(d & 0x7fffffff) + (c & 255)]!;
      }
      // Entry fields (ENTRY, ENTRY_HALF): u32 words 0 podSlot, 1/2 row offsets at es/ed; u16
      // halves at hs/hd: 6/7 groups, 8/9 columns, 10 podNode, 11 addrNode, 12-15 tiers. A cell
      // is M[row + M[group × peers + column]].
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
      const word = pc >>> 5;
      const bit = pc & 31;
      // No cluster-scoped policy selects the pod (tier row 0): NetworkPolicy alone.
      let eg: number;
      if (sSlot === 0) eg = 3;
      else {
        const trow = half[hs + 12]!;
        const row = ent[es + 1]!;
        // Tier decision 0 (four empty sets) decides nothing: NetworkPolicy alone, as for tier row 0.
        const k = trow === 0 ? 0 : tEg[trow * tEgCols + half[hd + 14]! * nameClasses]! * 4;
        if (k === 0) {
          if (row === 0) eg = 2;
          else if (localEg && half[hd + 11] !== 0 && half[hd + 11] === half[hs + 10]) eg = 0;
          else eg = (portSets[egM[row + egM[half[hs + 6]! * egCols + half[hd + 8]!]!]! * words + word]! >>> bit) & 1 ? 0 : 1;
        } else if (tCodes !== null) {
          // Admin code in bits 0-2, Baseline code in bits 3-5 (0: no rule of that tier matches).
          const code = tCodes[(k >>> 2) * classes + pc]!;
          if (code & 7) eg = code & 7;
          else if (row !== 0) {
            if (localEg && half[hd + 11] !== 0 && half[hd + 11] === half[hs + 10]) eg = 0;
            else eg = (portSets[egM[row + egM[half[hs + 6]! * egCols + half[hd + 8]!]!]! * words + word]! >>> bit) & 1 ? 0 : 1;
          } else eg = code >>> 3 || 2;
        } else {
          if ((portSets[tDec[k]! * words + word]! >>> bit) & 1) eg = 4;
          else if ((portSets[tDec[k + 1]! * words + word]! >>> bit) & 1) eg = 5;
          else if (row !== 0) {
            if (localEg && half[hd + 11] !== 0 && half[hd + 11] === half[hs + 10]) eg = 0;
            else eg = (portSets[egM[row + egM[half[hs + 6]! * egCols + half[hd + 8]!]!]! * words + word]! >>> bit) & 1 ? 0 : 1;
          } else if ((portSets[tDec[k + 2]! * words + word]! >>> bit) & 1) eg = 6;
          else if ((portSets[tDec[k + 3]! * words + word]! >>> bit) & 1) eg = 7;
          else eg = 2;
        }
      }
      let ing: number;
      if (dSlot === 0) ing = 3;
      else {
        const trow = half[hd + 13]!;
        const row = ent[ed + 2]!;
        const k = trow === 0 ? 0 : tIn[trow * tInCols + half[hs + 15]!]! * 4;
        if (k === 0) {
          if (row === 0) ing = 2;
          else if (localIn && half[hs + 11] !== 0 && half[hs + 11] === half[hd + 10]) ing = 0;
          else ing = (portSets[inM[row + inM[half[hd + 7]! * inCols + half[hs + 9]!]!]! * words + word]! >>> bit) & 1 ? 0 : 1;
        } else if (tCodes !== null) {
          // Admin code in bits 0-2, Baseline code in bits 3-5 (0: no rule of that tier matches).
          const code = tCodes[(k >>> 2) * classes + pc]!;
          if (code & 7) ing = code & 7;
          else if (row !== 0) {
            if (localIn && half[hs + 11] !== 0 && half[hs + 11] === half[hd + 10]) ing = 0;
            else ing = (portSets[inM[row + inM[half[hd + 7]! * inCols + half[hs + 9]!]!]! * words + word]! >>> bit) & 1 ? 0 : 1;
          } else ing = code >>> 3 || 2;
        } else {
          if ((portSets[tDec[k]! * words + word]! >>> bit) & 1) ing = 4;
          else if ((portSets[tDec[k + 1]! * words + word]! >>> bit) & 1) ing = 5;
          else if (row !== 0) {
            if (localIn && half[hs + 11] !== 0 && half[hs + 11] === half[hd + 10]) ing = 0;
            else ing = (portSets[inM[row + inM[half[hd + 7]! * inCols + half[hs + 9]!]!]! * words + word]! >>> bit) & 1 ? 0 : 1;
          } else if ((portSets[tDec[k + 2]! * words + word]! >>> bit) & 1) ing = 6;
          else if ((portSets[tDec[k + 3]! * words + word]! >>> bit) & 1) ing = 7;
          else ing = 2;
        }
      }
      out[i] = ((((DENYING >>> eg) | (DENYING >>> ing)) & 1) ^ 1) | (eg << 1) | (ing << 4);
    }
  };
}
