/**
 * The timing core. Every task is a batch: one call handles `batch` verdicts (or lookups), so
 * verdicts/s = calls/s × batch. Inputs rotate between calls (no loop-invariant input), and
 * every result is folded into a module-level XOR sink (no dead-code elimination); the sink is
 * reported.
 *
 * Tasks measured together are **interleaved in rounds** (A B C A B C ...: each round gives
 * every task a slice of its time budget, in the same order), so that load drift on a shared
 * machine, heap growth or a noisy neighbour affects all of them alike instead of whichever
 * ran during the bad stretch. The figures are **percentiles over samples** (p5, median, p95 of
 * the per-sample rate), never min/max: on a shared host one preempted sample reads 1000×
 * slower, and min/max only show that. A sample is as many calls as make about 20 µs (one
 * call for batches that take longer), so the clock's own cost stays out of small batches.
 * The 1-minute load average is read at every slice and the cores other processes kept busy
 * are counted over the slices; both are reported beside the figures.
 */
import { readFileSync } from 'node:fs';
import { LoadTracker, type LoadFigures } from './machine-load.js';

let sinkValue = 0;
/** Fold a result into the sink (cheap, observable, defeats dead-code elimination). */
export const sink = (x: number): void => {
  sinkValue ^= x;
};
export const sinkState = (): number => sinkValue >>> 0;

/** Percentiles of a per-second rate over the samples (p5 is the slow end: the rate's 5th percentile is the latency's 95th). */
export interface Spread {
  readonly p5: number;
  /** The 50th percentile. */
  readonly median: number;
  readonly p95: number;
}

export interface Timing {
  /** Verdicts (or lookups) per call. */
  readonly batch: number;
  /** Per second, percentiles over the samples. */
  readonly perSecond: Spread;
  /** 1e9 ÷ the median rate: ns per verdict (or lookup). */
  readonly nsPerOp: number;
  /** Timed samples, and the calls each one times. */
  readonly samples: number;
  readonly callsPerSample: number;
  /** Rounds the task took part in (its budget was cut into this many slices). */
  readonly rounds: number;
  /** Median rate of each round, in order: drift over the measurement shows here. */
  readonly roundMedians: readonly number[];
  /** The machine's load while this task's slices ran. */
  readonly load: LoadFigures;
}

export interface TimeOptions {
  /** Time budget per task in ms, over all rounds. */
  readonly timeMs: number;
  /** Untimed calls per task before the first round (JIT, caches), ms. */
  readonly warmupMs: number;
  /** At least this many samples per task (a slow task runs past its budget to get them; default 32). */
  readonly iterations?: number;
  /** Rounds the budget is cut into (default 10). */
  readonly rounds?: number;
}

/** One task: `fn` handles `batch` operations per call. */
export interface TimedTask {
  readonly name: string;
  readonly fn: () => void;
  readonly batch: number;
}

const gc = (globalThis as { gc?: () => void }).gc ?? ((): void => {});
export const collectGarbage = gc;

/** A sample spans about this long (ms): several calls of a fast task, one call of a slow one. */
const SAMPLE_MS = 0.02;

/**
 * Times the tasks interleaved in rounds and returns one Timing per task, in order. `clock`
 * is for tests (the order of calls is what they check, never a duration).
 */
export function timeInterleaved(tasks: readonly TimedTask[], o: TimeOptions, clock: () => number = () => performance.now()): Timing[] {
  const rounds = Math.max(1, Math.floor(o.rounds ?? 10));
  const minSamples = Math.max(1, Math.ceil((o.iterations ?? 32) / rounds));
  const sliceMs = o.timeMs / rounds;
  // Warm-up, one task after the other: at least 8 calls and warmupMs each. It also sizes the samples.
  const reps = tasks.map((t) => {
    const t0 = clock();
    let calls = 0;
    let now = t0;
    while (calls < 8 || now - t0 < o.warmupMs) {
      t.fn();
      calls++;
      now = clock();
    }
    const perCall = (now - t0) / calls;
    return perCall > 0 ? Math.max(1, Math.min(1 << 16, Math.round(SAMPLE_MS / perCall))) : 1;
  });
  const samples: number[][] = tasks.map(() => []);
  const perRound: number[][] = tasks.map(() => []);
  const loads = tasks.map(() => new LoadTracker());
  for (let r = 0; r < rounds; r++) {
    gc(); // outside every slice: the timed calls allocate nothing
    tasks.forEach((t, i) => {
      const k = reps[i]!;
      const fn = t.fn;
      const own = samples[i]!;
      const from = own.length;
      loads[i]!.start();
      const end = clock() + sliceMs;
      let n = 0;
      let t1: number;
      do {
        const t0 = clock();
        for (let c = 0; c < k; c++) fn();
        t1 = clock();
        own.push(t1 - t0);
        n++;
      } while (t1 < end || n < minSamples);
      loads[i]!.stop();
      perRound[i]!.push(medianRate(own.slice(from), k * t.batch));
    });
  }
  return tasks.map((t, i) => {
    const ops = reps[i]! * t.batch;
    const rates = samples[i]!.map((ms) => (ms > 0 ? (ops * 1000) / ms : Infinity)).sort((a, b) => a - b);
    const med = percentile(rates, 0.5);
    return {
      batch: t.batch,
      perSecond: { p5: percentile(rates, 0.05), median: med, p95: percentile(rates, 0.95) },
      nsPerOp: 1e9 / med,
      samples: rates.length,
      callsPerSample: reps[i]!,
      rounds,
      roundMedians: perRound[i]!,
      load: loads[i]!.figures(),
    };
  });
}

const medianRate = (ms: readonly number[], ops: number): number => {
  const rates = ms.map((x) => (x > 0 ? (ops * 1000) / x : Infinity)).sort((a, b) => a - b);
  return percentile(rates, 0.5);
};

/** Times one task alone (rounds still cut its budget, so the load is read along the way). */
export function timeBatch(name: string, fn: () => void, batch: number, o: TimeOptions): Timing {
  return timeInterleaved([{ name, fn, batch }], o)[0]!;
}

/** A Spread rounded to whole units per second (the JSON's form). */
export const roundSpread = (s: Spread): Spread => ({ p5: Math.round(s.p5), median: Math.round(s.median), p95: Math.round(s.p95) });

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

/**
 * Nearest-rank percentile of ascending values: the smallest value with at least p of the
 * values at or below it (p in [0, 1]; p = 0 gives the smallest). NaN for no values.
 */
export const percentile = (sorted: readonly number[], p: number): number => sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)] ?? NaN;

/** The median (the mean of the two middle values for an even count); NaN for no values. */
export const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/**
 * This process's peak resident set, bytes. On Linux from /proc/self/status (VmHWM: the high-water
 * mark of this process's own address space): getrusage's maxRSS, which process.resourceUsage()
 * reads, is kept across exec, so a probe spawned by a large bench process reported at least the
 * parent's RSS at the fork (428 MiB for a 103-pod probe). Elsewhere maxRSS.
 */
export function peakRssBytes(): number {
  try {
    const hwm = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (hwm) return Number(hwm[1]) * 1024;
  } catch {
    // not Linux: fall through
  }
  return process.resourceUsage().maxRSS * 1024;
}
