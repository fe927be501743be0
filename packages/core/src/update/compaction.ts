/**
 * Background compaction for LiveDataplane: when changes have gone quiet and the published
 * image carries much room to grow and unused classes, the live compiler's compaction
 * (compile/live/compact.ts) runs in slices of a few milliseconds on the event loop (a 0 ms
 * timer between slices, so that I/O callbacks and applies come in between) and its image is
 * published as an ordinary generation.
 *
 * The steps read the compiler's state as it is, so they are only valid while nothing changes:
 * every apply drops a compaction in progress (`changed()`), and the next one starts after the
 * next quiet period. Dropped work is wasted, so each drop doubles the quiet period asked for
 * (up to MAX_BACKOFF times), and a completed compaction resets it: under a steady stream of
 * changes the waste stays bounded. Its timers are unref'd (they never keep a process
 * alive), the quiet-period timer holds the scheduler weakly (a dataplane dropped without
 * `close()` is still collected), and `close()` ends them.
 */

/** How LiveDataplane compacts its image: on its own when quiet ('auto'), or only when `compact()` is called. */
export type CompactionMode = 'auto' | 'manual';

/** What a completed background compaction did (LiveOptions.onCompaction). */
export interface CompactionInfo {
  /** The generation it published. */
  readonly generation: number;
  /** The image published before it, and its own, in bytes. */
  readonly bytesBefore: number;
  readonly bytes: number;
  /** Wall time from its first step to its publication, the time spent in its steps, and in publishing (one turn, ms). */
  readonly elapsedMs: number;
  readonly workMs: number;
  readonly publishMs: number;
  /** Slices (event-loop turns) it took. */
  readonly slices: number;
}

/** The state of background compaction (LiveDataplane.compactionStatus). */
export interface CompactionStatus {
  readonly mode: CompactionMode;
  /** 'idle': the published image is compacted, or nothing to do; 'waiting': for a quiet period; 'running': slices under way; 'closed'. */
  readonly state: 'idle' | 'waiting' | 'running' | 'closed';
  /** Background compactions published, and dropped because a change came first. */
  readonly compactions: number;
  readonly dropped: number;
  readonly last?: CompactionInfo;
  /** The error of the last compaction that failed (the published image stays as it was). */
  readonly lastError?: string;
}

/** The tunables (LiveOptions), resolved. */
export interface CompactionSettings {
  readonly mode: CompactionMode;
  /** Quiet time (no apply) before compacting, ms. */
  readonly idleMs: number;
  /** Compact only when at least this fraction of the published image is room to grow and unused classes. */
  readonly minWaste: number;
  /** Schedule nothing for a published image smaller than this, bytes. */
  readonly minBytes: number;
  /** Work per event-loop turn, ms. */
  readonly sliceMs: number;
  readonly onCompaction?: ((info: CompactionInfo) => void) | undefined;
}

/**
 * Below 4 MiB an image is mostly fixed tables (the port map alone is 384 KiB) and fits the
 * caches anyway; and scheduling nothing for small images keeps code that makes many small
 * dataplanes in one synchronous run (tests, tools) from holding them all until it returns (a
 * pending callback, even through a WeakRef, keeps its dataplane alive until then).
 */
const DEFAULT_MIN_BYTES = 4 << 20;

export const DEFAULT_COMPACTION: CompactionSettings = { mode: 'auto', idleMs: 1000, minWaste: 0.25, minBytes: DEFAULT_MIN_BYTES, sliceMs: 2 };

/** The quiet period grows at most this many times over idleMs after dropped compactions. */
const MAX_BACKOFF = 32;

/** What the scheduler needs from the dataplane. */
export interface CompactionHost {
  /** The fraction of the published (incremental) image that compaction would drop before merging. */
  waste(): number;
  /** The compaction's steps over the current state. */
  steps(): Generator<void, ArrayBuffer | SharedArrayBuffer>;
  /** Publishes the compacted image as a generation; returns its number. */
  publish(image: ArrayBuffer | SharedArrayBuffer): number;
  /** Bytes of the published image. */
  publishedBytes(): number;
}

interface Running {
  readonly steps: Generator<void, ArrayBuffer | SharedArrayBuffer>;
  readonly started: number;
  readonly bytesBefore: number;
  workMs: number;
  slices: number;
}

export class BackgroundCompaction {
  private timer: NodeJS.Timeout | undefined;
  /** The timer of the next slice. */
  private immediate: NodeJS.Timeout | undefined;
  private running: Running | undefined;
  /** The published image is the incremental one (changes since the last compaction, or none yet). */
  private pending = true;
  private lastChange = performance.now();
  private backoff = 1;
  private closed = false;
  private compactions = 0;
  private dropped = 0;
  private last: CompactionInfo | undefined;
  private lastError: string | undefined;

  constructor(
    private readonly host: CompactionHost,
    readonly settings: CompactionSettings,
  ) {
    this.changed();
  }

  /** A change was published (or the image was rebuilt): a compaction under way is dropped, and the quiet period starts again. */
  changed(): void {
    this.pending = true;
    if (this.closed || this.settings.mode !== 'auto') return;
    this.lastChange = performance.now();
    if (this.running) {
      this.stop();
      this.dropped++;
      this.backoff = Math.min(MAX_BACKOFF, this.backoff * 2);
    }
    if (!this.timer && this.host.publishedBytes() >= this.settings.minBytes) this.arm(this.wait());
  }

  /** The current state was compacted by the caller (LiveDataplane.compact): nothing left to do until the next change. */
  compacted(): void {
    this.pending = false;
    this.stop();
    this.clearTimer();
  }

  /** Ends background work for good: timers cleared, a compaction under way dropped. */
  close(): void {
    this.closed = true;
    this.stop();
    this.clearTimer();
  }

  get status(): CompactionStatus {
    const state = this.closed ? 'closed' : this.running ? 'running' : this.timer ? 'waiting' : 'idle';
    return {
      mode: this.settings.mode,
      state,
      compactions: this.compactions,
      dropped: this.dropped,
      ...(this.last && { last: this.last }),
      ...(this.lastError !== undefined && { lastError: this.lastError }),
    };
  }

  private wait(): number {
    return this.settings.idleMs * this.backoff;
  }

  private arm(ms: number): void {
    // Weakly: a pending timer must not keep a dropped dataplane (and its images) in memory.
    const self = new WeakRef(this);
    this.timer = setTimeout(() => self.deref()?.due(), Math.max(0, ms));
    this.timer.unref();
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** The timer fired: compact if the quiet period has passed (else wait out the rest) and the image is worth it. */
  private due(): void {
    this.timer = undefined;
    if (this.closed || !this.pending || this.running) return;
    const quiet = performance.now() - this.lastChange;
    if (quiet < this.wait()) return this.arm(this.wait() - quiet);
    if (this.host.waste() < this.settings.minWaste) return; // dense enough: until the next change
    this.running = { steps: this.host.steps(), started: performance.now(), bytesBefore: this.host.publishedBytes(), workMs: 0, slices: 0 };
    this.schedule();
  }

  /**
   * The next slice on a 0 ms timer, unref'd: an unref'd setImmediate would not stop the event
   * loop from blocking in its poll phase until some other event (measured: one slice per second
   * beside a 1 s interval), while the poll phase does wake for an unref'd timer.
   */
  private schedule(): void {
    this.immediate = setTimeout(() => this.slice(), 0);
    this.immediate.unref();
  }

  /** One slice: steps until sliceMs have passed, then the next turn; the image is published after the last step. */
  private slice(): void {
    this.immediate = undefined;
    const run = this.running;
    if (!run || this.closed) return;
    const t0 = performance.now();
    run.slices++;
    let image: ArrayBuffer | SharedArrayBuffer | undefined;
    try {
      do {
        const r = run.steps.next();
        if (r.done) image = r.value;
      } while (!image && performance.now() - t0 < this.settings.sliceMs);
    } catch (e) {
      // The published image stays as it was (correct, only less dense); no retry until the next change.
      this.running = undefined;
      this.pending = false;
      this.lastError = (e as Error).message;
      return;
    }
    run.workMs += performance.now() - t0;
    if (!image) return this.schedule();
    this.running = undefined;
    const p0 = performance.now();
    const generation = this.host.publish(image);
    const publishMs = performance.now() - p0;
    this.pending = false;
    this.backoff = 1;
    this.compactions++;
    this.last = {
      generation,
      bytesBefore: run.bytesBefore,
      bytes: image.byteLength,
      elapsedMs: performance.now() - run.started,
      workMs: run.workMs,
      publishMs,
      slices: run.slices,
    };
    this.settings.onCompaction?.(this.last);
  }

  private stop(): void {
    if (this.immediate) clearTimeout(this.immediate);
    this.immediate = undefined;
    this.running = undefined;
  }
}
