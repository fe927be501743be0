/**
 * A controller-like allocation load for the update benchmark. A real controller does not call
 * `apply()` on a quiet heap: between two changes its informers decode watch events (JSON text
 * into fresh objects), replace the cached copies of the objects and index them, so the heap
 * churns and the garbage collector runs during some of the applies. Timing apply() on a heap
 * with nothing else going on (let alone right after a forced GC) shows a tail no controller
 * sees. `tick()` does that work between two applies, outside the timed region: `eventsPerTick`
 * watch events, each an object of the cluster as JSON text, decoded, stored over the cached
 * copy of a random object (the old copy becomes garbage in the old generation), and indexed
 * by label in a map that churns the same way.
 */
import { Random } from './generators.js';

export interface ControllerLoadOptions {
  /** Watch events decoded per tick (per apply). */
  readonly eventsPerTick: number;
  /** Objects the informer cache holds (a ring over the cluster's objects, at most this many). */
  readonly cachedObjects: number;
  readonly seed?: number;
}

export class ControllerLoad {
  private readonly texts: string[];
  private readonly cache: unknown[];
  private readonly index = new Map<string, unknown>();
  private readonly r: Random;
  /** Bytes of JSON decoded so far (what the load put through the heap, roughly). */
  decodedBytes = 0;
  events = 0;

  constructor(
    objects: readonly object[],
    readonly options: ControllerLoadOptions,
  ) {
    if (objects.length === 0) throw new RangeError('a controller load needs objects to decode');
    this.r = new Random(options.seed ?? 17);
    this.texts = objects.map((o) => JSON.stringify(o));
    const n = Math.min(options.cachedObjects, this.texts.length);
    this.cache = Array.from({ length: n }, (_, i) => JSON.parse(this.texts[i % this.texts.length]!) as unknown);
  }

  /** The work of `eventsPerTick` watch events. */
  tick(): void {
    for (let e = 0; e < this.options.eventsPerTick; e++) {
      const text = this.texts[this.r.int(0, this.texts.length - 1)]!;
      const obj = JSON.parse(text) as { metadata?: { name?: string; labels?: Record<string, string> } };
      this.cache[this.r.int(0, this.cache.length - 1)] = obj;
      const labels = obj.metadata?.labels ?? {};
      for (const [k, v] of Object.entries(labels)) this.index.set(`${k}=${v}/${obj.metadata?.name ?? ''}`, obj);
      if (this.index.size > 4 * this.cache.length) this.index.clear();
      this.decodedBytes += text.length;
      this.events++;
    }
  }
}
