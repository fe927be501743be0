/**
 * The live image beside the compiled one: a LiveDataplane built from the scenario's cluster
 * as Kubernetes objects (what `LiveDataplane` users get), its current generation's copy timed
 * over the same trace buffers as the compiled image. The copy is laid out for in-place
 * updates (headroom, unmerged classes) and read by the native kernel with per-read checks,
 * so the gap between the two is the price of following changes.
 */
import { LiveDataplane } from '@netpol/core';
import { clusterObjects, type SyntheticCluster } from '@netpol/core/internal';
import { round, type DataplaneBatches } from './engines.js';
import { rawObject } from './update-objects.js';

export interface LiveImage {
  readonly live: LiveDataplane;
  /** The current generation's dataplane (its JS and native batch calls). */
  readonly dataplane: DataplaneBatches;
  /** new LiveDataplane(objects), ms. */
  readonly buildMs: number;
  readonly imageBytes: number;
}

/** The live image's figures for the report. */
export interface LiveImageFigures {
  readonly buildMs: number;
  readonly imageBytes: number;
}

/** Builds a LiveDataplane of the cluster's objects. */
export function buildLiveImage(cluster: SyntheticCluster): LiveImage {
  const raws = clusterObjects(cluster).map((o, i) => rawObject(o, i));
  const t0 = performance.now();
  // 'manual': the incremental image is what is timed, and no background compaction runs
  // between the timing rounds (packages/bench/scripts/live-vs-compiled.mjs --background times that one).
  const live = new LiveDataplane(raws, { compaction: 'manual' });
  const buildMs = round(performance.now() - t0, 1);
  // Generation.dp is the copy's dataplane (private in the type: the bench times its kernels apart).
  const dataplane = (live.current as unknown as { dp: DataplaneBatches }).dp;
  if (typeof dataplane?.verdictBatchJS !== 'function') throw new Error('LiveDataplane: the current generation exposes no dataplane to time');
  return { live, dataplane, buildMs, imageBytes: live.current.image.byteLength };
}
