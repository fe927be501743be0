/**
 * VerdictPool: verdicts for large batches on worker threads. Images are SharedArrayBuffers
 * (`compile(cluster, { shared: true })`), registered once per worker; a batch is copied once
 * into a pool-owned shared arena, the workers claim contiguous chunks of it through an
 * atomic counter (a slow worker takes fewer) and write verdict bytes into the arena's output
 * area, which is copied out once. Messages carry offsets only: one each way per worker.
 */
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import type { FlowBatch } from '../kernels/js-kernel.js';
import { Arena } from './arena.js';
import { checkOptions, type OptionSpec } from '../model/check-options.js';
import { READY_SEQ, type Ready, type Reply, type Request, type WorkerConfig } from './protocol.js';

/** VerdictPool.create's options; an unknown key throws a TypeError. */
export interface PoolOptions {
  /**
   * Worker threads. Default: os.availableParallelism(), at most 8: the calling thread
   * mostly waits while a batch runs, so every core can take a chunk; past 8 the chunks of
   * a typical batch get too small to repay a message round trip each.
   */
  readonly workers?: number;
  /**
   * 'auto' (default): each worker uses the native addon when it loads (and NETPOL_NATIVE
   * is not 0) and accepts the image, the JS kernel otherwise; 'off': always the JS kernel.
   */
  readonly native?: 'auto' | 'off';
}

const POOL_OPTIONS: OptionSpec<PoolOptions> = { workers: 'number', native: ['auto', 'off'] };
const ADD_IMAGE_OPTIONS: OptionSpec<{ mutable?: boolean }> = { mutable: 'boolean' };

/**
 * The worker script. From the built package it sits beside this module (dist/parallel/).
 * When this module is loaded from TypeScript source (vitest aliases @netpol/core to src/),
 * Node cannot run a .ts worker: use the built file, which the test command builds first.
 */
const FROM_SOURCE = import.meta.url.endsWith('.ts');
const WORKER_URL = FROM_SOURCE ? new URL('../../dist/parallel/worker.js', import.meta.url) : new URL('./worker.js', import.meta.url);

/** Below this many flows per worker a batch uses fewer workers: a round trip costs ~tens of µs. */
const MIN_CHUNK = 2048;
/** Claims per engaged worker and batch: enough to even out a late or preempted worker. */
const GRAINS_PER_WORKER = 8;
/** Batches in flight: one being computed while the next is copied in; later calls queue. */
const MAX_ARENAS = 2;

/** A request before pool.request() numbers it. */
type WithoutSeq<R> = R extends unknown ? Omit<R, 'seq'> : never;
type Body = WithoutSeq<Request>;

interface Deferred<T> {
  resolve(value: T): void;
  reject(reason: Error): void;
}

interface Slot {
  readonly index: number;
  readonly worker: Worker;
  readonly pending: Map<number, Deferred<void>>;
  dead: boolean;
}

const defaultWorkers = (): number => Math.max(1, Math.min(os.availableParallelism(), 8));

/**
 * Worker threads that answer verdict batches over images in SharedArrayBuffers: `addImage(id,
 * sab)` once per image, then `verdictBatch(id, batch)` splits a batch over the workers. Make one
 * with `VerdictPool.create()`; `close()` ends the workers (pending calls reject).
 */
export class VerdictPool {
  readonly size: number;
  private readonly slots: Slot[];
  private nativeWorkers = 0;
  private seq = 0;
  private closed = false;
  private failure: Error | undefined;
  /** Registered images; `ready` once every worker has its kernel. */
  private readonly images = new Map<number, { ready: boolean }>();
  private readonly freeArenas: Arena[] = [];
  private arenaCount = 0;
  private readonly waiting: Deferred<Arena>[] = [];
  /** newImageId()'s next candidate: far above the small ids callers usually pick. */
  private nextImageId = 2 ** 32;
  /** Where the next batch's first chunk goes, so that small batches rotate over the workers. */
  private next = 0;

  /** Resolves when every worker has said it is ready (request READY_SEQ, implicit). */
  private readonly started: Promise<unknown>;

  private constructor(workers: readonly Worker[]) {
    this.size = workers.length;
    this.slots = workers.map((worker, index) => ({ index, worker, pending: new Map(), dead: false }));
    // Listeners go on before any message or exit can be delivered (both come as events).
    this.started = Promise.all(this.slots.map((slot) => new Promise<void>((resolve, reject) => slot.pending.set(READY_SEQ, { resolve, reject }))));
    for (const slot of this.slots) {
      slot.worker.on('message', (r: Reply | Ready) => this.settle(slot, r));
      slot.worker.on('error', (e) => this.fail(slot, new Error(`VerdictPool worker ${slot.index} crashed: ${e.message}`, { cause: e })));
      slot.worker.on('exit', (code) => this.fail(slot, new Error(`VerdictPool worker ${slot.index} exited (code ${code})`)));
    }
  }

  /** Every worker loaded the native addon (an image the addon refuses is refused by addImage, never served by JS). */
  get native(): boolean {
    return this.nativeWorkers === this.size;
  }

  /** Starts the workers and resolves when every one is ready (rejects if one fails to start). */
  static async create(options: PoolOptions = {}): Promise<VerdictPool> {
    checkOptions('VerdictPool options', options, POOL_OPTIONS);
    const size = options.workers ?? defaultWorkers();
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`VerdictPool: workers must be a positive integer, got ${size}`);
    const native = options.native ?? 'auto';
    const workerData: WorkerConfig = { native };
    const pool = new VerdictPool(Array.from({ length: size }, () => new Worker(WORKER_URL, { workerData })));
    try {
      await pool.started;
    } catch (e) {
      await pool.close();
      if (!FROM_SOURCE) throw e;
      throw new Error(`${(e as Error).message} (loaded from source, the pool runs ${WORKER_URL.pathname}: build @netpol/core first)`, { cause: e });
    }
    return pool;
  }

  /**
   * Registers an image with every worker; rejects with the reason if one refuses it.
   * `mutable` (default true): the image may be changed in place later (a live image), so a
   * native worker reads it with per-index checks; `false`: each native worker takes a
   * private copy and reads it unchecked (about 15% faster).
   */
  async addImage(id: number, image: SharedArrayBuffer, options: { readonly mutable?: boolean } = {}): Promise<void> {
    this.usable();
    checkOptions('VerdictPool.addImage options', options, ADD_IMAGE_OPTIONS);
    if (!Number.isSafeInteger(id) || id < 0) throw new RangeError(`VerdictPool: image id must be a non-negative integer, got ${id}`);
    if (!(image instanceof SharedArrayBuffer)) throw new TypeError('VerdictPool: an image must be a SharedArrayBuffer: compile(cluster, { shared: true })');
    if (this.images.has(id)) throw new Error(`VerdictPool: image ${id} is already registered; removeImage(${id}) first`);
    const entry = { ready: false };
    this.images.set(id, entry);
    try {
      await this.broadcast({ type: 'add', id, image, mutable: options.mutable !== false });
    } catch (e) {
      if (this.images.get(id) === entry) this.images.delete(id);
      if (this.closed || this.failure) throw e; // not a refusal: the pool went away
      // Others may have taken it: forget it everywhere (a no-op where it never arrived).
      await this.broadcast({ type: 'remove', id }).catch(() => {});
      throw new Error(`VerdictPool: image ${id} refused: ${(e as Error).message}`, { cause: e });
    }
    entry.ready = this.images.get(id) === entry; // false if removed meanwhile
  }

  /**
   * An image id not registered now and never handed out before by this pool: for owners that
   * share a pool and register images over time (LiveDataplane's generations, across rebuilds).
   */
  newImageId(): number {
    let id = this.nextImageId++;
    while (this.images.has(id)) id = this.nextImageId++;
    return id;
  }

  /** Forgets an image in every worker; batches already sent for it finish first. */
  async removeImage(id: number): Promise<void> {
    this.usable();
    if (!this.images.delete(id)) return;
    await this.broadcast({ type: 'remove', id });
  }

  /** Verdict bytes for `batch`, exactly as Kernel.verdictBatch writes them, into `out` (or a new array). */
  async verdictBatch(imageId: number, batch: FlowBatch, out?: Uint8Array): Promise<Uint8Array> {
    this.usable();
    this.requireImage(imageId);
    const n = checkBatch(batch);
    const result = out ?? new Uint8Array(n);
    if (result.length < n) throw new RangeError(`VerdictPool: out needs ${n} elements, has ${result.length}`);
    if (n === 0) return result;
    const arena = await this.acquire();
    try {
      this.usable(); // the pool or the image may have gone while this call queued
      this.requireImage(imageId);
      const direct = arena.direct(batch, result);
      const layout = direct?.layout ?? arena.load(batch);
      const parts = Math.min(this.size, Math.ceil(n / MIN_CHUNK));
      const grain = Math.max(MIN_CHUNK / 2, Math.ceil(n / (parts * GRAINS_PER_WORKER)));
      const runs: Promise<void>[] = [];
      for (let k = 0; k < parts; k++) {
        const slot = this.slots[(this.next + k) % this.size]!;
        const buffer = arena.bufferFor(slot.index);
        runs.push(
          this.request(slot, {
            type: 'run',
            image: imageId,
            arena: arena.id,
            layout,
            count: n,
            grain,
            ...(buffer && { buffer }),
            ...(direct && { flows: direct.flows }),
          }),
        );
      }
      this.next = (this.next + parts) % this.size;
      // Every chunk must be over before the arena is reused, failed or not.
      const failed = (await Promise.allSettled(runs)).find((r) => r.status === 'rejected');
      if (failed) throw failed.reason;
      if (!direct) arena.copyOut(layout, n, result);
      return result;
    } finally {
      this.release(arena);
    }
  }

  /**
   * A batch of `count` flows and its output, all in one SharedArrayBuffer: fill it and pass
   * both to verdictBatch, and no flow is copied in or out (the workers read and write it).
   */
  static sharedBatch(
    count: number,
    options: { readonly family?: boolean; readonly flags?: boolean; readonly nameClass?: boolean } = {},
  ): { batch: FlowBatch; out: Uint8Array } {
    const words = options.family ? 4 : 1;
    let at = 0;
    const take = (bytes: number): number => ((at += bytes), at - bytes);
    const src = take(count * words * 4);
    const dst = take(count * words * 4);
    const port = take(count * 2);
    const nameClass = options.nameClass ? take(count * 2) : -1;
    const protocol = take(count);
    const out = take(count);
    const family = options.family ? take(count) : -1;
    const flags = options.flags ? take(count) : -1;
    const b = new SharedArrayBuffer(Math.max(at, 8));
    const batch: FlowBatch = {
      count,
      src: new Uint32Array(b, src, count * words),
      dst: new Uint32Array(b, dst, count * words),
      port: new Uint16Array(b, port, count),
      protocol: new Uint8Array(b, protocol, count),
      ...(family >= 0 && { family: new Uint8Array(b, family, count) }),
      ...(flags >= 0 && { flags: new Uint8Array(b, flags, count) }),
      ...(nameClass >= 0 && { nameClass: new Uint16Array(b, nameClass, count) }),
    };
    return { batch, out: new Uint8Array(b, out, count) };
  }

  /** Stops the workers; calls in flight reject, later calls reject. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const w of this.waiting.splice(0)) w.reject(new Error('VerdictPool was closed'));
    // An idle worker is unref'd (settle()); terminate() settles on its 'exit' event, which an
    // unref'd worker does not keep the loop alive for: `await pool.close()` as a program's
    // last statement would end the process with the promise unsettled (exit code 13).
    for (const s of this.slots) s.worker.ref();
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }

  private usable(): void {
    if (this.closed) throw new Error('VerdictPool is closed');
    if (this.failure)
      throw new Error(`VerdictPool is unusable after a worker failure (${this.failure.message}); close it and create another`, { cause: this.failure });
  }

  private requireImage(id: number): void {
    if (!this.images.get(id)?.ready) throw new Error(`VerdictPool: unknown image id ${id} (not registered, still being added, or removed)`);
  }

  private request(slot: Slot, body: Body): Promise<void> {
    if (slot.dead) return Promise.reject(this.failure ?? new Error('VerdictPool is closed'));
    const seq = ++this.seq;
    return new Promise<void>((resolve, reject) => {
      slot.pending.set(seq, { resolve, reject });
      if (slot.pending.size === 1) slot.worker.ref(); // something awaits this worker
      slot.worker.postMessage({ ...body, seq });
    });
  }

  private async broadcast(body: Body): Promise<void> {
    const failed = (await Promise.allSettled(this.slots.map((s) => this.request(s, body)))).find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  private settle(slot: Slot, r: Reply | Ready): void {
    const d = slot.pending.get(r.seq);
    if (!d) return;
    slot.pending.delete(r.seq);
    if ('native' in r && r.native) this.nativeWorkers++;
    // An idle pool does not keep the process alive; request() refs a worker while awaited.
    // Not once closing: close() refs every worker until its 'exit' (a late reply to a
    // background removeImage would otherwise unref it and let close() hang).
    if (slot.pending.size === 0 && !this.closed) slot.worker.unref();
    if (r.ok) d.resolve();
    else d.reject(new Error(`VerdictPool worker ${slot.index}: ${r.message}`));
  }

  /** A worker is gone: whatever waits on it rejects, and (unless closing) the pool is unusable. */
  private fail(slot: Slot, error: Error): void {
    slot.dead = true;
    if (!this.closed) this.failure ??= error;
    const reason = this.closed ? new Error('VerdictPool was closed') : error;
    for (const d of slot.pending.values()) d.reject(reason);
    slot.pending.clear();
  }

  private acquire(): Promise<Arena> {
    const free = this.freeArenas.pop();
    if (free) return Promise.resolve(free);
    if (this.arenaCount < MAX_ARENAS) return Promise.resolve(new Arena(this.arenaCount++));
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  private release(arena: Arena): void {
    const w = this.waiting.shift();
    if (w) w.resolve(arena);
    else this.freeArenas.push(arena);
  }
}

/** The checks Kernel.verdictBatch makes, here so that a bad batch fails before any copy. */
function checkBatch(b: FlowBatch): number {
  const n = b.count;
  if (!Number.isInteger(n) || n < 0) throw new RangeError('batch count must be a non-negative integer');
  const words = b.family ? 4 : 1;
  if (b.src.length < n * words || b.dst.length < n * words) throw new RangeError(`src/dst need ${n * words} words`);
  if (b.protocol.length < n || b.port.length < n) throw new RangeError(`protocol and port need ${n} elements`);
  if ((b.family && b.family.length < n) || (b.flags && b.flags.length < n) || (b.nameClass && b.nameClass.length < n))
    throw new RangeError(`family, flags and nameClass need ${n} elements`);
  return n;
}
