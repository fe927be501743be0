/**
 * Timing with tinybench. tinybench brackets ONE call per sample, so every task here is a
 * batch: `batch` verdicts (or lookups) per call, and verdicts/s = calls/s × batch. Inputs
 * rotate between calls (no loop-invariant input), and every result is folded into a
 * module-level XOR sink (no dead-code elimination); the sink is reported.
 */
import { Bench } from 'tinybench';

let sinkValue = 0;
/** Fold a result into the sink (cheap, observable, defeats dead-code elimination). */
export const sink = (x: number): void => {
  sinkValue ^= x;
};
export const sinkState = (): number => sinkValue >>> 0;

export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

export interface Timing {
  /** Verdicts (or lookups) per timed call. */
  readonly batch: number;
  /** Per second, from the per-call throughput samples × batch. */
  readonly perSecond: Spread;
  /** Median call latency / batch, in ns. */
  readonly nsPerOp: number;
  /** Timed calls (samples). */
  readonly samples: number;
  /** Relative margin of error of the mean latency, percent. */
  readonly rme: number;
}

export interface TimeOptions {
  /** Time budget in ms (tinybench keeps going until both it and `iterations` are met). */
  readonly timeMs: number;
  readonly warmupMs: number;
  readonly iterations?: number;
}

const gc = (globalThis as { gc?: () => void }).gc ?? ((): void => {});
export const collectGarbage = gc;

/** Times `fn` (one call = `batch` operations) and returns verdicts/s statistics. */
export function timeBatch(name: string, fn: () => void, batch: number, o: TimeOptions): Timing {
  gc();
  const bench = new Bench({
    name,
    time: o.timeMs,
    iterations: o.iterations ?? 32,
    warmup: true,
    warmupTime: o.warmupMs,
    warmupIterations: 8,
    timestampProvider: 'hrtimeNow',
    throws: true,
  });
  bench.add(name, fn);
  const [task] = bench.runSync();
  const r = task?.result;
  if (!r || (r.state !== 'completed' && r.state !== 'aborted-with-statistics')) {
    throw new Error(`benchmark task ${name} did not complete (${r?.state ?? 'no result'}${r && 'error' in r ? `: ${String(r.error)}` : ''})`);
  }
  const t = r.throughput;
  return {
    batch,
    perSecond: { median: t.p50 * batch, min: t.min * batch, max: t.max * batch },
    nsPerOp: (r.latency.p50 * 1e6) / batch,
    samples: r.latency.samplesCount,
    rme: r.latency.rme,
  };
}

/**
 * A batch size for a slow operation so that one call takes about `targetMs`: warms up, then
 * times five short rounds of single calls and takes the median per-call time (a GC pause in
 * one round does not skew it), rounded down to a power of two within [1, max].
 */
export function calibrateBatch(one: () => void, targetMs: number, max = 4096): number {
  const w0 = performance.now();
  for (let i = 0; i < 1000 && performance.now() - w0 < 20; i++) one();
  const per: number[] = [];
  for (let round = 0; round < 5; round++) {
    let n = 0;
    const t0 = performance.now();
    let t = t0;
    while (t - t0 < Math.max(1, targetMs / 2) && n < max) {
      one();
      n++;
      t = performance.now();
    }
    per.push((t - t0) / n);
  }
  const p = median(per);
  let b = 1;
  while (b * 2 <= max && b * 2 * p <= targetMs) b *= 2;
  return b;
}

export const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
