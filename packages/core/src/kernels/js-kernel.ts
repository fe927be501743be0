/**
 * The JS kernel: verdicts from the image alone, with plain typed-array reads. The single
 * flow path and the general batch path share `decide`; IPv4 batches without flags or name
 * classes go through batch4.ts's loop, everything inlined (a closure per image: see there why),
 * or batch4-checked.ts's for an image that may change after validation (`mutable`).
 * Each direction is IMAGE.md's decision: Admin tier (tier matrix cell → port sets), then
 * NetworkPolicy (matrix), then Baseline tier; a pod no cluster-scoped policy selects has
 * tier row 0 and costs one entry read more than NetworkPolicy alone.
 */
import {
  DECISION,
  ENTRY,
  ENTRY_HALF,
  ENTRY_HALVES,
  ENTRY_STRIDE,
  IMAGE_FLAGS,
  HEADER,
  HOST6_STRIDE,
  host6Hash,
  MALFORMED,
  TIER_DECISION,
  TIER_DECISION_STRIDE,
  verdictByte,
  ALLOW_BOTH,
  type ImageViews,
} from '../compile/layout.js';
import { validateImage } from '../compile/validate-image.js';
import { batchLoop4, type BatchLoop } from './batch4.js';
import { batchLoop4Checked } from './batch4-checked.js';
import { lookup4, lookup6 } from '../compile/lpm.js';
import { PROTOCOL_NUMBERS } from '../model/protocol.js';

// Bound once: portClass and special() read them per flow, and an imported object's property per use costs.
const PROTO_TCP = PROTOCOL_NUMBERS.TCP;
const PROTO_UDP = PROTOCOL_NUMBERS.UDP;
const PROTO_SCTP = PROTOCOL_NUMBERS.SCTP;
const ICMPV6 = PROTOCOL_NUMBERS.ICMPv6;

/**
 * Flows as typed arrays, for verdictBatch: `count` flows, each field one entry (or four address
 * words) per flow. The verdict bytes go to a caller-supplied Uint8Array of `count` bytes.
 */
export interface FlowBatch {
  /** Number of flows. */
  readonly count: number;
  /**
   * Source and destination addresses. Without `family`: one word per flow, all IPv4.
   * With `family`: four big-endian words per flow (IPv6), IPv4 in the first word.
   */
  readonly src: Uint32Array;
  readonly dst: Uint32Array;
  /** 4 or 6 per flow; makes the addresses four words each. */
  readonly family?: Uint8Array;
  /** IP protocol number per flow. */
  readonly protocol: Uint8Array;
  /** Destination port (TCP/UDP/SCTP) or ICMP type (ICMP/ICMPv6) per flow. */
  readonly port: Uint16Array;
  /** Per flow, bit 0: a reply on an established connection. */
  readonly flags?: Uint8Array;
  /**
   * Per flow, the destination name's class (`nameClass(name)` of the image's provenance; 0 =
   * no name). Absent: 0 for every flow. A class the image does not have makes the flow
   * malformed (0x80).
   */
  readonly nameClass?: Uint16Array;
}

/** A checked read that fell outside its section (checkedDirection, checkedCell, checkedHas). */
const BAD = -1;

/** Largest tier code table a kernel builds (bytes: tier decisions × port classes), as the native kernel's. */
const TIER_CODES_MAX = 1 << 20;

/**
 * The JS kernel: verdicts read from an image's typed arrays alone (the native kernel runs the
 * same algorithm in C++). The constructor validates the image and throws ImageError for a corrupt
 * one. ImageDataplane and the dataplanes built on it wrap one; use it directly to serve an image
 * without them (in a worker, for instance).
 */
export class Kernel {
  /** @internal The image's typed views, as the dataplanes of this package read them. */
  readonly views: ImageViews;
  private readonly lpm4: Uint32Array;
  private readonly lpm6: Uint32Array;
  private readonly hosts6: Uint32Array;
  private readonly hosts6Mask: number;
  private readonly ent: Uint32Array;
  private readonly entryCount: number;
  /**
   * The bytes may change after validation (`mutable`: a live copy patched in place): every
   * verdict then reads through decideChecked, which checks each index it reads from the image
   * (the native kernel's kChecked). An image that will not change is a private copy validated
   * once (the constructor copies it) and is read unchecked.
   */
  private readonly checked: boolean;
  /** The same entries as u16 halves (ENTRY_HALF). */
  private readonly half: Uint16Array;
  /** Peer counts: a group's map starts at group × peer count. */
  private readonly egCols: number;
  private readonly inCols: number;
  private readonly portMap: Uint16Array;
  private readonly portSets: Uint32Array;
  private readonly egM: Uint16Array;
  private readonly inM: Uint16Array;
  private readonly words: number;
  private readonly flags: number;
  private readonly tEg: Uint16Array;
  private readonly tIn: Uint16Array;
  private readonly tDec: Uint32Array;
  private readonly tEgCols: number;
  private readonly tInCols: number;
  /** nameClassCount: a flow's name class must be below it. */
  readonly nameClasses: number;
  /**
   * Per (tier decision, port class), the Admin code in bits 0-2 (0, or 4/5) and the Baseline
   * code in bits 3-5 (0, or 6/7): one read instead of up to four port-set tests. Built only for
   * images that never change after this (a live copy is patched in place and reads the sets),
   * with cluster-scoped policies, at most TIER_CODES_MAX bytes. The native kernel does the same.
   */
  private readonly tCodes: Uint8Array | null;
  private readonly classes: number;
  /** batch4.ts's loop over this image, made on the first batch that takes it. */
  private loop: BatchLoop | undefined = undefined;

  /**
   * Validates the whole image first (validateImage): a corrupt one throws ImageError, naming the
   * first broken invariant. `mutable`: the bytes will be changed in place after this (a live
   * generation's copy), so nothing may be derived from them ahead of time and every index read
   * from them is checked per verdict (an out-of-range one makes the flow malformed, 0x80).
   * Without it the kernel reads a private copy of the bytes, as the native kernel does: what
   * the caller's buffer becomes later (an ArrayBuffer it writes, a SharedArrayBuffer another
   * thread writes) cannot reach a verdict, and the copy is read without per-index checks.
   */
  constructor(image: ArrayBuffer | SharedArrayBuffer, options: { readonly mutable?: boolean } = {}) {
    this.checked = options.mutable === true;
    const v = validateImage(this.checked ? image : new Uint8Array(image).slice().buffer);
    this.views = v;
    this.lpm4 = v.lpm4;
    this.lpm6 = v.lpm6;
    this.hosts6 = v.hosts6;
    this.hosts6Mask = v.header[HEADER.hosts6Slots]! - 1;
    this.ent = v.entries;
    this.entryCount = v.header[HEADER.entryCount]!;
    this.half = v.entryHalves;
    this.egCols = v.header[HEADER.egressPeerCount]!;
    this.inCols = v.header[HEADER.ingressPeerCount]!;
    this.portMap = v.portMap;
    this.portSets = v.portSets;
    this.egM = v.egressMatrix;
    this.inM = v.ingressMatrix;
    this.words = v.header[HEADER.portSetWords]!;
    this.flags = v.header[HEADER.flags]!;
    this.tEg = v.tierEgressMatrix;
    this.tIn = v.tierIngressMatrix;
    this.tDec = v.tierDecisions;
    this.tEgCols = v.header[HEADER.tierEgressColCount]!;
    this.tInCols = v.header[HEADER.tierIngressColCount]!;
    this.nameClasses = v.header[HEADER.nameClassCount]!;
    this.classes = v.header[HEADER.portClassCount]!;
    const decisions = v.header[HEADER.tierDecisionCount]!;
    // The checked decide as this instance's own: a branch in decide cost the single-flow path on a private copy ~15% (one-process A/B at L).
    if (this.checked) this.decide = this.decideChecked;
    this.tCodes = options.mutable !== true && decisions > 1 && decisions * this.classes <= TIER_CODES_MAX ? this.tierCodes(decisions) : null;
  }

  private tierCodes(decisions: number): Uint8Array {
    const codes = new Uint8Array(decisions * this.classes);
    const d = this.tDec;
    for (let k = 1; k < decisions; k++) {
      const at = k * TIER_DECISION_STRIDE;
      for (let pc = 0; pc < this.classes; pc++) {
        const admin = this.has(d[at + TIER_DECISION.adminAccept]!, pc)
          ? DECISION.adminAllowed
          : this.has(d[at + TIER_DECISION.adminDeny]!, pc)
            ? DECISION.adminDenied
            : 0;
        const baseline = this.has(d[at + TIER_DECISION.baselineAccept]!, pc)
          ? DECISION.baselineAllowed
          : this.has(d[at + TIER_DECISION.baselineDeny]!, pc)
            ? DECISION.baselineDenied
            : 0;
        codes[k * this.classes + pc] = admin | (baseline << 3);
      }
    }
    return codes;
  }

  /**
   * The batch loop over this image. Made on first use, not in the constructor: only the first
   * closure V8 optimizes alone gets constants for its image (batch4.ts), so a Kernel that never
   * runs a batch (validation, explain) should not make one.
   */
  private batchLoop(): BatchLoop {
    const localIn = (this.flags & IMAGE_FLAGS.allowIngressFromLocalNode) !== 0;
    const localEg = (this.flags & IMAGE_FLAGS.allowEgressToLocalNode) !== 0;
    const { lpm4, ent, half, portMap, portSets, egM, inM, tEg, tIn, tDec, tCodes } = this;
    const counts = { egCols: this.egCols, inCols: this.inCols, words: this.words, tEgCols: this.tEgCols, tInCols: this.tInCols, classes: this.classes };
    const image = { lpm4, ent, half, portMap, portSets, egM, inM, tEg, tIn, tDec, tCodes, ...counts, nameClasses: this.nameClasses, localIn, localEg };
    return this.checked ? batchLoop4Checked({ ...image, entryCount: this.entryCount }) : batchLoop4(image);
  }

  /** Whether port class `pc` is in port set `set`. */
  private has(set: number, pc: number): boolean {
    return ((this.portSets[set * this.words + (pc >>> 5)]! >>> (pc & 31)) & 1) === 1;
  }

  /** Port class of (protocol, port); class 0 for everything without ports. */
  portClass(protocol: number, port: number): number {
    if (port < 0 || port > 65535) return 0; // an L4 flow without a port: only port-less rules
    if (protocol === PROTO_TCP) return this.portMap[port]!;
    if (protocol === PROTO_UDP) return this.portMap[65536 + port]!;
    if (protocol === PROTO_SCTP) return this.portMap[131072 + port]!;
    return 0;
  }

  /** The address entry of an IPv4 address (a u32), 0 when the image has none for it. */
  entry4(a: number): number {
    return lookup4(this.lpm4, a);
  }

  /** IPv6 words at w[o..o+3]; IPv4-mapped addresses go to the IPv4 table when the option says so. */
  entry6(w: Uint32Array, o: number): number {
    if (this.flags & IMAGE_FLAGS.ipv4MappedAsIPv4 && w[o] === 0 && w[o + 1] === 0 && w[o + 2] === 0xffff) return lookup4(this.lpm4, w[o + 3]!);
    // Pod and node addresses first (exact match), then the prefixes.
    const t = this.hosts6;
    const w0 = w[o]!,
      w1 = w[o + 1]!,
      w2 = w[o + 2]!,
      w3 = w[o + 3]!;
    for (let i = host6Hash(w0, w1, w2, w3, this.hosts6Mask), n = 0; n <= this.hosts6Mask; i = (i + 1) & this.hosts6Mask, n++) {
      const at = i * HOST6_STRIDE;
      const e = t[at + 4]!;
      if (e === 0) break;
      if (t[at] === w0 && t[at + 1] === w1 && t[at + 2] === w2 && t[at + 3] === w3) return e - 1;
    }
    return lookup6(this.lpm6, w, o);
  }

  /** Ingress from the pod's own node (or egress to it, by option): allowed before any rule. */
  localNode(direction: 'egress' | 'ingress', s: number, d: number): boolean {
    // No destructured array: the single-flow path calls this per flow.
    const egress = direction === 'egress';
    if ((this.flags & (egress ? IMAGE_FLAGS.allowEgressToLocalNode : IMAGE_FLAGS.allowIngressFromLocalNode)) === 0) return false;
    const node = this.half[(egress ? d : s) * ENTRY_HALVES + ENTRY_HALF.addrNode]!;
    return node !== 0 && node === this.half[(egress ? s : d) * ENTRY_HALVES + ENTRY_HALF.podNode];
  }

  /**
   * The tier decision (index into tierDecisions, × 4) of the source `s` towards `d` with name
   * class `nc`, or -1 when no cluster-scoped policy selects `s` for egress.
   */
  tierEgress(s: number, d: number, nc: number): number {
    const trow = this.half[s * ENTRY_HALVES + ENTRY_HALF.tierEgressRow]!;
    if (trow === 0) return -1;
    return this.tEg[trow * this.tEgCols + this.half[d * ENTRY_HALVES + ENTRY_HALF.tierEgressCol]! * this.nameClasses + nc]! * TIER_DECISION_STRIDE;
  }

  /** The tier decision (× 4) of destination `d` from `s`, or -1 when no cluster-scoped policy selects `d` for ingress. */
  tierIngress(s: number, d: number): number {
    const trow = this.half[d * ENTRY_HALVES + ENTRY_HALF.tierIngressRow]!;
    if (trow === 0) return -1;
    return this.tIn[trow * this.tInCols + this.half[s * ENTRY_HALVES + ENTRY_HALF.tierIngressCol]!]! * TIER_DECISION_STRIDE;
  }

  /**
   * One direction's decision when a cluster-scoped policy selects the local pod: `k` its tier
   * decision (× 4), `row` its NetworkPolicy row (0: not isolated), `cell` the matrix cell's
   * port set when isolated, `localNode` the local-node exemption applying.
   */
  private tiered(k: number, pc: number, row: number, localNode: boolean, cell: number): number {
    const tDec = this.tDec;
    if (this.has(tDec[k + TIER_DECISION.adminAccept]!, pc)) return DECISION.adminAllowed;
    if (this.has(tDec[k + TIER_DECISION.adminDeny]!, pc)) return DECISION.adminDenied;
    if (row !== 0) return localNode || this.has(cell, pc) ? DECISION.allowed : DECISION.denied;
    if (this.has(tDec[k + TIER_DECISION.baselineAccept]!, pc)) return DECISION.baselineAllowed;
    if (this.has(tDec[k + TIER_DECISION.baselineDeny]!, pc)) return DECISION.baselineDenied;
    return DECISION.notIsolated;
  }

  /** Egress decision for source entry s towards destination entry d (name class `nc`). */
  egress(s: number, d: number, pc: number, nc = 0): number {
    if (this.ent[s * ENTRY_STRIDE + ENTRY.podSlot] === 0) return DECISION.notApplicable;
    // Tier decision 0 is four empty sets (invariant tier-decision-zero): no cluster-scoped rule
    // can match, so NetworkPolicy alone decides, as when no cluster-scoped policy selects the pod.
    const k = this.tierEgress(s, d, nc);
    const row = this.ent[s * ENTRY_STRIDE + ENTRY.egressRow]!;
    if (k > 0) return this.tiered(k, pc, row, row !== 0 && this.localNode('egress', s, d), row !== 0 ? this.cell('egress', s, d) : 0);
    if (row === 0) return DECISION.notIsolated;
    if (this.localNode('egress', s, d)) return DECISION.allowed;
    return this.has(this.cell('egress', s, d), pc) ? DECISION.allowed : DECISION.denied;
  }

  /** Ingress decision for destination entry d from source entry s. */
  ingress(s: number, d: number, pc: number): number {
    if (this.ent[d * ENTRY_STRIDE + ENTRY.podSlot] === 0) return DECISION.notApplicable;
    const k = this.tierIngress(s, d);
    const row = this.ent[d * ENTRY_STRIDE + ENTRY.ingressRow]!;
    if (k > 0) return this.tiered(k, pc, row, row !== 0 && this.localNode('ingress', s, d), row !== 0 ? this.cell('ingress', s, d) : 0);
    if (row === 0) return DECISION.notIsolated;
    if (this.localNode('ingress', s, d)) return DECISION.allowed;
    return this.has(this.cell('ingress', s, d), pc) ? DECISION.allowed : DECISION.denied;
  }

  /**
   * The NetworkPolicy cell (a port-set id) of the local pod (the source for egress, the
   * destination for ingress) towards the remote end: M[row + M[group × peers + column]]. The
   * local pod must be isolated in that direction (row ≠ 0).
   */
  private cell(direction: 'egress' | 'ingress', s: number, d: number): number {
    const half = this.half;
    if (direction === 'egress') {
      const m = this.egM;
      return m[
        this.ent[s * ENTRY_STRIDE + ENTRY.egressRow]! +
          m[half[s * ENTRY_HALVES + ENTRY_HALF.egressGroup]! * this.egCols + half[d * ENTRY_HALVES + ENTRY_HALF.egressCol]!]!
      ]!;
    }
    const m = this.inM;
    return m[
      this.ent[d * ENTRY_STRIDE + ENTRY.ingressRow]! +
        m[half[d * ENTRY_HALVES + ENTRY_HALF.ingressGroup]! * this.inCols + half[s * ENTRY_HALVES + ENTRY_HALF.ingressCol]!]!
    ]!;
  }

  /** Always-allowed cases before policy: replies, self traffic, ICMPv6 ND by option. */
  special(s: number, d: number, protocol: number, port: number, established: boolean): boolean {
    if (established) return true;
    const slot = this.ent[s * ENTRY_STRIDE + ENTRY.podSlot]!;
    if (slot !== 0 && slot === this.ent[d * ENTRY_STRIDE + ENTRY.podSlot]) return true;
    return (this.flags & IMAGE_FLAGS.allowICMPv6NeighborDiscovery) !== 0 && protocol === ICMPV6 && port >= 133 && port <= 137;
  }

  /**
   * One direction's decision on a changeable image (`egress`: the source's, else the
   * destination's), every index read from the image checked before use: BAD when one lies
   * outside its section. The same steps as egress/ingress and tiered. `s` and `d` are entries.
   */
  private checkedDirection(egress: boolean, s: number, d: number, pc: number, nc: number): number {
    const { ent, half, tDec } = this;
    const local = egress ? s : d;
    const remote = egress ? d : s;
    if (ent[local * ENTRY_STRIDE + ENTRY.podSlot] === 0) return DECISION.notApplicable;
    const row = ent[local * ENTRY_STRIDE + (egress ? ENTRY.egressRow : ENTRY.ingressRow)]!;
    const trow = half[local * ENTRY_HALVES + (egress ? ENTRY_HALF.tierEgressRow : ENTRY_HALF.tierIngressRow)]!;
    let k = 0;
    if (trow !== 0) {
      const id = egress
        ? this.tEg[trow * this.tEgCols + half[remote * ENTRY_HALVES + ENTRY_HALF.tierEgressCol]! * this.nameClasses + nc]
        : this.tIn[trow * this.tInCols + half[remote * ENTRY_HALVES + ENTRY_HALF.tierIngressCol]!];
      // `!(… <= …)`: an id read past the tier matrix is undefined, and the test is false for NaN.
      if (!((id! + 1) * TIER_DECISION_STRIDE <= tDec.length)) return BAD;
      k = id! * TIER_DECISION_STRIDE;
    }
    if (k > 0) {
      const accept = this.checkedHas(tDec[k + TIER_DECISION.adminAccept]!, pc);
      if (accept !== 0) return accept === BAD ? BAD : DECISION.adminAllowed;
      const deny = this.checkedHas(tDec[k + TIER_DECISION.adminDeny]!, pc);
      if (deny !== 0) return deny === BAD ? BAD : DECISION.adminDenied;
    }
    if (row !== 0) {
      if (this.localNode(egress ? 'egress' : 'ingress', s, d)) return DECISION.allowed;
      const cell = this.checkedCell(egress, local, remote, row);
      const allows = cell === BAD ? BAD : this.checkedHas(cell, pc);
      return allows === BAD ? BAD : allows === 1 ? DECISION.allowed : DECISION.denied;
    }
    if (k > 0) {
      const accept = this.checkedHas(tDec[k + TIER_DECISION.baselineAccept]!, pc);
      if (accept !== 0) return accept === BAD ? BAD : DECISION.baselineAllowed;
      const deny = this.checkedHas(tDec[k + TIER_DECISION.baselineDeny]!, pc);
      if (deny !== 0) return deny === BAD ? BAD : DECISION.baselineDenied;
    }
    return DECISION.notIsolated;
  }

  /** cell() with both matrix reads checked: the port-set id, or BAD when a read falls outside the matrix. */
  private checkedCell(egress: boolean, local: number, remote: number, row: number): number {
    const m = egress ? this.egM : this.inM;
    const group = this.half[local * ENTRY_HALVES + (egress ? ENTRY_HALF.egressGroup : ENTRY_HALF.ingressGroup)]!;
    const column = this.half[remote * ENTRY_HALVES + (egress ? ENTRY_HALF.egressCol : ENTRY_HALF.ingressCol)]!;
    const offset = m[group * (egress ? this.egCols : this.inCols) + column];
    if (offset === undefined) return BAD;
    return m[row + offset] ?? BAD;
  }

  /** has() with the read checked: 1 or 0, BAD when the set's word lies outside portSets (an undefined `set` included). */
  private checkedHas(set: number, pc: number): number {
    const w = this.portSets[set * this.words + (pc >>> 5)];
    return w === undefined ? BAD : (w >>> (pc & 31)) & 1;
  }

  /**
   * decide on a changeable image: entries below entryCount (a trie leaf or host slot changed
   * since validation may name any), then every other index checked as it is read
   * (checkedDirection); anything out of range makes the flow MALFORMED, never a verdict.
   */
  private decideChecked(s: number, d: number, protocol: number, port: number, established: boolean, nameClass = 0): number {
    const n = this.entryCount;
    // Negated: undefined (a lookup read past the trie) and NaN fail every comparison.
    if (!(s >= 0 && s < n && d >= 0 && d < n) || nameClass >= this.nameClasses) return MALFORMED;
    if (this.special(s, d, protocol, port, established)) return ALLOW_BOTH;
    const pc = this.portClass(protocol, port);
    const eg = this.checkedDirection(true, s, d, pc, nameClass);
    const ing = this.checkedDirection(false, s, d, pc, 0);
    return eg === BAD || ing === BAD ? MALFORMED : verdictByte(eg, ing);
  }

  /** The verdict byte for two resolved entries; `nameClass`: the destination name's class (0: none). */
  decide(s: number, d: number, protocol: number, port: number, established: boolean, nameClass = 0): number {
    if (nameClass >= this.nameClasses) return MALFORMED;
    if (this.special(s, d, protocol, port, established)) return ALLOW_BOTH;
    const pc = this.portClass(protocol, port);
    return verdictByte(this.egress(s, d, pc, nameClass), this.ingress(s, d, pc));
  }

  /** IPv4 flow as numbers: zero allocation. `port` is the ICMP type for ICMP flows. */
  verdict4(src: number, dst: number, protocol: number, port: number, established = false, nameClass = 0): number {
    return this.decide(lookup4(this.lpm4, src >>> 0), lookup4(this.lpm4, dst >>> 0), protocol, port, established, nameClass);
  }

  /** IPv6 flow: four words each for src and dst. */
  verdict6(src: Uint32Array, so: number, dst: Uint32Array, dO: number, protocol: number, port: number, established = false, nameClass = 0): number {
    return this.decide(this.entry6(src, so), this.entry6(dst, dO), protocol, port, established, nameClass);
  }

  /** Verdict bytes for a batch, written to `out[0..count)`. Throws on inconsistent lengths. */
  verdictBatch(b: FlowBatch, out: Uint8Array): void {
    const n = b.count;
    const wordsPerAddr = b.family ? 4 : 1;
    if (!Number.isInteger(n) || n < 0) throw new RangeError('batch count must be a non-negative integer');
    if (b.src.length < n * wordsPerAddr || b.dst.length < n * wordsPerAddr) throw new RangeError(`src/dst need ${n * wordsPerAddr} words`);
    if (b.protocol.length < n || b.port.length < n || out.length < n) throw new RangeError(`protocol, port and out need ${n} elements`);
    if ((b.family && b.family.length < n) || (b.flags && b.flags.length < n) || (b.nameClass && b.nameClass.length < n))
      throw new RangeError(`family, flags and nameClass need ${n} elements`);
    if (!b.family && !b.flags && !b.nameClass && (this.flags & IMAGE_FLAGS.allowICMPv6NeighborDiscovery) === 0)
      return (this.loop ??= this.batchLoop())(b.src, b.dst, b.protocol, b.port, n, out);
    for (let i = 0; i < n; i++) {
      const established = b.flags ? (b.flags[i]! & 1) === 1 : false;
      const proto = b.protocol[i]!;
      const port = b.port[i]!;
      const nc = b.nameClass ? b.nameClass[i]! : 0;
      if (!b.family) {
        out[i] = this.decide(lookup4(this.lpm4, b.src[i]!), lookup4(this.lpm4, b.dst[i]!), proto, port, established, nc);
        continue;
      }
      const f = b.family[i];
      if (f === 4) out[i] = this.decide(lookup4(this.lpm4, b.src[4 * i]!), lookup4(this.lpm4, b.dst[4 * i]!), proto, port, established, nc);
      else if (f === 6) out[i] = this.decide(this.entry6(b.src, 4 * i), this.entry6(b.dst, 4 * i), proto, port, established, nc);
      else out[i] = MALFORMED;
    }
  }
}
