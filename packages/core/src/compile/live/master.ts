/**
 * The live compiler's own copy of the image: the same layout the kernels read, sized with
 * room to grow (the header counts are capacities; unused rows, columns, entries and chunks
 * are zero, which is valid and never referenced). Every write marks its 4 KiB pages dirty,
 * so a published copy is brought up to date by copying those pages only. When a table
 * outgrows its room the master is laid out again, larger (`layoutVersion` changes and
 * published copies are replaced instead of patched).
 */
import {
  allocateImage,
  sectionViews,
  HOST6_STRIDE,
  ENTRY,
  ENTRY_STRIDE,
  TIER_DECISION_STRIDE,
  type HeaderValues,
  type ImageViews,
  type SectionName,
} from '../layout.js';
import { ROOT_SLOTS } from '../lpm.js';
import type { TrieStore } from './trie.js';

export const PAGE_SHIFT = 12;

export interface Capacities {
  readonly lpm4: number;
  readonly lpm6: number;
  readonly entries: number;
  readonly portClasses: number;
  readonly portSets: number;
  readonly egressRows: number;
  readonly egressCols: number;
  readonly ingressRows: number;
  readonly ingressCols: number;
  readonly hosts6Slots: number;
  /** Tier matrix rows and column classes; the egress matrix has `nameClasses` cells per column class. */
  readonly tierEgressRows: number;
  readonly tierEgressCols: number;
  readonly tierIngressRows: number;
  readonly tierIngressCols: number;
  readonly nameClasses: number;
  readonly tierDecisions: number;
}

const INITIAL: Capacities = {
  lpm4: ROOT_SLOTS + 256 * 64,
  lpm6: ROOT_SLOTS + 256 * 64,
  entries: 1024,
  portClasses: 64,
  portSets: 64,
  egressRows: 64,
  egressCols: 64,
  ingressRows: 64,
  ingressCols: 64,
  hosts6Slots: 64,
  // Without cluster-scoped policies the tier part is one unused cell: grown when policies come.
  tierEgressRows: 1,
  tierEgressCols: 1,
  tierIngressRows: 1,
  tierIngressCols: 1,
  nameClasses: 1,
  tierDecisions: 1,
};

/** Room for `need`, with headroom so that growth is rare (amortised doubling). */
const grown = (have: number, need: number): number => (need <= have ? have : Math.max(need + (need >> 1), have * 2));

function countsOf(c: Capacities): Record<SectionName, number> {
  return {
    lpm4: c.lpm4,
    lpm6: c.lpm6,
    entries: c.entries * ENTRY_STRIDE,
    portMap: 3 * 65536,
    portSets: c.portSets * (c.portClasses >>> 5),
    // One group map (the identity) in front of the rows: a live image is a single group.
    egressMatrix: c.egressCols + c.egressRows * c.egressCols,
    ingressMatrix: c.ingressCols + c.ingressRows * c.ingressCols,
    hosts6: c.hosts6Slots * HOST6_STRIDE,
    tierEgressMatrix: c.tierEgressRows * c.tierEgressCols * c.nameClasses,
    tierIngressMatrix: c.tierIngressRows * c.tierIngressCols,
    tierDecisions: c.tierDecisions * TIER_DECISION_STRIDE,
  };
}

/**
 * The tier egress matrix into a new layout: cell (row, column, name class) by cell. Name classes
 * the new layout has and the old did not (capacity beyond the classes compiled) answer as class
 * 0, "no name", as the tier part writes them.
 */
function copyTierEgress(to: Uint16Array, from: Uint16Array, was: Capacities, caps: Capacities): void {
  const n0 = was.nameClasses;
  const n1 = caps.nameClasses;
  const cols = Math.min(was.tierEgressCols, caps.tierEgressCols);
  const rows = Math.min(was.tierEgressRows, caps.tierEgressRows);
  if (n0 === n1) {
    // The usual case (rows or columns grew): whole rows.
    for (let r = 0; r < rows; r++) to.set(from.subarray(r * was.tierEgressCols * n0, (r * was.tierEgressCols + cols) * n0), r * caps.tierEgressCols * n1);
    return;
  }
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const a = (r * was.tierEgressCols + c) * n0;
      const b = (r * caps.tierEgressCols + c) * n1;
      to.set(from.subarray(a, a + Math.min(n0, n1)), b);
      if (n1 > n0) to.fill(from[a]!, b + n0, b + n1);
    }
  }
}

/**
 * An entry's row offset for local class `row` (0: not isolated): the rows follow the single
 * group map, so row r starts at (r + 1) × columns. Its group is always 0.
 */
export const liveRowOffset = (row: number, cols: number): number => (row === 0 ? 0 : (row + 1) * cols);

/** Entries hold row offsets, which depend on the column capacity: recomputed when it changes. */
function rescaleRows(entries: Uint32Array, was: Capacities, caps: Capacities): void {
  for (let o = 0; o < entries.length; o += ENTRY_STRIDE) {
    const eg = entries[o + ENTRY.egressRow]!;
    if (eg !== 0) entries[o + ENTRY.egressRow] = liveRowOffset(eg / was.egressCols - 1, caps.egressCols);
    const ing = entries[o + ENTRY.ingressRow]!;
    if (ing !== 0) entries[o + ENTRY.ingressRow] = liveRowOffset(ing / was.ingressCols - 1, caps.ingressCols);
  }
}

export class MasterImage {
  buffer!: ArrayBuffer;
  views!: ImageViews;
  caps: Capacities;
  /** Changes whenever the layout does (published copies must then be rebuilt, not patched). */
  layoutVersion = 0;
  /** Pages written since the last `takeDirty()`. */
  private dirty: number[] = [];
  private dirtyMark!: Uint8Array;
  readonly trie4: TrieStore;
  readonly trie6: TrieStore;

  constructor(private readonly flags: number) {
    this.caps = INITIAL;
    this.relayout(INITIAL);
    const master = this;
    const store = (section: 'lpm4' | 'lpm6'): TrieStore => ({
      get t() {
        return master.views[section];
      },
      used: 0,
      reserve(n: number) {
        if (this.used + n > master.caps[section]) master.ensure({ [section]: this.used + n });
      },
      touch(start: number, end: number) {
        master.touch(section, start, end);
      },
    });
    this.trie4 = store('lpm4');
    this.trie6 = store('lpm6');
  }

  get portSetWords(): number {
    return this.caps.portClasses >>> 5;
  }

  /** Makes room for at least `n` entries: ensure() without its allocations, on every new address. */
  ensureEntries(n: number): void {
    if (n > this.caps.entries) this.ensure({ entries: n });
  }

  /** Makes room for at least these capacities; lays the image out again if needed. */
  ensure(need: Partial<Capacities>): void {
    let changed = false;
    const next = { ...this.caps } as Record<keyof Capacities, number>;
    for (const [k, v] of Object.entries(need) as [keyof Capacities, number][]) {
      if (v <= next[k]) continue;
      changed = true;
      next[k] =
        k === 'portClasses' ? Math.ceil(grown(next[k], v) / 32) * 32 : k === 'hosts6Slots' ? 2 ** Math.ceil(Math.log2(grown(next[k], v))) : grown(next[k], v);
    }
    if (changed && process.env.NP_DEBUG) console.error('relayout', JSON.stringify(need), new Error().stack?.split('\n')[3]);
    if (changed) this.relayout(next);
  }

  /**
   * Headroom after a bulk build, so that the updates that follow rarely lay the image out
   * again: a relayout allocates and copies the whole image (about 15 ms at 10k pods here,
   * mostly first-touch page faults), then every published copy is made afresh.
   */
  reserveHeadroom(used: Omit<Capacities, 'lpm4' | 'lpm6'>): void {
    const more = (n: number): number => n + (n >> 1) + 64;
    const twice = (n: number): number => 2 * n + 64;
    const thrice = (n: number): number => 3 * n + 256;
    // Exact sizes (growth by doubling during the build overshoots), then one layout.
    this.relayout({
      // Trie chunks are what new ipBlocks add: as much room again as the build used (a few
      // hundred ipBlock policies added at L outgrew a fixed 64 chunks of 256 slots, and each relayout copies
      // the whole image and makes every published copy afresh).
      lpm4: this.trie4.used + Math.max(256 * 64, this.trie4.used - ROOT_SLOTS),
      lpm6: this.trie6.used + Math.max(256 * 64, this.trie6.used - ROOT_SLOTS),
      entries: more(used.entries),
      portClasses: Math.ceil((used.portClasses + 32) / 32) * 32,
      portSets: twice(used.portSets),
      // Rows and columns are what policy changes add: the most room.
      // Rows cost nothing until written (no reader strides over them): the most room.
      egressRows: thrice(used.egressRows),
      egressCols: twice(used.egressCols),
      ingressRows: thrice(used.ingressRows),
      ingressCols: twice(used.ingressCols),
      hosts6Slots: used.hosts6Slots,
      // The tier part is small, and recomputed whole when a cluster-scoped policy changes.
      tierEgressRows: more(used.tierEgressRows),
      tierEgressCols: more(used.tierEgressCols),
      tierIngressRows: more(used.tierIngressRows),
      tierIngressCols: more(used.tierIngressCols),
      nameClasses: used.nameClasses,
      tierDecisions: twice(used.tierDecisions),
    });
  }

  private relayout(caps: Capacities): void {
    const header: HeaderValues = {
      flags: this.flags,
      entryCount: caps.entries,
      portClassCount: caps.portClasses,
      portSetWords: caps.portClasses >>> 5,
      portSetCount: caps.portSets,
      egressPeerCount: caps.egressCols,
      egressRowCount: caps.egressRows,
      ingressPeerCount: caps.ingressCols,
      ingressRowCount: caps.ingressRows,
      egressGroupCount: 1,
      ingressGroupCount: 1,
      hosts6Slots: caps.hosts6Slots,
      tierEgressColCount: caps.tierEgressCols * caps.nameClasses,
      tierEgressRowCount: caps.tierEgressRows,
      tierIngressColCount: caps.tierIngressCols,
      tierIngressRowCount: caps.tierIngressRows,
      tierDecisionCount: caps.tierDecisions,
      nameClassCount: caps.nameClasses,
    };
    const buffer = allocateImage(header, countsOf(caps), false) as ArrayBuffer;
    const views = sectionViews(buffer);
    const old = this.views;
    if (old) {
      const was = this.caps;
      // Copies what fits: a shrink (after a bulk build) only cuts unused room.
      const copy = (to: Uint16Array | Uint32Array, from: Uint16Array | Uint32Array, toAt = 0, n = Math.min(from.length, to.length)): void =>
        (to as Uint32Array).set(from.subarray(0, n) as Uint32Array, toAt);
      copy(views.lpm4, old.lpm4);
      copy(views.lpm6, old.lpm6);
      copy(views.entries, old.entries);
      if (was.egressCols !== caps.egressCols || was.ingressCols !== caps.ingressCols) rescaleRows(views.entries, was, caps);
      copy(views.portMap, old.portMap);
      const w0 = was.portClasses >>> 5;
      const w1 = caps.portClasses >>> 5;
      for (let s = 0; s < Math.min(was.portSets, caps.portSets); s++) copy(views.portSets, old.portSets.subarray(s * w0), s * w1, Math.min(w0, w1));
      // Rows after the group map: row r at (r + 1) × columns.
      for (let r = 0; r < Math.min(was.egressRows, caps.egressRows); r++)
        copy(views.egressMatrix, old.egressMatrix.subarray((r + 1) * was.egressCols), (r + 1) * caps.egressCols, Math.min(was.egressCols, caps.egressCols));
      for (let r = 0; r < Math.min(was.ingressRows, caps.ingressRows); r++)
        copy(
          views.ingressMatrix,
          old.ingressMatrix.subarray((r + 1) * was.ingressCols),
          (r + 1) * caps.ingressCols,
          Math.min(was.ingressCols, caps.ingressCols),
        );
      copyTierEgress(views.tierEgressMatrix, old.tierEgressMatrix, was, caps);
      for (let r = 0; r < Math.min(was.tierIngressRows, caps.tierIngressRows); r++)
        copy(
          views.tierIngressMatrix,
          old.tierIngressMatrix.subarray(r * was.tierIngressCols),
          r * caps.tierIngressCols,
          Math.min(was.tierIngressCols, caps.tierIngressCols),
        );
      copy(views.tierDecisions, old.tierDecisions);
      // hosts6 is rebuilt by its owner whenever the slot count changes (the hash depends on it).
      if (was.hosts6Slots === caps.hosts6Slots) views.hosts6.set(old.hosts6);
    }
    for (let c = 0; c < caps.egressCols; c++) views.egressMatrix[c] = c;
    for (let c = 0; c < caps.ingressCols; c++) views.ingressMatrix[c] = c;
    this.buffer = buffer;
    this.views = views;
    this.caps = caps;
    this.layoutVersion++;
    this.dirtyMark = new Uint8Array((buffer.byteLength >>> PAGE_SHIFT) + 1);
    this.dirty = [];
  }

  /** Elements [start, end) of a section were written. */
  touch(section: SectionName, start: number, end: number): void {
    if (end <= start) return;
    const v = this.views[section];
    const base = v.byteOffset;
    const first = (base + start * v.BYTES_PER_ELEMENT) >>> PAGE_SHIFT;
    const last = (base + end * v.BYTES_PER_ELEMENT - 1) >>> PAGE_SHIFT;
    for (let p = first; p <= last; p++) {
      if (this.dirtyMark[p] === 0) {
        this.dirtyMark[p] = 1;
        this.dirty.push(p);
      }
    }
  }

  /** The pages written since the last call (and forgets them). */
  takeDirty(): number[] {
    const pages = this.dirty;
    for (const p of pages) this.dirtyMark[p] = 0;
    this.dirty = [];
    return pages;
  }
}
