/**
 * Compaction: the live master image (compile/live/master.ts) as a dense image of the same
 * verdicts, the way compile() lays one out. The master keeps one matrix row per local class
 * and one column per peer class, never merged (a new class must not split old ones), plus
 * room to grow and the classes churn left unused; here unused classes are dropped, equal rows
 * and then equal columns are merged (compile()'s buildMatrix), entries are pointed at the
 * merged ones and every table is cut to what is used. Entry ids stay as they are (the trie
 * leads to the same entries), so explanations from the compiler's provenance hold for it.
 * The result is a fresh image the master never patches: it is published as a generation of
 * its own, and the next change publishes from the master again.
 *
 * The work comes as steps (compactSteps, a generator pausing between bounded units: a block of
 * matrix rows, of entries), so that the live dataplane can compact in the background across
 * turns of the event loop; it reads the master and the class use as they are at each step, so
 * the master must not change between the first step and the result (the dataplane drops the
 * steps when a change comes).
 */
import type { Direction } from '../../model/types.js';
import { allocateImage, ENTRY, ENTRY_HALF, ENTRY_STRIDE, HEADER, sectionViews, SECTIONS, type HeaderValues, type SectionName } from '../layout.js';
import { finishSteps, matrixSteps, type Matrix } from '../matrix.js';
import { liveRowOffset, type MasterImage } from './master.js';

/** What compaction reads of a direction's classes: how many there are and which entries use. */
export interface ClassUse {
  readonly rows: number;
  readonly cols: number;
  rowUsed(row: number): boolean;
  colUsed(col: number): boolean;
}

/** The master's matrix of a direction, unused classes zeroed, rows and then columns merged. */
function* merged(master: MasterImage, d: Direction, use: ClassUse): Generator<void, Matrix> {
  const cells = d === 'egress' ? master.views.egressMatrix : master.views.ingressMatrix;
  const stride = d === 'egress' ? master.caps.egressCols : master.caps.ingressCols;
  const usedCols: number[] = [];
  for (let c = 0; c < use.cols; c++) if (use.colUsed(c)) usedCols.push(c);
  // Row 0 (not isolated) is all empty in both layouts; matrixSteps fills the others. The
  // master's rows follow its one group map: local class l at (l + 1) × stride.
  return yield* matrixSteps(use.rows, use.cols, (l, row) => {
    if (!use.rowUsed(l)) return;
    const at = (l + 1) * stride;
    for (const c of usedCols) row[c] = cells[at + c]!;
  });
}

/** Entries remapped between two pauses of compactSteps. */
const ENTRIES_PER_STEP = 4096;

/**
 * The compact image of the master: `entries` entries in use, the tries' used nodes, the
 * classes of each direction as `use` says. A SharedArrayBuffer with `shared`.
 */
export function compactImage(
  master: MasterImage,
  entries: number,
  use: Readonly<Record<Direction, ClassUse>>,
  shared: boolean,
): ArrayBuffer | SharedArrayBuffer {
  return finishSteps(compactSteps(master, entries, use, shared));
}

/** compactImage as steps (see the header): the same image, pausing between bounded units of work. */
export function* compactSteps(
  master: MasterImage,
  entries: number,
  use: Readonly<Record<Direction, ClassUse>>,
  shared: boolean,
): Generator<void, ArrayBuffer | SharedArrayBuffer> {
  const egress = yield* merged(master, 'egress', use.egress);
  yield;
  const ingress = yield* merged(master, 'ingress', use.ingress);
  yield;
  const from = master.views;
  const h = from.header;
  const counts = Object.fromEntries(SECTIONS.map((s) => [s, from[s].length])) as Record<SectionName, number>;
  counts.lpm4 = master.trie4.used;
  counts.lpm6 = master.trie6.used;
  counts.entries = entries * ENTRY_STRIDE;
  // One group, as in the master: the identity map over the merged columns, then the rows.
  counts.egressMatrix = egress.cols + egress.cells.length;
  counts.ingressMatrix = ingress.cols + ingress.cells.length;
  const header: HeaderValues = {
    flags: h[HEADER.flags]!,
    entryCount: entries,
    portClassCount: h[HEADER.portClassCount]!,
    portSetWords: h[HEADER.portSetWords]!,
    portSetCount: h[HEADER.portSetCount]!,
    egressPeerCount: egress.cols,
    egressRowCount: egress.rows,
    ingressPeerCount: ingress.cols,
    ingressRowCount: ingress.rows,
    egressGroupCount: 1,
    ingressGroupCount: 1,
    hosts6Slots: h[HEADER.hosts6Slots]!,
    tierEgressColCount: h[HEADER.tierEgressColCount]!,
    tierEgressRowCount: h[HEADER.tierEgressRowCount]!,
    tierIngressColCount: h[HEADER.tierIngressColCount]!,
    tierIngressRowCount: h[HEADER.tierIngressRowCount]!,
    tierDecisionCount: h[HEADER.tierDecisionCount]!,
    nameClassCount: h[HEADER.nameClassCount]!,
  };
  const buffer = allocateImage(header, counts, shared);
  const to = sectionViews(buffer);
  for (const s of SECTIONS) {
    if (s === 'egressMatrix' || s === 'ingressMatrix') continue;
    (to[s] as Uint32Array).set((from[s] as Uint32Array).subarray(0, counts[s]));
  }
  for (let c = 0; c < egress.cols; c++) to.egressMatrix[c] = c;
  for (let c = 0; c < ingress.cols; c++) to.ingressMatrix[c] = c;
  to.egressMatrix.set(egress.cells, egress.cols);
  to.ingressMatrix.set(ingress.cells, ingress.cols);
  yield;
  const ent = to.entries;
  const halves = to.entryHalves;
  const wasEg = master.caps.egressCols;
  const wasIn = master.caps.ingressCols;
  for (let o = 0; o < ent.length; o += ENTRY_STRIDE) {
    // Row offsets of the master's layout back to local classes, then to the merged rows' offsets (group 0).
    const eg = egress.rowOf[ent[o + ENTRY.egressRow]! === 0 ? 0 : ent[o + ENTRY.egressRow]! / wasEg - 1]!;
    const ing = ingress.rowOf[ent[o + ENTRY.ingressRow]! === 0 ? 0 : ent[o + ENTRY.ingressRow]! / wasIn - 1]!;
    ent[o + ENTRY.egressRow] = liveRowOffset(eg, egress.cols);
    ent[o + ENTRY.ingressRow] = liveRowOffset(ing, ingress.cols);
    const h = 2 * o;
    halves[h + ENTRY_HALF.egressCol] = egress.colOf[halves[h + ENTRY_HALF.egressCol]!]!;
    halves[h + ENTRY_HALF.ingressCol] = ingress.colOf[halves[h + ENTRY_HALF.ingressCol]!]!;
    if (o % (ENTRIES_PER_STEP * ENTRY_STRIDE) === 0 && o > 0) yield;
  }
  return buffer;
}
