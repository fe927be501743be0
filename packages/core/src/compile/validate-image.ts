/**
 * The image's invariants: everything the kernels rely on to never read outside a section
 * and never take one value for another, checked before the first verdict. The native
 * kernel's validate() (packages/native/src/kernel.cc) checks the same list, in the same
 * order, with the same messages, so that both refuse a corrupt image naming the same broken
 * invariant (test vectors: test/native/image-vectors.test.ts). IMAGE.md, "Invariants", is
 * the written list.
 */
import {
  ENTRY,
  ENTRY_HALF,
  ENTRY_HALVES,
  ENTRY_STRIDE,
  HEADER,
  HEADER_WORDS,
  HOST6_STRIDE,
  IMAGE_FLAGS,
  MAGIC,
  SECTION_ELEMENT,
  SECTIONS,
  TIER_DECISION_STRIDE,
  VERSION,
  sectionViews,
  type ImageViews,
} from './layout.js';
import { POINTER, ROOT_SLOTS } from './lpm.js';

/** Each invariant by the name errors carry, in the order both validators check them. */
export const IMAGE_INVARIANTS = {
  'header-size': 'the buffer holds the 48-word header',
  alignment: 'the image starts 4-byte aligned (native only: JS always hands over whole, aligned buffers)',
  magic: 'header word 0 is the magic 0x4C4F504E',
  version: 'header word 1 is the version this reader knows',
  'byte-length': 'header word 2 equals the buffer length',
  'entry-stride': 'header word 5 is 8',
  flags: 'header word 3 holds only the four known flag bits',
  'section-bounds': 'every one of the 11 sections starts after the header at a multiple of its element size and ends inside the buffer',
  'section-overlap': 'no two sections share a byte',
  'entries-size': 'entryCount is at least 1 and entries holds 8 words per entry',
  'port-classes': 'portClassCount is at least 1 and portSetWords is ceil(portClassCount / 32)',
  'port-sets-size': 'portSetCount is at least 1 and portSets holds portSetWords words per set',
  'port-map-size': 'portMap holds 3 × 65536 classes',
  'egress-matrix-size': 'egressGroupCount and egressPeerCount are at least 1 and egressMatrix holds at least their product (the group maps, before the rows)',
  'ingress-matrix-size': 'ingressGroupCount and ingressPeerCount are at least 1 and ingressMatrix holds at least their product',
  'tier-matrix-size':
    'tier egress then ingress: row and column counts at least 1, the egress column count a multiple of nameClassCount, the matrix holds their product',
  'tier-decisions-size': 'tierDecisionCount is at least 1 and tierDecisions holds 4 words per decision',
  'name-classes': 'nameClassCount is at least 1',
  'hosts6-size': 'hosts6Slots is a power of two and hosts6 holds 5 words per slot',
  'trie-size': 'each trie holds at least the 65536-slot root',
  'trie-child': 'a trie pointer names a whole 256-slot chunk after the root',
  'trie-leaf': 'a trie leaf is an entry id below entryCount',
  'trie-depth': 'no pointer below the last level a lookup reads (IPv4: 2 chunks, IPv6: 14), so no walk goes past the address or loops',
  'entry-map': "an entry's egress and ingress groups are 0 when its row is 0, else below the group count",
  'entry-row':
    "an entry's egress and ingress row offsets are 0, or lie after the group maps with the row, as wide as the largest column its group map names, inside the matrix",
  'entry-column': "an entry's egress and ingress columns are below the matrices' peer counts (the group maps' width)",
  'entry-tier-row': "an entry's tier egress and ingress rows are below the tier matrices' row counts",
  'entry-tier-column':
    "an entry's tier egress column times nameClassCount plus nameClassCount is at most tierEgressColCount; its tier ingress column is below tierIngressColCount",
  'port-class': 'a portMap value is below portClassCount',
  'port-set': 'a matrix cell after the group maps is a port set id below portSetCount',
  'tier-cell': 'a tier matrix cell is a tier decision id below tierDecisionCount',
  'tier-set': 'a tier decision holds port set ids below portSetCount',
  'tier-decision-zero': 'tier decision 0 is four times port set 0, and port set 0 is empty: decision 0 decides nothing, so a kernel may skip it',
  'hosts6-entry': 'a hosts6 slot holds 0 (empty) or an entry id + 1 with the id below entryCount',
  'hosts6-empty': 'hosts6 has an empty slot, so that a probe for an absent address ends',
} as const;
export type ImageInvariant = keyof typeof IMAGE_INVARIANTS;

/** A corrupt image: the first broken invariant, where (section and element index) and the value found. */
export class ImageError extends RangeError {
  constructor(
    readonly invariant: ImageInvariant,
    /** 'header', 'buffer' or a section name. */
    readonly section: string,
    /** Element index in `section` (a header word for 'header'); undefined for 'buffer'. */
    readonly index: number | undefined,
    readonly value: number,
    rule: string,
  ) {
    super(`netpol image: ${imageProblem(invariant, section, index, value, rule)}`);
    this.name = 'ImageError';
  }
}

/** The text after "netpol image: ", the same as the native kernel's (kernel.cc, problem()). */
const imageProblem = (invariant: string, section: string, index: number | undefined, value: number, rule: string): string =>
  `${invariant}: ${section}${index === undefined ? '' : `[${index}]`} = ${value} (${rule})`;

function fail(invariant: ImageInvariant, section: string, index: number | undefined, value: number, rule: string): never {
  throw new ImageError(invariant, section, index, value, rule);
}

const KNOWN_FLAGS = Object.values(IMAGE_FLAGS).reduce((all, bit) => all | bit, 0);
const PORT_MAP_SLOTS = 3 * 65536;
/** Chunk levels below the root a lookup may read: IPv4 16-8-8, IPv6 16 then 8 × 14 bits. */
const TRIE_LEVELS = { lpm4: 2, lpm6: 14 } as const;

/**
 * Typed views over an image after the header and section-table invariants (everything
 * checkable without reading the sections: constant time). Values inside the sections are
 * not checked here: a kernel needs validateImage.
 */
export function readImage(buffer: ArrayBuffer | SharedArrayBuffer): ImageViews {
  const len = buffer.byteLength;
  if (len < HEADER_WORDS * 4) fail('header-size', 'buffer', undefined, len, `the header needs ${HEADER_WORDS * 4} bytes`);
  const h = new Uint32Array(buffer, 0, HEADER_WORDS);
  const word = (i: number): number => h[i]!;
  if (word(HEADER.magic) !== MAGIC) fail('magic', 'header', HEADER.magic, word(HEADER.magic), `expected ${MAGIC}`);
  if (word(HEADER.version) !== VERSION) fail('version', 'header', HEADER.version, word(HEADER.version), `expected ${VERSION}`);
  if (word(HEADER.byteLength) !== len) fail('byte-length', 'header', HEADER.byteLength, word(HEADER.byteLength), `the buffer has ${len} bytes`);
  if (word(HEADER.entryStride) !== ENTRY_STRIDE) fail('entry-stride', 'header', HEADER.entryStride, word(HEADER.entryStride), `expected ${ENTRY_STRIDE}`);
  if ((word(HEADER.flags) & ~KNOWN_FLAGS) !== 0) fail('flags', 'header', HEADER.flags, word(HEADER.flags), `known bits ${KNOWN_FLAGS}`);
  const start = SECTIONS.map((_, s) => word(HEADER.sections + 2 * s));
  const count = SECTIONS.map((_, s) => word(HEADER.sections + 2 * s + 1));
  const end = SECTIONS.map((name, s) => start[s]! + count[s]! * SECTION_ELEMENT[name]);
  SECTIONS.forEach((name, s) => {
    const size = SECTION_ELEMENT[name];
    if (start[s]! < HEADER_WORDS * 4 || start[s]! % size !== 0 || end[s]! > len)
      fail('section-bounds', 'header', HEADER.sections + 2 * s, start[s]!, `${name}: ${count[s]} elements of ${size} bytes in ${len} bytes`);
  });
  for (let j = 1; j < SECTIONS.length; j++) {
    for (let i = 0; i < j; i++) {
      if (start[i]! < end[j]! && start[j]! < end[i]!)
        fail('section-overlap', 'header', HEADER.sections + 2 * j, start[j]!, `${SECTIONS[j]} overlaps ${SECTIONS[i]}`);
    }
  }
  const n = Object.fromEntries(SECTIONS.map((name, s) => [name, count[s]!])) as Record<(typeof SECTIONS)[number], number>;
  const at = (name: (typeof SECTIONS)[number]): number => HEADER.sections + 2 * SECTIONS.indexOf(name) + 1;
  const entries = word(HEADER.entryCount);
  if (entries === 0 || n.entries !== entries * ENTRY_STRIDE)
    fail('entries-size', 'header', HEADER.entryCount, entries, `entries holds ${n.entries} words, ${ENTRY_STRIDE} per entry, at least one entry`);
  const classes = word(HEADER.portClassCount);
  const words = word(HEADER.portSetWords);
  if (classes === 0 || words !== Math.ceil(classes / 32))
    fail('port-classes', 'header', HEADER.portSetWords, words, `portClassCount ${classes}, at least 1, 32 per word`);
  const sets = word(HEADER.portSetCount);
  if (sets === 0 || n.portSets !== sets * words)
    fail('port-sets-size', 'header', HEADER.portSetCount, sets, `portSets holds ${n.portSets} words, ${words} per set, at least one set`);
  if (n.portMap !== PORT_MAP_SLOTS) fail('port-map-size', 'header', at('portMap'), n.portMap, `expected ${PORT_MAP_SLOTS}`);
  for (const [inv, section, groups, cols] of [
    ['egress-matrix-size', 'egressMatrix', HEADER.egressGroupCount, HEADER.egressPeerCount],
    ['ingress-matrix-size', 'ingressMatrix', HEADER.ingressGroupCount, HEADER.ingressPeerCount],
  ] as const) {
    const g = word(groups);
    const c = word(cols);
    if (g === 0 || c === 0 || n[section] < g * c) fail(inv, 'header', at(section), n[section], `${g} group maps × ${c} columns, both at least 1`);
  }
  const names = word(HEADER.nameClassCount);
  for (const [section, rows, cols] of [
    ['tierEgressMatrix', HEADER.tierEgressRowCount, HEADER.tierEgressColCount],
    ['tierIngressMatrix', HEADER.tierIngressRowCount, HEADER.tierIngressColCount],
  ] as const) {
    const r = word(rows);
    const c = word(cols);
    // A nameClassCount of 0 is name-classes' to report: the multiple is checked from 1 on.
    const grouped = section === 'tierIngressMatrix' || names === 0 || c % names === 0;
    if (r === 0 || c === 0 || !grouped || n[section] !== r * c)
      fail('tier-matrix-size', 'header', at(section), n[section], `${r} rows × ${c} columns, both at least 1, nameClassCount ${names}`);
  }
  const decisions = word(HEADER.tierDecisionCount);
  if (decisions === 0 || n.tierDecisions !== decisions * TIER_DECISION_STRIDE)
    fail(
      'tier-decisions-size',
      'header',
      HEADER.tierDecisionCount,
      decisions,
      `tierDecisions holds ${n.tierDecisions} words, ${TIER_DECISION_STRIDE} per decision, at least one decision`,
    );
  if (names === 0) fail('name-classes', 'header', HEADER.nameClassCount, names, 'at least 1');
  const slots = word(HEADER.hosts6Slots);
  if (slots === 0 || (slots & (slots - 1)) !== 0 || n.hosts6 !== slots * HOST6_STRIDE)
    fail('hosts6-size', 'header', HEADER.hosts6Slots, slots, `a power of two; hosts6 holds ${n.hosts6} words, ${HOST6_STRIDE} per slot`);
  for (const trie of ['lpm4', 'lpm6'] as const) {
    if (n[trie] < ROOT_SLOTS) fail('trie-size', 'header', at(trie), n[trie], `the root needs ${ROOT_SLOTS} slots`);
  }
  return sectionViews(buffer);
}

/**
 * readImage, then every value a lookup can reach: trie slots and depth, entry rows and
 * columns, port classes, port-set ids, IPv6 host slots. Linear in the image's size. Throws
 * ImageError naming the first broken invariant; a kernel never answers for such an image.
 */
export function validateImage(buffer: ArrayBuffer | SharedArrayBuffer): ImageViews {
  const v = readImage(buffer);
  const h = v.header;
  const entries = h[HEADER.entryCount]!;
  for (const trie of ['lpm4', 'lpm6'] as const) {
    const t = v[trie];
    const len = t.length;
    const i = firstBadSlot(t, entries);
    if (i >= 0) {
      const x = t[i]!;
      if (x & POINTER) fail('trie-child', trie, i, x, `chunks lie in slots ${ROOT_SLOTS}..${len}`);
      fail('trie-leaf', trie, i, x, `entryCount ${entries}`);
    }
    trieDepth(t, trie, TRIE_LEVELS[trie]);
  }
  const matrices = [
    {
      section: 'egressMatrix',
      row: ENTRY.egressRow,
      group: ENTRY_HALF.egressGroup,
      col: ENTRY_HALF.egressCol,
      groups: h[HEADER.egressGroupCount]!,
      cols: h[HEADER.egressPeerCount]!,
      colsName: 'egressPeerCount',
    },
    {
      section: 'ingressMatrix',
      row: ENTRY.ingressRow,
      group: ENTRY_HALF.ingressGroup,
      col: ENTRY_HALF.ingressCol,
      groups: h[HEADER.ingressGroupCount]!,
      cols: h[HEADER.ingressPeerCount]!,
      colsName: 'ingressPeerCount',
    },
  ] as const;
  // A row is read at most as far as the largest local column its group map holds.
  const widths = matrices.map(({ section, groups, cols }) => {
    const cells = v[section];
    const w = new Uint32Array(groups);
    for (let g = 0; g < groups; g++) for (let c = 0; c < cols; c++) w[g] = Math.max(w[g]!, cells[g * cols + c]! + 1);
    return w;
  });
  const half = v.entryHalves;
  for (let e = 0; e < entries; e++) {
    for (let m = 0; m < 2; m++) {
      const { section, row: rowField, group: groupField, groups, cols } = matrices[m]!;
      const at = e * ENTRY_STRIDE + rowField;
      const gat = e * ENTRY_HALVES + groupField;
      const row = v.entries[at]!;
      const group = half[gat]!;
      const maps = groups * cols;
      if (row === 0 ? group !== 0 : group >= groups) fail('entry-map', 'entryHalves', gat, group, `0 with row 0, else below ${groups}`);
      if (row !== 0 && (row < maps || row + widths[m]![group]! > v[section].length))
        fail('entry-row', 'entries', at, row, `0, or from ${maps} with ${widths[m]![group]} cells inside ${v[section].length}`);
    }
    for (let m = 0; m < 2; m++) {
      const { col, cols, colsName } = matrices[m]!;
      const at = e * ENTRY_HALVES + col;
      if (half[at]! >= cols) fail('entry-column', 'entryHalves', at, half[at]!, `${colsName} ${cols}`);
    }
  }
  const nameClasses = h[HEADER.nameClassCount]!;
  const tierEgressCols = h[HEADER.tierEgressColCount]!;
  // Column classes of the egress matrix: each spans nameClassCount columns.
  const tierLimits = [h[HEADER.tierEgressRowCount]!, h[HEADER.tierIngressRowCount]!, tierEgressCols / nameClasses, h[HEADER.tierIngressColCount]!];
  const tierFields = [ENTRY_HALF.tierEgressRow, ENTRY_HALF.tierIngressRow, ENTRY_HALF.tierEgressCol, ENTRY_HALF.tierIngressCol] as const;
  const tierRules = [
    `tierEgressRowCount ${tierLimits[0]}`,
    `tierIngressRowCount ${tierLimits[1]}`,
    `tierEgressColCount ${tierEgressCols}, nameClassCount ${nameClasses}`,
    `tierIngressColCount ${tierLimits[3]}`,
  ];
  const badTier = firstFieldOver(half, entries, tierFields, tierLimits);
  if (badTier >= 0) {
    const f = (tierFields as readonly number[]).indexOf(badTier % ENTRY_HALVES);
    fail(f < 2 ? 'entry-tier-row' : 'entry-tier-column', 'entryHalves', badTier, half[badTier]!, tierRules[f]!);
  }
  const classes = h[HEADER.portClassCount]!;
  const badClass = firstAtLeast(v.portMap, classes);
  if (badClass >= 0) fail('port-class', 'portMap', badClass, v.portMap[badClass]!, `portClassCount ${classes}`);
  const sets = h[HEADER.portSetCount]!;
  for (const { section, groups, cols } of matrices) {
    const cells = v[section];
    const i = firstAtLeast(cells.subarray(groups * cols), sets);
    if (i >= 0) fail('port-set', section, groups * cols + i, cells[groups * cols + i]!, `portSetCount ${sets}`);
  }
  const decisions = h[HEADER.tierDecisionCount]!;
  for (const m of ['tierEgressMatrix', 'tierIngressMatrix'] as const) {
    const cells = v[m];
    const i = firstAtLeast(cells, decisions);
    if (i >= 0) fail('tier-cell', m, i, cells[i]!, `tierDecisionCount ${decisions}`);
  }
  for (let i = 0; i < v.tierDecisions.length; i++)
    if (v.tierDecisions[i]! >= sets) fail('tier-set', 'tierDecisions', i, v.tierDecisions[i]!, `portSetCount ${sets}`);
  for (let i = 0; i < TIER_DECISION_STRIDE; i++)
    if (v.tierDecisions[i] !== 0) fail('tier-decision-zero', 'tierDecisions', i, v.tierDecisions[i]!, 'decision 0 names port set 0 four times');
  for (let i = 0; i < h[HEADER.portSetWords]!; i++) if (v.portSets[i] !== 0) fail('tier-decision-zero', 'portSets', i, v.portSets[i]!, 'port set 0 is empty');
  const slots = h[HEADER.hosts6Slots]!;
  let empty = false;
  for (let i = 0; i < slots; i++) {
    const x = v.hosts6[i * HOST6_STRIDE + 4]!;
    if (x === 0) empty = true;
    else if (x - 1 >= entries) fail('hosts6-entry', 'hosts6', i * HOST6_STRIDE + 4, x, `entryCount ${entries}`);
  }
  if (!empty) fail('hosts6-empty', 'header', HEADER.hosts6Slots, slots, 'no empty slot');
  return v;
}

// The scans over whole sections are small functions of their own: a loaded image is validated
// once in a fresh process (a node agent starting), where a small function's loop is compiled
// by the optimizing tier sooner than the same loop inside validateImage (about a third less
// CPU for a cold validation at 10k pods). Each returns the first offending index, so that the
// error names the same element as a loop in place would.

/** The first index whose value is at least `limit`, or -1. */
function firstAtLeast(a: Uint16Array | Uint32Array, limit: number): number {
  const n = a.length;
  for (let i = 0; i < n; i++) if (a[i]! >= limit) return i;
  return -1;
}

/** The first trie slot that is a pointer to no whole chunk after the root, or a leaf of no entry; -1 if none. */
function firstBadSlot(t: Uint32Array, entries: number): number {
  const len = t.length;
  for (let i = 0; i < len; i++) {
    const x = t[i]!;
    if (x & POINTER) {
      const child = x & ~POINTER;
      if (child < ROOT_SLOTS || child + 256 > len) return i;
    } else if (x >= entries) return i;
  }
  return -1;
}

/** The first (entry, field) u16 half, entry by entry and in the order of `fields`, at or above its field's limit; -1 if none. */
function firstFieldOver(half: Uint16Array, entries: number, fields: readonly number[], limits: readonly number[]): number {
  const [f0, f1, f2, f3] = fields as [number, number, number, number];
  const [l0, l1, l2, l3] = limits as [number, number, number, number];
  for (let at = 0, e = 0; e < entries; e++, at += ENTRY_HALVES) {
    if (half[at + f0]! >= l0) return at + f0;
    if (half[at + f1]! >= l1) return at + f1;
    if (half[at + f2]! >= l2) return at + f2;
    if (half[at + f3]! >= l3) return at + f3;
  }
  return -1;
}

/**
 * Walks the trie level by level from the root (chunks may be shared, so a chunk is walked
 * again when reached at a deeper level): a pointer in a chunk at the last level a lookup
 * reads is refused. Each chunk is walked at most `levels` times; the native kernel walks in
 * the same order, so both name the same slot.
 */
function trieDepth(t: Uint32Array, name: 'lpm4' | 'lpm6', levels: number): void {
  const reached = new Uint8Array(t.length); // deepest level at which a chunk starts here
  let frontier = [0];
  let span = ROOT_SLOTS;
  for (let level = 0; frontier.length > 0; level++) {
    const next: number[] = [];
    for (const base of frontier) {
      for (let k = 0; k < span; k++) {
        const x = t[base + k]!;
        if (!(x & POINTER)) continue;
        if (level === levels) fail('trie-depth', name, base + k, x, `a pointer at level ${levels}, the last`);
        const child = x & ~POINTER;
        if (reached[child]! <= level) {
          reached[child] = level + 1;
          next.push(child);
        }
      }
    }
    frontier = next;
    span = 256;
  }
}
