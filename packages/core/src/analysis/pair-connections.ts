/**
 * The connections allowed between two image entries, as port ranges per protocol, computed by
 * set algebra over the image's port classes (never by probing ports one by one). Per direction
 * it is compile/IMAGE.md's "A verdict" over every port class at once, name class 0:
 *
 *   allowed = adminAccept ∪ (¬adminDeny ∩ (isolated ? (localNode ? all : cell) : baselineAccept ∪ ¬baselineDeny))
 *
 * (an end that is not a pod: every class), and the pair's set is egress ∩ ingress; a pod
 * reaching itself: everything. The sets depend on a few entry fields only (rows, columns, tier
 * rows and columns, whether the local-node exemption applies), so they are computed once per
 * distinct combination and every equal answer is the same ConnectionSet object.
 */
import type { CompileResult } from '../compile/compile.js';
import {
  ENTRY,
  ENTRY_HALF,
  ENTRY_HALVES,
  ENTRY_STRIDE,
  HEADER,
  HOST6_STRIDE,
  IMAGE_FLAGS,
  TIER_DECISION,
  TIER_DECISION_STRIDE,
  type ImageViews,
} from '../compile/layout.js';
import { POINTER, ROOT_SLOTS } from '../compile/lpm.js';
import { OTHER_CLASS } from '../compile/ports.js';
import { endEntry, type EndProvenance } from '../dataplane/flow-ends.js';
import { Kernel } from '../kernels/js-kernel.js';
import type { FlowEnd } from '../model/flow.js';
import type { ConnectionSet, PortRange } from './connection-set.js';

/** A region of the address space that one entry answers for (ImageConnections.externalRegions). */
export interface ExternalRegion {
  readonly family: 4 | 6;
  /** First and last address, inclusive. */
  readonly first: bigint;
  readonly last: bigint;
  /** The image entry of every address in it. */
  readonly entry: number;
}

/** A run of ports of one protocol slot that share a port class. */
interface Run {
  readonly start: number;
  readonly end: number;
  readonly cls: number;
}

/** Above this many cells a per-direction memo is a Map instead of a typed table. */
const TABLE_MAX = 1 << 22;

/** ImageConnections' options. */
export interface ImageConnectionsOptions {
  /** @internal Largest typed memo table per direction, in cells (tests force the Map path with 0). */
  readonly memoTableCells?: number;
}

/**
 * Memo of one direction: (local class, remote class, local-node) → set id + 1 (0: not yet), in
 * a typed table when it is small enough, else in a Map.
 */
class DirectionMemo {
  readonly table: Int32Array | undefined;
  private readonly map = new Map<number, number>();
  constructor(
    readonly remotes: number,
    locals: number,
    tableMax: number,
  ) {
    const cells = locals * remotes * 2;
    this.table = cells <= tableMax ? new Int32Array(cells) : undefined;
  }
  get(key: number): number {
    return this.table ? this.table[key]! - 1 : (this.map.get(key) ?? -1);
  }
  set(key: number, id: number): void {
    if (this.table) this.table[key] = id + 1;
    else this.map.set(key, id);
  }
}

/**
 * The allowed connections between the entries of one compiled image (compile()'s result): what
 * connectivity reports (connlist, diff) are made of. Entries come from `entryOf` (an address,
 * or a pod without an address); `connections` is memoized per distinct combination of the
 * fields that decide it, and equal sets are the same frozen object.
 */
export class ImageConnections {
  private readonly kernel: Kernel;
  private readonly v: ImageViews;
  private readonly prov: EndProvenance;
  private readonly words: number;
  private readonly classes: number;
  private readonly flags: number;
  /** Every port class. */
  private readonly all: Uint32Array;
  /** The classes that hold a port of 1-65535, or class 0: a ConnectionSet can tell these apart. */
  private readonly visible: Uint32Array;
  /** Per protocol slot, the runs of equal port class over ports 1-65535. */
  private readonly runs: readonly (readonly Run[])[];
  /** Per entry: its egress source class (0: not a pod), egress destination class, ingress destination class (0: not a pod), ingress source class. */
  private readonly egSrc: Int32Array;
  private readonly egDst: Int32Array;
  private readonly inDst: Int32Array;
  private readonly inSrc: Int32Array;
  /** Entry fields of each class, for computing its sets: [row, tier row, group map] or [col, tier col]. */
  private readonly egSrcFields: number[][] = [[0, 0, 0]];
  private readonly egDstFields: number[][] = [];
  private readonly inDstFields: number[][] = [[0, 0, 0]];
  private readonly inSrcFields: number[][] = [];
  private readonly egMemo: DirectionMemo;
  private readonly inMemo: DirectionMemo;
  /** Port-class sets computed per direction, interned: id → bits. */
  private readonly sets: Uint32Array[] = [];
  private readonly setIds = new Map<string, number>();
  /** (egress set id, ingress set id) → the pair's connections. */
  private readonly pairs: (ConnectionSet | undefined)[][] = [];
  private readonly interned = new Map<string, ConnectionSet>();
  /** (tier decision, cell port set, mode) → set id: what compute() reduces a class pair to. */
  private readonly decided = new Map<number, number>();
  private readonly allId: number;
  /** Every connection: what a pod may open to itself. */
  private readonly everything: ConnectionSet;
  private readonly localEgress: boolean;
  private readonly localIngress: boolean;
  private regions: readonly ExternalRegion[] | undefined;

  /** Validates the image (ImageError for a corrupt one) and indexes its entries. */
  constructor(result: CompileResult, options: ImageConnectionsOptions = {}) {
    this.kernel = new Kernel(result.image);
    this.v = this.kernel.views;
    this.prov = result.provenance;
    const h = this.v.header;
    this.words = h[HEADER.portSetWords]!;
    this.classes = h[HEADER.portClassCount]!;
    this.flags = h[HEADER.flags]!;
    this.all = new Uint32Array(this.words);
    for (let c = 0; c < this.classes; c++) this.all[c >>> 5]! |= 1 << (c & 31);
    this.visible = new Uint32Array(this.words);
    this.visible[OTHER_CLASS >>> 5]! |= 1 << (OTHER_CLASS & 31);
    this.runs = [0, 1, 2].map((slot) => this.slotRuns(slot));
    for (const slotRuns of this.runs) for (const r of slotRuns) this.visible[r.cls >>> 5]! |= 1 << (r.cls & 31);
    this.allId = this.intern(this.all);
    this.everything = this.toConnections(this.all.slice());
    this.localEgress = (this.flags & IMAGE_FLAGS.allowEgressToLocalNode) !== 0;
    this.localIngress = (this.flags & IMAGE_FLAGS.allowIngressFromLocalNode) !== 0;

    const n = h[HEADER.entryCount]!;
    const ent = this.v.entries;
    this.egSrc = new Int32Array(n);
    this.egDst = new Int32Array(n);
    this.inDst = new Int32Array(n);
    this.inSrc = new Int32Array(n);
    const classOf = (ids: Map<number, number>, fields: number[][], a: number, b: number, bWidth: number): number => {
      const key = a * bWidth + b;
      let id = ids.get(key);
      if (id === undefined) ids.set(key, (id = fields.push([a, b]) - 1));
      return id;
    };
    const maps = [new Map<number, number>(), new Map<number, number>(), new Map<number, number>(), new Map<number, number>()] as const;
    // A local class is (row offset, tier row, group map offset); offsets can be large, so keyed by text.
    const localOf = (ids: Map<string, number>, fields: number[][], row: number, trow: number, map: number): number => {
      const key = `${row},${trow},${map}`;
      let id = ids.get(key);
      if (id === undefined) ids.set(key, (id = fields.push([row, trow, map]) - 1));
      return id;
    };
    const locals = [new Map<string, number>(), new Map<string, number>()] as const;
    const tierEgCols = h[HEADER.tierEgressColCount]!;
    const tierInCols = h[HEADER.tierIngressColCount]!;
    const half = this.v.entryHalves;
    const egPeers = h[HEADER.egressPeerCount]!;
    const inPeers = h[HEADER.ingressPeerCount]!;
    for (let e = 0; e < n; e++) {
      const o = e * ENTRY_STRIDE;
      const q = e * ENTRY_HALVES;
      const pod = ent[o + ENTRY.podSlot] !== 0;
      // The group map's offset: its group × the peer count.
      const egMap = half[q + ENTRY_HALF.egressGroup]! * egPeers;
      const inMap = half[q + ENTRY_HALF.ingressGroup]! * inPeers;
      this.egSrc[e] = pod ? localOf(locals[0], this.egSrcFields, ent[o + ENTRY.egressRow]!, half[q + ENTRY_HALF.tierEgressRow]!, egMap) : 0;
      this.egDst[e] = classOf(maps[1], this.egDstFields, half[q + ENTRY_HALF.egressCol]!, half[q + ENTRY_HALF.tierEgressCol]!, tierEgCols);
      this.inDst[e] = pod ? localOf(locals[1], this.inDstFields, ent[o + ENTRY.ingressRow]!, half[q + ENTRY_HALF.tierIngressRow]!, inMap) : 0;
      this.inSrc[e] = classOf(maps[3], this.inSrcFields, half[q + ENTRY_HALF.ingressCol]!, half[q + ENTRY_HALF.tierIngressCol]!, tierInCols);
    }
    const tableMax = options.memoTableCells ?? TABLE_MAX;
    this.egMemo = new DirectionMemo(this.egDstFields.length, this.egSrcFields.length, tableMax);
    this.inMemo = new DirectionMemo(this.inSrcFields.length, this.inDstFields.length, tableMax);
  }

  /** The runs of equal port class of one protocol slot over ports 1-65535 (the portMap scanned once). */
  private slotRuns(slot: number): Run[] {
    const map = this.v.portMap;
    const out: Run[] = [];
    let start = 1;
    for (let port = 2; port <= 65536; port++) {
      if (port === 65536 || map[(slot << 16) | port] !== map[(slot << 16) | start]) {
        out.push({ start, end: port - 1, cls: map[(slot << 16) | start]! });
        start = port;
      }
    }
    return out;
  }

  /**
   * The entry of one end: an address's (the image's lookup, as for a flow), or the entry
   * compiled for a pod without an address. Throws RangeError for a pod with an IP given
   * without one (pass its address).
   */
  entryOf(end: FlowEnd): number {
    return endEntry(this.kernel, this.prov, end);
  }

  /**
   * The connections allowed from entry `src` to entry `dst`: what egress from `src` and ingress
   * into `dst` both allow (name class 0: no destination name). Memoized; equal sets are the
   * same object. Throws RangeError for an entry the image does not have.
   */
  connections(src: number, dst: number): ConnectionSet {
    const n = this.egSrc.length;
    if (!(src >= 0 && src < n && dst >= 0 && dst < n)) throw new RangeError(`entries ${src}, ${dst}: the image has ${n}`);
    const ent = this.v.entries;
    const half = this.v.entryHalves;
    const slot = ent[src * ENTRY_STRIDE + ENTRY.podSlot]!;
    if (slot !== 0 && slot === ent[dst * ENTRY_STRIDE + ENTRY.podSlot]) return this.everything; // a pod reaching itself
    const es = src * ENTRY_HALVES;
    const ed = dst * ENTRY_HALVES;
    // Egress on the source: its class, the destination's, and whether the destination is its node.
    let eg = this.allId;
    const egLocal = this.egSrc[src]!;
    if (egLocal !== 0) {
      const node = half[ed + ENTRY_HALF.addrNode]!;
      const localNode = this.localEgress && node !== 0 && node === half[es + ENTRY_HALF.podNode];
      const key = (egLocal * this.egMemo.remotes + this.egDst[dst]!) * 2 + (localNode ? 1 : 0);
      eg = this.egMemo.get(key);
      if (eg < 0) this.egMemo.set(key, (eg = this.compute(true, egLocal, this.egDst[dst]!, localNode)));
    }
    // Ingress on the destination, the mirror image (written out twice: this runs per pair, millions of times).
    let ing = this.allId;
    const inLocal = this.inDst[dst]!;
    if (inLocal !== 0) {
      const node = half[es + ENTRY_HALF.addrNode]!;
      const localNode = this.localIngress && node !== 0 && node === half[ed + ENTRY_HALF.podNode];
      const key = (inLocal * this.inMemo.remotes + this.inSrc[src]!) * 2 + (localNode ? 1 : 0);
      ing = this.inMemo.get(key);
      if (ing < 0) this.inMemo.set(key, (ing = this.compute(false, inLocal, this.inSrc[src]!, localNode)));
    }
    const row = (this.pairs[eg] ??= []);
    let c = row[ing];
    if (!c) row[ing] = c = this.toConnections(this.and(this.sets[eg]!, this.sets[ing]!));
    return c;
  }

  /**
   * What `connections(entry, dst)` depends on as a source: two entries with the same key get the
   * same set from every destination that is neither one of their own pods nor a node address
   * (the pod-itself and local-node cases depend on the pair). -1 for a node address. Lets a
   * report compute one set per key pair instead of one per entry pair.
   */
  sourceKey(entry: number): number {
    if (this.v.entryHalves[entry * ENTRY_HALVES + ENTRY_HALF.addrNode] !== 0) return -1;
    return this.egSrc[entry]! * this.inSrcFields.length + this.inSrc[entry]!;
  }

  /** What `connections(src, entry)` depends on as a destination (as sourceKey says); -1 for a node address. */
  destinationKey(entry: number): number {
    if (this.v.entryHalves[entry * ENTRY_HALVES + ENTRY_HALF.addrNode] !== 0) return -1;
    return this.egDst[entry]! * this.inDstFields.length + this.inDst[entry]!;
  }

  /** The connections between two ends (entryOf each, then connections). */
  between(src: FlowEnd, dst: FlowEnd): ConnectionSet {
    return this.connections(this.entryOf(src), this.entryOf(dst));
  }

  /**
   * One direction's set for a class pair: the tier decision and the NetworkPolicy cell the
   * pair reads (array reads), then IMAGE.md's decision over every port class for that
   * (decision, cell, isolated, local-node), computed once per distinct combination.
   */
  private compute(egress: boolean, localClass: number, remoteClass: number, localNode: boolean): number {
    const v = this.v;
    const h = v.header;
    const [row, trow, map] = (egress ? this.egSrcFields : this.inDstFields)[localClass]!;
    const [col, tcol] = (egress ? this.egDstFields : this.inSrcFields)[remoteClass]!;
    // Tier decision 0 is four empty sets: no cluster-scoped policy selects the pod.
    const k =
      trow === 0
        ? 0
        : egress
          ? v.tierEgressMatrix[trow! * h[HEADER.tierEgressColCount]! + tcol! * h[HEADER.nameClassCount]!]! // name class 0
          : v.tierIngressMatrix[trow! * h[HEADER.tierIngressColCount]! + tcol!]!;
    // 0: not isolated by NetworkPolicy; 1: isolated, the local-node exemption applies; 2: isolated, the cell decides.
    const mode = row === 0 ? 0 : localNode ? 1 : 2;
    const m = egress ? v.egressMatrix : v.ingressMatrix;
    const cell = mode !== 2 ? 0 : m[row! + m[map! + col!]!]!; // IMAGE.md: M[row + M[map + col]]
    const key = (k * h[HEADER.portSetCount]! + cell) * 3 + mode;
    let id = this.decided.get(key);
    if (id === undefined) this.decided.set(key, (id = this.decide(k, mode, cell)));
    return id;
  }

  /** allowed = adminAccept ∪ (¬adminDeny ∩ (isolated ? (localNode ? all : cell) : baselineAccept ∪ ¬baselineDeny)). */
  private decide(k: number, mode: number, cell: number): number {
    const d = this.v.tierDecisions;
    const at = k * TIER_DECISION_STRIDE;
    const adminAccept = this.portSet(d[at + TIER_DECISION.adminAccept]!);
    const adminDeny = this.portSet(d[at + TIER_DECISION.adminDeny]!);
    let rest: Uint32Array;
    if (mode === 1) rest = this.all;
    else if (mode === 2) rest = this.portSet(cell);
    else {
      const baselineAccept = this.portSet(d[at + TIER_DECISION.baselineAccept]!);
      const baselineDeny = this.portSet(d[at + TIER_DECISION.baselineDeny]!);
      rest = new Uint32Array(this.words);
      for (let w = 0; w < this.words; w++) rest[w] = baselineAccept[w]! | ~baselineDeny[w]!;
    }
    const out = new Uint32Array(this.words);
    for (let w = 0; w < this.words; w++) out[w] = (adminAccept[w]! | (~adminDeny[w]! & rest[w]!)) & this.all[w]!;
    return this.intern(out);
  }

  private portSet(id: number): Uint32Array {
    return this.v.portSets.subarray(id * this.words, (id + 1) * this.words);
  }

  private and(a: Uint32Array, b: Uint32Array): Uint32Array {
    const out = new Uint32Array(this.words);
    for (let w = 0; w < this.words; w++) out[w] = a[w]! & b[w]!;
    return out;
  }

  private intern(bits: Uint32Array): number {
    const key = bits.join(',');
    let id = this.setIds.get(key);
    if (id === undefined) {
      id = this.sets.push(bits) - 1;
      this.setIds.set(key, id);
    }
    return id;
  }

  /** The port ranges of a class set (classes without a port of 1-65535 dropped), interned. */
  private toConnections(bits: Uint32Array): ConnectionSet {
    for (let w = 0; w < this.words; w++) bits[w]! &= this.visible[w]!;
    const key = bits.join(',');
    let c = this.interned.get(key);
    if (c) return c;
    const has = (cls: number): boolean => ((bits[cls >>> 5]! >>> (cls & 31)) & 1) === 1;
    const ranges = this.runs.map((slotRuns) => {
      const out: PortRange[] = [];
      let open: { start: number; end: number } | undefined;
      for (const r of slotRuns) {
        if (!has(r.cls)) continue;
        if (open && open.end + 1 === r.start) open.end = r.end;
        else out.push((open = { start: r.start, end: r.end }));
      }
      return Object.freeze(out.map((r) => Object.freeze(r)));
    });
    c = Object.freeze({ tcp: ranges[0]!, udp: ranges[1]!, sctp: ranges[2]!, otherProtocols: has(OTHER_CLASS) });
    this.interned.set(key, c);
    return c;
  }

  /**
   * The address space as the image cuts it, host addresses (pods' and nodes', /32 and /128)
   * left out: in address order, IPv4 then IPv6, the maximal ranges answered by one entry — the
   * regions the policies' ipBlocks (cidr and except) and cluster `networks` cut 0.0.0.0/0 and
   * ::/0 into, with a hole at every host address. Computed once, from the tries.
   */
  externalRegions(): readonly ExternalRegion[] {
    if (this.regions) return this.regions;
    const out: ExternalRegion[] = [];
    const ent = this.v.entries;
    const isHost = (e: number): boolean => ent[e * ENTRY_STRIDE + ENTRY.podSlot] !== 0 || this.v.entryHalves[e * ENTRY_HALVES + ENTRY_HALF.addrNode] !== 0;
    // IPv6 host addresses live in hosts6, not in the trie: cut them out of the regions.
    const hosts6: bigint[] = [];
    const t6 = this.v.hosts6;
    for (let at = 0; at < t6.length; at += HOST6_STRIDE) {
      if (t6[at + 4] === 0) continue;
      hosts6.push((BigInt(t6[at]!) << 96n) | (BigInt(t6[at + 1]!) << 64n) | (BigInt(t6[at + 2]!) << 32n) | BigInt(t6[at + 3]!));
    }
    hosts6.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    for (const family of [4, 6] as const) {
      const regions = trieRegions(family === 4 ? this.v.lpm4 : this.v.lpm6, family).filter((r) => !isHost(r.entry));
      out.push(...(family === 4 ? regions : cutHosts(regions, hosts6)));
    }
    return (this.regions = Object.freeze(out));
  }
}

/**
 * The maximal runs of one entry over a trie's leaves, in address order. The walk visits leaves
 * in order and contiguously, so a run ends where the entry changes: only there is an address
 * computed (in bigint), which keeps the 65,536-slot root cheap.
 */
function trieRegions(t: Uint32Array, family: 4 | 6): ExternalRegion[] {
  const bits = family === 4 ? 32 : 128;
  const out: ExternalRegion[] = [];
  const path: number[] = []; // slot index per level: the current leaf's prefix
  let entry = -1;
  let first = 0n;
  /** First address of the leaf at `path` (its prefix, `used` bits). */
  const address = (used: number): bigint => {
    let a = 0n;
    path.forEach((slot, level) => (a = (a << BigInt(level === 0 ? 16 : 8)) | BigInt(slot)));
    return a << BigInt(bits - used);
  };
  const visit = (base: number, slots: number, used: number): void => {
    const level = path.length;
    for (let i = 0; i < slots; i++) {
      const v = t[base + i]!;
      path[level] = i;
      if (v & POINTER) {
        visit(v & ~POINTER, 256, used + 8);
        path.length = level + 1;
      } else if (v !== entry) {
        const at = address(used);
        if (entry >= 0) out.push({ family, first, last: at - 1n, entry });
        entry = v;
        first = at;
      }
    }
  };
  visit(0, ROOT_SLOTS, 16);
  out.push({ family, first, last: (1n << BigInt(bits)) - 1n, entry });
  return out;
}

/** Regions (address order) with the given addresses (ascending) cut out. */
function cutHosts(regions: readonly ExternalRegion[], hosts: readonly bigint[]): ExternalRegion[] {
  if (hosts.length === 0) return [...regions];
  const out: ExternalRegion[] = [];
  let h = 0;
  for (const r of regions) {
    let first = r.first;
    while (h < hosts.length && hosts[h]! < first) h++;
    while (h < hosts.length && hosts[h]! <= r.last) {
      if (hosts[h]! > first) out.push({ ...r, first, last: hosts[h]! - 1n });
      first = hosts[h]! + 1n;
      h++;
    }
    if (first <= r.last) out.push({ ...r, first });
  }
  return out;
}
