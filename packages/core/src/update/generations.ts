/**
 * Published generations: copies of the live compiler's master image that readers use while
 * the master changes. Publishing brings a copy nobody reads up to date (only the 4 KiB pages
 * written since that copy was last current) and makes it current in one assignment; the copy
 * readers had stays untouched. A copy is reused only when it is neither current nor pinned
 * (a snapshot, or a batch in flight on worker threads), so no reader ever sees a page of a
 * newer generation mixed into an older one. A new layout (a table outgrew its room) gets
 * fresh copies. A copy also holds the name classes of its generation (destination names to the
 * classes its tier matrix has), set before it becomes current, like its bytes.
 */
import type { MasterImage } from '../compile/live/master.js';
import { PAGE_SHIFT } from '../compile/live/master.js';
import type { NameClasses } from '../compile/name-classes.js';
import { ImageDataplane } from '../dataplane/image-dataplane.js';
import type { DataplaneOptions } from '../dataplane/image-dataplane.js';
import type { Flow } from '../model/flow.js';
import type { VerdictPool } from '../parallel/pool.js';

/** A published copy's dataplane: destination names through the name classes of the generation it holds. */
export class CopyDataplane extends ImageDataplane {
  /** Set when the copy is published (never while it is current or pinned). */
  names: NameClasses | undefined;

  override nameClassOf(flow: Flow): number {
    return this.names?.classOf(flow.dstName) ?? 0;
  }

  /** The class of a destination name in this copy's image (FlowBatch.nameClass). */
  nameClass(name: string | undefined): number {
    return this.names?.classOf(name) ?? 0;
  }
}

export interface Copy {
  readonly id: number;
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  readonly dataplane: CopyDataplane;
  readonly layout: number;
  /** The generation this copy holds now. */
  generation: number;
  /** Pages that differ from the master: marks, and the same pages as a list (a sync visits only those). */
  readonly dirty: Uint8Array;
  readonly dirtyList: number[];
  pins: number;
  /** Resolves when every worker of the pool has loaded the copy. */
  readonly registered: Promise<void> | undefined;
}

/** How many copies to keep at most when none is pinned: the current one and one to write. */
const SPARE = 2;

export class Generations {
  private readonly copies: Copy[] = [];
  /** Set by retire(): every copy leaves the pool once nobody holds it. */
  private retired = false;
  private nextId = 1;
  current!: Copy;

  constructor(
    private readonly master: MasterImage,
    private readonly options: Pick<DataplaneOptions, 'native'> & { readonly pool?: VerdictPool | undefined },
  ) {}

  /** Publishes the master as `generation` (its name classes `names`): a spare copy patched, or a new one. */
  publish(generation: number, names: NameClasses): void {
    const pages = this.master.takeDirty();
    for (const c of this.copies) {
      if (c.layout !== this.master.layoutVersion) continue;
      for (const p of pages) {
        if (c.dirty[p] === 1) continue;
        c.dirty[p] = 1;
        c.dirtyList.push(p);
      }
    }
    this.dropStale();
    const spare = this.copies.find((c) => c !== this.current && c.pins === 0 && c.layout === this.master.layoutVersion);
    if (spare) this.sync(spare);
    const copy = spare ?? this.create();
    copy.generation = generation;
    copy.dataplane.names = names;
    this.current = copy; // the switch: one assignment
  }

  /**
   * Publishes an image made apart from the master (a compaction of it) as `generation`: a
   * copy of its own, never patched; the next `publish` goes back to the master's copies, and
   * this one leaves once nobody holds it.
   */
  publishImage(buffer: ArrayBuffer | SharedArrayBuffer, generation: number, names: NameClasses): void {
    const copy = this.create(buffer);
    copy.generation = generation;
    copy.dataplane.names = names;
    this.current = copy;
    this.dropStale();
  }

  /** Copies the dirty pages of `copy` from the master, merging runs into one copy each. */
  private sync(copy: Copy): void {
    const from = new Uint8Array(this.master.buffer);
    const to = new Uint8Array(copy.buffer);
    const list = copy.dirtyList;
    if (list.length === 0) return;
    // Runs of marked pages between the lowest and the highest listed: a scan of the marks
    // instead of sorting the list (a sort allocates; the marks are one byte a page).
    let lo = list[0]!;
    let hi = lo;
    for (const p of list) {
      if (p < lo) lo = p;
      else if (p > hi) hi = p;
    }
    const dirty = copy.dirty;
    for (let p = lo; p <= hi; p++) {
      if (dirty[p] === 0) continue;
      let q = p;
      while (q <= hi && dirty[q] === 1) dirty[q++] = 0;
      to.set(from.subarray(p << PAGE_SHIFT, Math.min(q << PAGE_SHIFT, from.length)), p << PAGE_SHIFT);
      p = q;
    }
    list.length = 0;
  }

  /** A copy of the master, or (`own`) an image of its own that is never patched. */
  private create(own?: ArrayBuffer | SharedArrayBuffer): Copy {
    const bytes = own ? own.byteLength : this.master.buffer.byteLength;
    const shared = this.options.pool !== undefined;
    let buffer = own;
    if (!buffer) {
      buffer = shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes);
      new Uint8Array(buffer).set(new Uint8Array(this.master.buffer));
    }
    // From the pool, so that ids stay unique across rebuilds (a new Generations) and across
    // live dataplanes sharing the pool; without a pool they only tell copies apart.
    const id = this.options.pool?.newImageId() ?? this.nextId++;
    const copy: Copy = {
      id,
      buffer,
      // Patched in place later: the native kernel reads it with per-index checks.
      dataplane: new CopyDataplane(buffer, { native: this.options.native ?? 'auto', mutable: own === undefined }),
      // An image of its own matches no layout of the master's: never a spare, dropped when left.
      layout: own ? -1 : this.master.layoutVersion,
      generation: 0,
      dirty: new Uint8Array((bytes >>> PAGE_SHIFT) + 1),
      dirtyList: [],
      pins: 0,
      registered: this.options.pool?.addImage(id, buffer as SharedArrayBuffer, { mutable: own === undefined }),
    };
    // An unhandled rejection here would surface only when a parallel batch awaits it.
    copy.registered?.catch(() => undefined);
    this.copies.push(copy);
    return copy;
  }

  /** Ends a pin taken on `copy` (a snapshot, a parallel batch): a retired copy may go now. */
  unpin(copy: Copy): void {
    copy.pins--;
    if (this.retired) this.dropStale();
  }

  /**
   * This set of copies is replaced (the live dataplane rebuilt its compiler): each copy
   * leaves the pool as soon as nobody holds it, so registered images stay bounded however
   * many rebuilds there are. Readers of a pinned copy keep it until they unpin.
   */
  retire(): void {
    this.retired = true;
    this.dropStale();
  }

  /** Forgets copies of an old layout, and spares beyond SPARE, that nobody holds (retired: every copy nobody holds). */
  private dropStale(): void {
    for (let i = this.copies.length - 1; i >= 0; i--) {
      const c = this.copies[i]!;
      if (c.pins > 0 || (c === this.current && !this.retired)) continue;
      const spare = this.copies.filter((x) => x.pins === 0 && x.layout === this.master.layoutVersion).length;
      if (this.retired || c.layout !== this.master.layoutVersion || spare > SPARE) {
        this.copies.splice(i, 1);
        void this.options.pool?.removeImage(c.id).catch(() => undefined);
      }
    }
  }
}
