/**
 * The live image beside the compiled one: a LiveDataplane built from the scenario's cluster
 * as Kubernetes objects (what `LiveDataplane` users get), timed over the same trace buffers
 * as the compiled image in two states: its first generation as built, laid out for in-place
 * updates (headroom, unmerged classes, read by the native kernel with per-read checks), and
 * the generation compaction publishes from it (what users get once applies go quiet: the
 * background compaction does the same work in slices, `compact()` at once).
 */
import { LiveDataplane } from '@netpol/core';
import { clusterObjects, type SyntheticCluster } from '@netpol/core/internal';
import { round, type DataplaneBatches } from './engines.js';
import { rawObject } from './update-objects.js';

export interface LiveImage {
  readonly live: LiveDataplane;
  /** The first generation's dataplane as built (its JS and native batch calls), pinned so no publish reuses it. */
  readonly dataplane: DataplaneBatches;
  /** The compacted generation's dataplane. */
  readonly compacted: DataplaneBatches;
  /** new LiveDataplane(objects), ms. */
  readonly buildMs: number;
  readonly imageBytes: number;
  readonly compaction: LiveCompactionFigures;
}

/** LiveDataplane.compact() on the image as built: the compacted image's bytes, the call's wall and CPU ms. */
export interface LiveCompactionFigures {
  readonly imageBytes: number;
  readonly ms: number;
  /** CPU time of this process over the call (user + system, every thread). */
  readonly cpuMs: number;
}

/** The live image's figures for the report (`compacted`: absent in files from before it). */
export interface LiveImageFigures {
  readonly buildMs: number;
  readonly imageBytes: number;
  readonly compacted?: LiveCompactionFigures;
}

/** A generation's dataplane (Generation.dp is private in the type: the bench times its kernels apart). */
function dataplaneOf(g: object): DataplaneBatches {
  const dp = (g as { dp?: DataplaneBatches }).dp;
  if (typeof dp?.verdictBatchJS !== 'function') throw new Error('LiveDataplane: the generation exposes no dataplane to time');
  return dp;
}

/** Builds a LiveDataplane of the cluster's objects, then compacts it (the first generation stays pinned). */
export function buildLiveImage(cluster: SyntheticCluster): LiveImage {
  const raws = clusterObjects(cluster).map((o, i) => rawObject(o, i));
  const t0 = performance.now();
  // 'manual': no background compaction runs between the timing rounds; the compacted image
  // comes from compact() below (packages/bench/scripts/live-vs-compiled.mjs --background
  // waits for the background one instead: the same image).
  const live = new LiveDataplane(raws, { compaction: 'manual' });
  const buildMs = round(performance.now() - t0, 1);
  // Pinned: the copy is never reused by a later publish (there is none here, but a pin says so).
  const built = live.snapshot();
  const dataplane = dataplaneOf(built);
  const imageBytes = built.image.byteLength;
  const c0 = process.cpuUsage();
  const t1 = performance.now();
  live.compact();
  const ms = round(performance.now() - t1, 1);
  const c1 = process.cpuUsage(c0);
  const compacted = live.current;
  return {
    live,
    dataplane,
    compacted: dataplaneOf(compacted),
    buildMs,
    imageBytes,
    compaction: { imageBytes: compacted.image.byteLength, ms, cpuMs: round((c1.user + c1.system) / 1000, 1) },
  };
}
