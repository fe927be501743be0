/**
 * Per-direction decision matrices: rows are local classes (what isolates the pod), columns
 * are peer classes (what the remote address matches), cells are port-set ids. Identical
 * rows and identical columns are merged, so the stored matrix has one row per distinct
 * behaviour and one column per distinct way of being treated.
 */
import { CapacityError, LIMITS } from '../model/limits.js';
/**
 * Port sets (bitsets over port classes), interned, with memoized unions. The live compiler
 * also widens the sets as classes are added and copies a split class's bit (`onNew` and
 * `onChange` tell it which sets to write into its image).
 */
export class PortSetTable {
  sets: Uint32Array[] = [];
  private readonly ids = new Map<string, number>();
  private readonly unions = new Map<number, number>();
  constructor(
    private words: number,
    private readonly onChange: (id: number) => void = () => {},
  ) {
    this.intern(new Uint32Array(words)); // 0: the empty set
  }
  intern(bits: Uint32Array): number {
    const key = bits.join(',');
    let id = this.ids.get(key);
    if (id === undefined) {
      id = this.sets.length;
      if (id >= LIMITS.portSets) throw new CapacityError('portSets');
      this.sets.push(bits);
      this.ids.set(key, id);
      this.onChange(id);
    }
    return id;
  }
  union(a: number, b: number): number {
    if (a === b || b === 0) return a;
    if (a === 0) return b;
    const key = a < b ? a * 0x100000 + b : b * 0x100000 + a;
    let id = this.unions.get(key);
    if (id === undefined) {
      const x = this.sets[a]!;
      const y = this.sets[b]!;
      const bits = new Uint32Array(this.words);
      for (let i = 0; i < bits.length; i++) bits[i] = x[i]! | y[i]!;
      id = this.intern(bits);
      this.unions.set(key, id);
    }
    return id;
  }
  /** Every set gets `words` words (more classes to come); ids and meanings stay. */
  widen(words: number): void {
    if (words === this.words) return;
    this.words = words;
    this.sets = this.sets.map((s) => {
      const wide = new Uint32Array(words);
      wide.set(s);
      return wide;
    });
    this.rekey(() => true);
  }
  /** Class `to` was split off `from`: every set holding `from` holds `to` too. */
  copyClass(from: number, to: number): void {
    this.rekey((s) => {
      if (!((s[from >>> 5]! >>> (from & 31)) & 1)) return false;
      s[to >>> 5]! |= 1 << (to & 31);
      return true;
    });
  }
  private rekey(change: (s: Uint32Array) => boolean): void {
    this.ids.clear();
    this.sets.forEach((s, i) => {
      if (change(s)) this.onChange(i);
      this.ids.set(s.join(','), i);
    });
  }
  data(): Uint32Array {
    const w = this.words;
    const out = new Uint32Array(this.sets.length * w);
    this.sets.forEach((bits, i) => out.set(bits, i * w));
    return out;
  }
}

export interface Matrix {
  /** rows × cols cells; row 0 is reserved (no class selects the address) and never read. */
  readonly cells: Uint16Array;
  readonly rows: number;
  readonly cols: number;
  /** Local class → stored row (0 for local class 0). */
  readonly rowOf: Uint32Array;
  /** Peer class → stored column (with `group`: the stored group, whose first column is colOf × group). */
  readonly colOf: Uint32Array;
}

/**
 * `fill(localClass, row)` writes the cell of every peer column into `row` (length peerCount)
 * for one local class (1..localCount-1). With `group` > 1, columns come in groups of that
 * many (a peer class × name classes) and only whole groups are merged, so a column is still
 * found as stored group × group + index in the group.
 */
export function buildMatrix(localCount: number, peerCount: number, fill: (local: number, row: Uint32Array) => void, group = 1): Matrix {
  return finishSteps(matrixSteps(localCount, peerCount, fill, group));
}

/** Cells visited between two pauses of matrixSteps (a fraction of a millisecond of work). */
const CELLS_PER_STEP = 1 << 15;

/** Runs steps (a generator that pauses between bounded units of work) to their result at once. */
export function finishSteps<T>(steps: Generator<void, T>): T {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/**
 * buildMatrix as steps: the same matrix, pausing (yield) about every CELLS_PER_STEP cells
 * visited, so that a caller can spread the work over several turns of the event loop (the live
 * dataplane's background compaction). `fill` must answer alike at every step.
 */
export function* matrixSteps(localCount: number, peerCount: number, fill: (local: number, row: Uint32Array) => void, group = 1): Generator<void, Matrix> {
  // Rows, deduplicated as they are produced (hash, then confirm). Each is filled into one
  // scratch row and copied only when it is new: most local classes repeat a row, and a typed
  // array per class was most of the garbage (and the GC pauses) of a compaction.
  // Rows per pause: a row is visited once per phase.
  const perStep = Math.max(1, Math.floor(CELLS_PER_STEP / Math.max(1, peerCount)));
  const rowBuckets = new Map<number, number[]>();
  const rows: Uint32Array[] = [new Uint32Array(peerCount)];
  const rowOf = new Uint32Array(localCount);
  const row = new Uint32Array(peerCount);
  const sameRow = (a: Uint32Array): boolean => {
    for (let c = 0; c < peerCount; c++) if (a[c] !== row[c]) return false;
    return true;
  };
  for (let l = 1; l < localCount; l++) {
    row.fill(0);
    fill(l, row);
    let h = 0;
    for (let c = 0; c < peerCount; c++) h = (Math.imul(h, 31) + row[c]! + c) | 0;
    const bucket = rowBuckets.get(h) ?? [];
    let id = bucket.find((r) => sameRow(rows[r]!));
    if (id === undefined) {
      id = rows.length;
      rows.push(row.slice());
      bucket.push(id);
      rowBuckets.set(h, bucket);
    }
    rowOf[l] = id;
    if (l % perStep === 0) yield;
  }
  // Column groups: hash each over all rows, then confirm equality within a hash bucket.
  const groups = peerCount / group;
  const h1 = new Uint32Array(groups);
  const h2 = new Uint32Array(groups);
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r]!;
    for (let c = 0; c < peerCount; c++) {
      const g = (c / group) | 0;
      h1[g] = (Math.imul(h1[g]!, 31) + row[c]!) >>> 0;
      h2[g] = (Math.imul(h2[g]! ^ row[c]!, 0x9e3779b1) + 7) >>> 0;
    }
    if (r % perStep === perStep - 1) yield;
  }
  const buckets = new Map<string, number[]>();
  const colOf = new Uint32Array(groups);
  const kept: number[] = [];
  const sameGroup = (a: number, b: number): boolean =>
    rows.every((row) => {
      for (let j = 0; j < group; j++) if (row[a * group + j] !== row[b * group + j]) return false;
      return true;
    });
  for (let g = 0; g < groups; g++) {
    const key = `${h1[g]}:${h2[g]}`;
    const bucket = buckets.get(key) ?? [];
    const match = bucket.find((k) => sameGroup(kept[k]!, g));
    if (match !== undefined) colOf[g] = match;
    else {
      colOf[g] = kept.length;
      bucket.push(kept.length);
      kept.push(g);
      buckets.set(key, bucket);
    }
    // A comparison reads a group in every row.
    if (g % Math.max(1, Math.floor(CELLS_PER_STEP / Math.max(1, rows.length * group))) === 0) yield;
  }
  const cols = kept.length * group;
  const cells = new Uint16Array(rows.length * cols);
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r]!;
    for (let k = 0; k < kept.length; k++) for (let j = 0; j < group; j++) cells[r * cols + k * group + j] = row[kept[k]! * group + j]!;
    if (r % perStep === perStep - 1) yield;
  }
  return { cells, rows: rows.length, cols, rowOf, colOf };
}
