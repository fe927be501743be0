/**
 * Verdict throughput while the cluster changes: one thread alternates batches of verdicts
 * on whatever generation is published with pod updates at a fixed rate (one update every N
 * batches), as an agent that both enforces and follows the API server would. Reports the
 * update rate reached and the verdict throughput over verdict + update time, against the
 * same loop with no updates (rate 0). Bookkeeping of the benchmark itself (its model, the next
 * change) is outside the timed sections.
 */
import type { FlowBatch } from '@netpol/core';
import { sliceBatch } from './generators.js';
import { collectGarbage, percentile, sink } from './measure.js';
import type { Published } from './update-check.js';

export interface StreamSpec {
  /** Flows per verdictBatch call. */
  readonly batch: number;
  /** Time budget per rate, ms (verdict + update time), over all rounds. */
  readonly durationMs: number;
  /** Batches between two updates, one run per value; 0: no updates (the baseline). */
  readonly batchesPerUpdate: readonly number[];
  /** A run with updates goes on past the budget until it has made this many. */
  readonly minUpdates: number;
  /** The rates take turns this many times, a slice of the budget each. */
  readonly rounds: number;
}

export interface StreamResult {
  /** null: the baseline, no updates. */
  readonly batchesPerUpdate: number | null;
  readonly batches: number;
  readonly updates: number;
  readonly updatesPerSecond: number;
  /** Flows ÷ (verdict time + update time): what the thread delivers. */
  readonly flowsPerSecond: number;
  /** Flows ÷ verdict time alone (what generation switches cost the verdicts themselves). */
  readonly verdictOnlyFlowsPerSecond: number;
  /** flowsPerSecond ÷ the baseline's (1 = updates cost nothing). */
  readonly ofBaseline: number | null;
  /** Latency of the updates made in this run, µs. */
  readonly updateUs: { readonly p50: number; readonly p99: number; readonly max: number } | null;
}

const r1 = (x: number): number => Math.round(x * 10) / 10;

/**
 * `current()` returns the published generation; `update()` applies the next change and
 * returns the µs its apply() took.
 */
export function runStream(spec: StreamSpec, trace: FlowBatch, current: () => Published, update: () => number): StreamResult[] {
  const n = Math.floor(trace.count / spec.batch);
  if (n === 0) throw new RangeError(`a trace of ${trace.count} flows is shorter than a batch of ${spec.batch}`);
  const slices = Array.from({ length: n }, (_, k) => sliceBatch(trace, k * spec.batch, spec.batch));
  const out = new Uint8Array(spec.batch);
  let k = 0;
  const verdicts = (): number => {
    const t = performance.now();
    current().verdictBatch(slices[k]!, out);
    const ms = performance.now() - t;
    sink(out[spec.batch - 1]!);
    k = k + 1 === n ? 0 : k + 1;
    return ms;
  };
  // JIT warm-up, not recorded: at least 256 batches and 200 ms.
  for (let i = 0, t = performance.now(); i < 256 || performance.now() - t < 200; i++) verdicts();
  // Rates take turns, `rounds` slices of the budget each, so that drift (JIT, heap growth,
  // other load on the machine) does not favour one of them.
  const acc = spec.batchesPerUpdate.map(() => ({ verdictMs: 0, updateMs: 0, batches: 0, us: [] as number[] }));
  const rounds = Math.max(1, spec.rounds);
  for (let round = 0; round < rounds; round++) {
    spec.batchesPerUpdate.forEach((every, i) => {
      const a = acc[i]!;
      collectGarbage();
      const target = (spec.durationMs * (round + 1)) / rounds;
      let since = 0;
      while (a.verdictMs + a.updateMs < target || (every > 0 && a.us.length < Math.ceil((spec.minUpdates * (round + 1)) / rounds))) {
        a.verdictMs += verdicts();
        a.batches++;
        if (every > 0 && ++since === every) {
          since = 0;
          const u = update();
          a.us.push(u);
          a.updateMs += u / 1000;
        }
      }
    });
  }
  const rate = (a: (typeof acc)[number]): number => (a.batches * spec.batch) / ((a.verdictMs + a.updateMs) / 1000);
  const base = spec.batchesPerUpdate.indexOf(0);
  const baseline = base >= 0 ? rate(acc[base]!) : null;
  return spec.batchesPerUpdate.map((every, i) => {
    const a = acc[i]!;
    const us = [...a.us].sort((x, y) => x - y);
    const seconds = (a.verdictMs + a.updateMs) / 1000;
    return {
      batchesPerUpdate: every > 0 ? every : null,
      batches: a.batches,
      updates: us.length,
      updatesPerSecond: r1(us.length / seconds),
      flowsPerSecond: Math.round(rate(a)),
      verdictOnlyFlowsPerSecond: Math.round((a.batches * spec.batch) / (a.verdictMs / 1000)),
      ofBaseline: baseline === null ? null : Math.round((rate(a) / baseline) * 1000) / 1000,
      updateUs: us.length ? { p50: r1(percentile(us, 0.5)), p99: r1(percentile(us, 0.99)), max: r1(us[us.length - 1]!) } : null,
    };
  });
}
