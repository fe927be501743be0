/**
 * The `workers` part: verdict throughput of VerdictPool against the calling thread alone,
 * on one large trace, for the JS kernel and (when loaded) the native one. One timed pass =
 * the trace `sweeps` times over, in batches (several sweeps amortize the pipeline's fill
 * and drain at the pass's ends, as a continuous stream would); pools run it with `inFlight`
 * batches outstanding (the next is copied in while the workers compute) and also one batch
 * at a time. Repetitions are
 * interleaved across configurations, so a noisy stretch of the machine hits all of them;
 * the best pass is the figure (noise only ever slows a pass down), the median is kept beside.
 * Every configuration's bytes are checked against the calling thread's before any timing.
 */
import os from 'node:os';
import { CompiledDataplane, VerdictPool, type FlowBatch } from '@netpol/core';
import type { ClusterShape } from '@netpol/core/internal';
import { nativeUsable, round, VerdictMismatchError } from './engines.js';
import { benchCluster, benchTrace, sliceBatch, type SizeName } from './generators.js';
import { cpuNow, foreignCores } from './machine-load.js';
import { collectGarbage, median, sink } from './measure.js';
import type { Progress } from './progress.js';
import type { TargetCheck } from './target-check.js';

export interface WorkersOptions {
  readonly size: SizeName | ClusterShape;
  /** Flows in the trace (one timed pass handles them all). */
  readonly flows: number;
  /** Flows per verdictBatch call. */
  readonly batch: number;
  /** Times the trace is run through per timed pass. */
  readonly sweeps: number;
  /** Timed passes per configuration (after one warm-up pass each). */
  readonly repetitions: number;
  /** Pool sizes to measure; the ratio needs 1 and 2. */
  readonly workers: readonly number[];
  /** Pool calls outstanding in the pipelined passes. */
  readonly inFlight: number;
  readonly traceSeed: number;
}

/** M flows/s over the repetitions. */
export interface WorkersRate {
  readonly best: number;
  readonly median: number;
}

export interface WorkersKernelResult {
  readonly kernel: 'js' | 'native';
  /** CompiledDataplane.verdictBatchJS / verdictBatchNative on the calling thread. */
  readonly callingThread: WorkersRate;
  readonly pools: readonly { readonly workers: number; readonly pipelined: WorkersRate; readonly sequential: WorkersRate }[];
  /** Pipelined best, 2 workers ÷ 1 worker; null when either was not measured. */
  readonly ratio2v1: number | null;
  /**
   * Cores other processes kept busy, on average, while this kernel was timed (Linux
   * /proc/stat minus this process's CPU time); null elsewhere. Near 0: the figures are clean.
   */
  readonly foreignCores: number | null;
}

export interface WorkersResult {
  readonly cluster: string;
  readonly flows: number;
  readonly batch: number;
  readonly sweeps: number;
  readonly repetitions: number;
  readonly inFlight: number;
  readonly cores: number;
  readonly statistic: 'best of repetitions (median beside)';
  readonly kernels: readonly WorkersKernelResult[];
}

type Pass = () => Promise<void> | void;

/** One pass per configuration per round, `repetitions` rounds; returns M flows/s per pass. */
async function interleaved(passes: readonly Pass[], flows: number, repetitions: number): Promise<number[][]> {
  const rates: number[][] = passes.map(() => []);
  for (const p of passes) await p(); // warm-up: JIT, arenas, page faults
  for (let r = 0; r < repetitions; r++) {
    for (const [i, p] of passes.entries()) {
      collectGarbage();
      const t0 = performance.now();
      await p();
      rates[i]!.push(flows / ((performance.now() - t0) * 1000));
    }
  }
  return rates;
}

const rate = (xs: readonly number[]): WorkersRate => ({ best: round(Math.max(...xs), 1), median: round(median(xs), 1) });

export async function runWorkers(o: WorkersOptions, progress?: Progress): Promise<WorkersResult> {
  const name = typeof o.size === 'string' ? o.size : `${o.size.pods} pods / ${o.size.policies} policies`;
  progress?.step(`workers ${name}: compile and trace`);
  const cluster = benchCluster(o.size);
  const dp = new CompiledDataplane(cluster, { shared: true });
  const image = dp.image as SharedArrayBuffer;
  const trace = benchTrace(cluster, { count: o.flows, seed: o.traceSeed });
  // Batches in SharedArrayBuffers (VerdictPool.sharedBatch): no flow is copied in or out.
  const parts: FlowBatch[] = [];
  const outs: Uint8Array[] = [];
  for (let at = 0; at < o.flows; at += o.batch) {
    const slice = sliceBatch(trace, at, Math.min(o.batch, o.flows - at));
    const { batch, out } = VerdictPool.sharedBatch(slice.count, { family: slice.family !== undefined, flags: slice.flags !== undefined });
    batch.src.set(slice.src);
    batch.dst.set(slice.dst);
    batch.port.set(slice.port);
    batch.protocol.set(slice.protocol);
    if (slice.family) batch.family!.set(slice.family);
    if (slice.flags) batch.flags!.set(slice.flags);
    parts.push(batch);
    outs.push(out);
  }
  const kernels: WorkersKernelResult[] = [];
  for (const kernel of nativeUsable(dp) ? (['js', 'native'] as const) : (['js'] as const)) {
    const pools = await Promise.all(o.workers.map((workers) => VerdictPool.create({ workers, native: kernel === 'js' ? 'off' : 'auto' })));
    try {
      for (const p of pools) {
        if (kernel === 'native' && !p.native) throw new Error('the native addon loads here but not in the pool workers');
        await p.addImage(1, image, { mutable: false }); // compiled once, never changed
      }
      const single = kernel === 'js' ? dp.verdictBatchJS.bind(dp) : dp.verdictBatchNative.bind(dp);
      // Each pass factory takes the number of batches to run: batch k is parts[k % parts.length].
      const n = parts.length;
      const here =
        (jobs: number): Pass =>
        () => {
          for (let k = 0; k < jobs; k++) single(parts[k % n]!, outs[k % n]!);
        };
      const sequential =
        (p: VerdictPool) =>
        (jobs: number): Pass =>
        async () => {
          for (let k = 0; k < jobs; k++) await p.verdictBatch(1, parts[k % n]!, outs[k % n]);
        };
      const pipelined =
        (p: VerdictPool) =>
        (jobs: number): Pass =>
        async () => {
          let next = 0;
          const lane = async (): Promise<void> => {
            for (let k = next++; k < jobs; k = next++) await p.verdictBatch(1, parts[k % n]!, outs[k % n]);
          };
          await Promise.all(Array.from({ length: o.inFlight }, lane));
        };
      const configs = [here, ...pools.map(pipelined), ...pools.map(sequential)];
      progress?.step(`workers ${name}: checking ${kernel} verdicts`);
      await verify(
        kernel,
        configs.map((c) => c(n)),
        outs,
      );
      progress?.step(`workers ${name}: timing ${kernel}`);
      const before = cpuNow();
      const rates = await interleaved(
        configs.map((c) => c(n * o.sweeps)),
        o.flows * o.sweeps,
        o.repetitions,
      );
      const foreign = foreignCores(before, cpuNow());
      sink(outs[0]![0] ?? 0);
      const poolRates = o.workers.map((workers, i) => ({ workers, pipelined: rate(rates[1 + i]!), sequential: rate(rates[1 + pools.length + i]!) }));
      const one = poolRates.find((p) => p.workers === 1);
      const two = poolRates.find((p) => p.workers === 2);
      kernels.push({
        kernel,
        callingThread: rate(rates[0]!),
        pools: poolRates,
        ratio2v1: one && two ? round(two.pipelined.best / one.pipelined.best, 2) : null,
        foreignCores: foreign,
      });
    } finally {
      await Promise.all(pools.map((p) => p.close()));
    }
  }
  return {
    cluster: name,
    flows: o.flows,
    batch: o.batch,
    sweeps: o.sweeps,
    repetitions: o.repetitions,
    inFlight: o.inFlight,
    cores: os.availableParallelism(),
    statistic: 'best of repetitions (median beside)',
    kernels,
  };
}

/** Every pool pass must write the calling thread's (the first pass's) bytes; outs are cleared in between. */
async function verify(kernel: string, [here, ...passes]: readonly Pass[], outs: readonly Uint8Array[]): Promise<void> {
  await here!();
  const want = outs.map((o) => o.slice());
  for (const [i, p] of passes.entries()) {
    for (const o of outs) o.fill(0xff);
    await p();
    const k = outs.findIndex((o, j) => !o.every((v, x) => v === want[j]![x]));
    if (k >= 0) throw new VerdictMismatchError(`VerdictPool (${kernel}, configuration ${i}) disagrees with the calling thread in batch ${k}`);
  }
}

/** The part's lines for the text report. */
export function renderWorkers(r: WorkersResult): string {
  const lines = [
    `Verdict pool, ${r.cluster} cluster: ${r.flows} flows × ${r.sweeps} per pass in batches of ${r.batch}, ${r.cores} cores, M flows/s, ${r.statistic} over ${r.repetitions}`,
  ];
  const cell = (x: WorkersRate): string => `${x.best.toFixed(1)} (${x.median.toFixed(1)})`;
  for (const k of r.kernels) {
    lines.push(`  ${k.kernel.padEnd(6)} calling thread ${cell(k.callingThread)}`);
    for (const p of k.pools)
      lines.push(`  ${k.kernel.padEnd(6)} pool of ${p.workers}: ${cell(p.pipelined)} with ${r.inFlight} in flight, ${cell(p.sequential)} one at a time`);
    const noise = k.foreignCores === null ? '' : `; other processes kept ${k.foreignCores.toFixed(2)} cores busy meanwhile`;
    lines.push(`  ${k.kernel.padEnd(6)} 2 workers vs 1: ${k.ratio2v1 === null ? 'not measured' : `${k.ratio2v1.toFixed(2)}×`} (target ≥ 1.8×)${noise}`);
  }
  return lines.join('\n');
}

/** The 2-vs-1 target per kernel (≥ 1.8×), for results.targets; nothing when the part did not run. */
export function workersTargets(r: WorkersResult | null | undefined): TargetCheck[] {
  if (!r) return [];
  return r.kernels.map((k) => {
    const noisy =
      k.foreignCores !== null && k.foreignCores > 0.25 ? `; other processes kept ${k.foreignCores} cores busy: a low figure may be the machine's` : '';
    const base = {
      id: `workers-2v1-${k.kernel}`,
      what: `verdict pool, 2 workers vs 1, ${r.cluster} cluster, ${k.kernel} kernel (best of ${r.repetitions})`,
      target: '≥ 1.8×',
      unit: '×',
    };
    if (k.ratio2v1 === null) return { ...base, measured: null, met: null, note: 'not measured: needs pools of 1 and 2 workers' };
    const met = k.ratio2v1 >= 1.8;
    return {
      ...base,
      measured: k.ratio2v1,
      met,
      note: `${met ? `met (${(k.ratio2v1 / 1.8).toFixed(2)}× margin)` : `missed by ${(1.8 / k.ratio2v1).toFixed(2)}×`}${noisy}`,
    };
  });
}
