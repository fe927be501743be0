/**
 * The image: every table the kernels read, in one ArrayBuffer (or SharedArrayBuffer), so the
 * JS kernel, the native kernel and worker threads read the same bytes. All integers are
 * little-endian. See IMAGE.md beside this file for the full description.
 */
import { CapacityError, LIMITS, type LimitName } from '../model/limits.js';

/** The first word of every image (`NPOL` as a little-endian u32): validateImage refuses anything else. */
export const MAGIC = 0x4c4f504e; // "NPOL" read as a little-endian u32
/** The image layout version this package writes and reads; an image of another version is refused. */
export const VERSION = 5;

/** Header words (u32 indexes). */
export const HEADER = {
  magic: 0,
  version: 1,
  byteLength: 2,
  flags: 3,
  entryCount: 4,
  entryStride: 5,
  portClassCount: 6,
  portSetWords: 7,
  portSetCount: 8,
  /** Global columns of the egress matrix (peer classes): the width of each group map. */
  egressPeerCount: 9,
  /** Rows stored in the egress matrix, all groups together (informational: kernels read offsets). */
  egressRowCount: 10,
  ingressPeerCount: 11,
  ingressRowCount: 12,
  /** Slots of the IPv6 host table (a power of two). */
  hosts6Slots: 13,
  /** Columns of the tier egress matrix: tier egress classes × nameClassCount. */
  tierEgressColCount: 14,
  /** Rows of the tier egress matrix (row 0 reserved: no cluster-scoped policy selects the pod for egress). */
  tierEgressRowCount: 15,
  tierIngressColCount: 16,
  /** Rows of the tier ingress matrix (row 0 reserved). */
  tierIngressRowCount: 17,
  /** Tier decisions (4 port-set ids each), at least 1. */
  tierDecisionCount: 18,
  /** Destination-name classes, at least 1 (class 0: no name, or no domainNames peer matches it). */
  nameClassCount: 19,
  /** Group maps at the start of the egress matrix (at least 1), each egressPeerCount cells. */
  egressGroupCount: 20,
  ingressGroupCount: 21,
  /** Section table: (byte offset, element count) per section, from this word on. */
  sections: 24,
} as const;
export const HEADER_WORDS = 48;

/** The section table's order; a twelfth pair follows, reserved (0, 0). */
export const SECTIONS = [
  'lpm4',
  'lpm6',
  'entries',
  'portMap',
  'portSets',
  'egressMatrix',
  'ingressMatrix',
  'hosts6',
  'tierEgressMatrix',
  'tierIngressMatrix',
  'tierDecisions',
] as const;
export type SectionName = (typeof SECTIONS)[number];
/** Element size in bytes of each section. */
export const SECTION_ELEMENT: Readonly<Record<SectionName, 2 | 4>> = {
  lpm4: 4,
  lpm6: 4,
  entries: 4,
  portMap: 2,
  portSets: 4,
  egressMatrix: 2,
  ingressMatrix: 2,
  hosts6: 4,
  tierEgressMatrix: 2,
  tierIngressMatrix: 2,
  tierDecisions: 4,
};

/** Option flags (header word `flags`). */
export const IMAGE_FLAGS = {
  allowIngressFromLocalNode: 1,
  allowEgressToLocalNode: 2,
  ipv4MappedAsIPv4: 4,
  allowICMPv6NeighborDiscovery: 8,
} as const;

/** The header's flags word for these evaluation options. */
export const imageFlags = (o: {
  readonly allowIngressFromLocalNode: boolean;
  readonly allowEgressToLocalNode: boolean;
  readonly ipv4MappedAsIPv4: boolean;
  readonly allowICMPv6NeighborDiscovery: boolean;
}): number =>
  (o.allowIngressFromLocalNode ? IMAGE_FLAGS.allowIngressFromLocalNode : 0) |
  (o.allowEgressToLocalNode ? IMAGE_FLAGS.allowEgressToLocalNode : 0) |
  (o.ipv4MappedAsIPv4 ? IMAGE_FLAGS.ipv4MappedAsIPv4 : 0) |
  (o.allowICMPv6NeighborDiscovery ? IMAGE_FLAGS.allowICMPv6NeighborDiscovery : 0);

/**
 * An entry's fields as the compilers assemble them, one number each (FIELD_COUNT per entry);
 * writeEntry packs them into the image's 32-byte entry (ENTRY, ENTRY_HALF).
 */
export const FIELD = {
  podSlot: 0,
  podNode: 1,
  addrNode: 2,
  /** Offset in egressMatrix of the row when this address is the source pod; 0 = not isolated for egress. */
  egressRow: 3,
  ingressRow: 4,
  egressCol: 5,
  ingressCol: 6,
  /** Row of the tier egress matrix when this address is the source pod; 0 = no cluster-scoped policy selects it for egress. */
  tierEgressRow: 7,
  tierIngressRow: 8,
  /** Tier egress column class when this address is the destination (the matrix column is this × nameClassCount + name class). */
  tierEgressCol: 9,
  tierIngressCol: 10,
  /** Group (namespace) of the egress row: its map starts at egressGroup × egressPeerCount (0 when egressRow is 0). */
  egressGroup: 11,
  ingressGroup: 12,
} as const;
export const FIELD_COUNT = 13;

/** The u32 fields of an entry: word index in the entry (ENTRY_STRIDE words per entry). */
export const ENTRY = { podSlot: 0, egressRow: 1, ingressRow: 2 } as const;
/**
 * The u16 fields of an entry: index in a Uint16Array over the entries section (ENTRY_HALVES per
 * entry). Words 3-7 hold them two by two, the lower-numbered field in the low half.
 */
export const ENTRY_HALF = {
  egressGroup: 6,
  ingressGroup: 7,
  egressCol: 8,
  ingressCol: 9,
  podNode: 10,
  addrNode: 11,
  tierEgressRow: 12,
  tierIngressRow: 13,
  tierEgressCol: 14,
  tierIngressCol: 15,
} as const;
/** 8 words (32 bytes): two entries per 64-byte cache line, none across two. */
export const ENTRY_STRIDE = 8;
/** u16 halves per entry. */
export const ENTRY_HALVES = 2 * ENTRY_STRIDE;

/** The limit (LIMITS) each u16 field of an entry stands for, for the CapacityError a too-large value throws. */
const HALF_LIMIT: Readonly<Record<keyof typeof ENTRY_HALF, LimitName>> = {
  egressGroup: 'matrixGroups',
  ingressGroup: 'matrixGroups',
  egressCol: 'peerColumns',
  ingressCol: 'peerColumns',
  podNode: 'nodes',
  addrNode: 'nodes',
  tierEgressRow: 'tierClasses',
  tierIngressRow: 'tierClasses',
  tierEgressCol: 'tierClasses',
  tierIngressCol: 'tierClasses',
};
const HALVES = Object.entries(ENTRY_HALF) as [keyof typeof ENTRY_HALF, number][];

/**
 * Writes entry `e` of an entries section from its fields (`f[at + FIELD.x]`). A field too large
 * for its u16 throws CapacityError, naming the limit, before anything is written.
 */
export function writeEntry(ent: Uint32Array, e: number, f: ArrayLike<number>, at = 0): void {
  const w3 = pairOf(f, at, 'egressGroup', 'ingressGroup');
  const w4 = pairOf(f, at, 'egressCol', 'ingressCol');
  const w5 = pairOf(f, at, 'podNode', 'addrNode');
  const w6 = pairOf(f, at, 'tierEgressRow', 'tierIngressRow');
  const w7 = pairOf(f, at, 'tierEgressCol', 'tierIngressCol');
  const o = e * ENTRY_STRIDE;
  ent[o + ENTRY.podSlot] = f[at + FIELD.podSlot]!;
  ent[o + ENTRY.egressRow] = f[at + FIELD.egressRow]!;
  ent[o + ENTRY.ingressRow] = f[at + FIELD.ingressRow]!;
  ent[o + 3] = w3;
  ent[o + 4] = w4;
  ent[o + 5] = w5;
  ent[o + 6] = w6;
  ent[o + 7] = w7;
}

/** The word holding two u16 fields, `lo` in the low half; a field past 0xffff throws CapacityError. */
function pairOf(f: ArrayLike<number>, at: number, lo: keyof typeof ENTRY_HALF, hi: keyof typeof ENTRY_HALF): number {
  return (u16Field(f, at, lo) | (u16Field(f, at, hi) << 16)) >>> 0;
}

function u16Field(f: ArrayLike<number>, at: number, name: keyof typeof ENTRY_HALF): number {
  const x = f[at + FIELD[name]]!;
  // Every u16 field holds at most 0xffff: a count of 65,536 (numbers from 0), or of 65,535 nodes (numbers from 1).
  if (x > 0xffff) throw new CapacityError(HALF_LIMIT[name], HALF_LIMIT[name] === 'nodes' ? x : x + 1);
  return x;
}

/** The fields of entry `e` (FIELD order), as writeEntry took them: for readers off the hot path. */
export function readEntry(v: Pick<ImageViews, 'entries' | 'entryHalves'>, e: number): number[] {
  const f = new Array<number>(FIELD_COUNT);
  f[FIELD.podSlot] = v.entries[e * ENTRY_STRIDE + ENTRY.podSlot]!;
  f[FIELD.egressRow] = v.entries[e * ENTRY_STRIDE + ENTRY.egressRow]!;
  f[FIELD.ingressRow] = v.entries[e * ENTRY_STRIDE + ENTRY.ingressRow]!;
  for (const [name, half] of HALVES) f[FIELD[name]] = v.entryHalves[e * ENTRY_HALVES + half]!;
  return f;
}

/** Fields of one tier decision (TIER_DECISION_STRIDE u32 words): port-set ids. */
export const TIER_DECISION = { adminAccept: 0, adminDeny: 1, baselineAccept: 2, baselineDeny: 3 } as const;
export const TIER_DECISION_STRIDE = 4;

/** Per-direction decisions as the kernels encode them. */
export const DECISION = {
  allowed: 0,
  denied: 1,
  notIsolated: 2,
  notApplicable: 3,
  adminAllowed: 4,
  adminDenied: 5,
  baselineAllowed: 6,
  baselineDenied: 7,
} as const;
/** The decision codes that deny (bit i set: code i denies). */
export const DENYING_DECISIONS = (1 << DECISION.denied) | (1 << DECISION.adminDenied) | (1 << DECISION.baselineDenied);
/** The verdict byte of a malformed flow. */
export const MALFORMED = 0x80;
/** Bit 0 allowed; bits 1-3 the egress decision code; bits 4-6 the ingress one; 0x80 alone: malformed. */
export const verdictByte = (egress: number, ingress: number): number =>
  (((DENYING_DECISIONS >>> egress) | (DENYING_DECISIONS >>> ingress)) & 1 ? 0 : 1) | (egress << 1) | (ingress << 4);
export const ALLOW_BOTH = verdictByte(DECISION.allowed, DECISION.allowed);

const ALIGN = 64;

/** IPv6 host table: slots of HOST6_STRIDE words (w0..w3, entry + 1; 0 = empty), linear probing. */
export const HOST6_STRIDE = 5;

/** The slot where probing for an IPv6 address starts; the native kernel computes the same. */
export function host6Hash(w0: number, w1: number, w2: number, w3: number, mask: number): number {
  let h = Math.imul(w0, 0x9e3779b1) ^ Math.imul(w1, 0x85ebca6b) ^ Math.imul(w2, 0xc2b2ae35) ^ Math.imul(w3, 0x27d4eb2f);
  h ^= h >>> 16;
  return (h & mask) >>> 0;
}

/** Builds the host table for `hosts` (address words and entry id each). */
export function buildHosts6(
  hosts: readonly { readonly words: readonly number[]; readonly entry: number }[],
  minSlots = 1,
): { table: Uint32Array; slots: number } {
  let slots = minSlots;
  while (slots < hosts.length * 2 + 1) slots *= 2; // at most half full, and never full
  const table = new Uint32Array(slots * HOST6_STRIDE);
  for (const h of hosts) {
    let i = host6Hash(h.words[0]!, h.words[1]!, h.words[2]!, h.words[3]!, slots - 1);
    while (table[i * HOST6_STRIDE + 4] !== 0) i = (i + 1) & (slots - 1);
    table.set([h.words[0]!, h.words[1]!, h.words[2]!, h.words[3]!, h.entry + 1], i * HOST6_STRIDE);
  }
  return { table, slots };
}

/** The image's sections as typed arrays, by name (compile/IMAGE.md describes each). */
export interface SectionData {
  readonly lpm4: Uint32Array;
  readonly lpm6: Uint32Array;
  readonly entries: Uint32Array;
  readonly portMap: Uint16Array;
  readonly portSets: Uint32Array;
  readonly egressMatrix: Uint16Array;
  readonly ingressMatrix: Uint16Array;
  readonly hosts6: Uint32Array;
  readonly tierEgressMatrix: Uint16Array;
  readonly tierIngressMatrix: Uint16Array;
  readonly tierDecisions: Uint32Array;
}

export type HeaderValues = Omit<Record<keyof typeof HEADER, number>, 'magic' | 'version' | 'byteLength' | 'sections' | 'entryStride'>;

/** Byte offsets of sections with these element counts, each aligned to 64 bytes, and the total. */
export function layoutSections(counts: Readonly<Record<SectionName, number>>): { offsets: Record<SectionName, number>; byteLength: number } {
  let offset = HEADER_WORDS * 4;
  const offsets = {} as Record<SectionName, number>;
  for (const name of SECTIONS) {
    offset = Math.ceil(offset / ALIGN) * ALIGN;
    offsets[name] = offset;
    offset += counts[name] * SECTION_ELEMENT[name];
  }
  return { offsets, byteLength: Math.ceil(offset / ALIGN) * ALIGN };
}

/** A zeroed image with its header written: magic, version, length, header values, section table. */
export function allocateImage(header: HeaderValues, counts: Readonly<Record<SectionName, number>>, shared: boolean): ArrayBuffer | SharedArrayBuffer {
  const { offsets, byteLength } = layoutSections(counts);
  // The header's byteLength and section offsets are u32: a larger image cannot be described.
  if (byteLength > LIMITS.imageBytes) throw new CapacityError('imageBytes', byteLength);
  const buffer = shared ? new SharedArrayBuffer(byteLength) : new ArrayBuffer(byteLength);
  const words = new Uint32Array(buffer, 0, HEADER_WORDS);
  words[HEADER.magic] = MAGIC;
  words[HEADER.version] = VERSION;
  words[HEADER.byteLength] = byteLength;
  words[HEADER.entryStride] = ENTRY_STRIDE;
  for (const [k, v] of Object.entries(header)) words[HEADER[k as keyof HeaderValues]] = v;
  SECTIONS.forEach((name, i) => {
    words[HEADER.sections + 2 * i] = offsets[name];
    words[HEADER.sections + 2 * i + 1] = counts[name];
  });
  return buffer;
}

/** Lays the sections out after the header, each aligned to 64 bytes. */
export function writeImage(header: HeaderValues, data: SectionData, shared: boolean): ArrayBuffer | SharedArrayBuffer {
  const counts = Object.fromEntries(SECTIONS.map((name) => [name, data[name].length])) as Record<SectionName, number>;
  const buffer = allocateImage(header, counts, shared);
  const views = sectionViews(buffer);
  for (const name of SECTIONS) views[name].set(data[name] as Uint16Array & Uint32Array);
  return buffer;
}

/** Typed views over an image: its header words and every section (readImage returns them; the kernels read them). */
export interface ImageViews extends SectionData {
  readonly header: Uint32Array;
  /** The entries section as u16 halves (ENTRY_HALF): the same bytes as `entries`. */
  readonly entryHalves: Uint16Array;
}

/**
 * Typed views over the sections as the header's section table places them, unchecked: for
 * the writers here, over a buffer they have just allocated. A buffer from anywhere else goes
 * through readImage or validateImage (validate-image.ts), which check the invariants first.
 */
export function sectionViews(buffer: ArrayBuffer | SharedArrayBuffer): ImageViews {
  const header = new Uint32Array(buffer, 0, HEADER_WORDS);
  const views: Record<string, Uint16Array | Uint32Array> = {};
  SECTIONS.forEach((name, i) => {
    const at = header[HEADER.sections + 2 * i]!;
    const n = header[HEADER.sections + 2 * i + 1]!;
    views[name] = SECTION_ELEMENT[name] === 2 ? new Uint16Array(buffer, at, n) : new Uint32Array(buffer, at, n);
  });
  const entries = views.entries as Uint32Array;
  const entryHalves = new Uint16Array(buffer, entries.byteOffset, entries.length * 2);
  return { header, entryHalves, ...(views as unknown as SectionData) };
}
