/**
 * Scaling sweeps: policies at a fixed pod count, pods at a fixed policy count. Per point:
 * compile time, heap, image bytes, and the cost of a verdict (JS batch, native batch when
 * loaded, and the reference evaluator for contrast), each point checked against the
 * reference first.
 */
import { nativeUsable, round, sampleIndices, scenarioEngines, verifyEngines } from './engines.js';
import { benchTrace, flowAt } from './generators.js';
import type { LoadFigures } from './machine-load.js';
import { timeInterleaved, type TimeOptions } from './measure.js';
import type { Progress } from './progress.js';
import { prepare, type Prepared } from './scenario.js';

export interface ScalingPoint {
  readonly pods: number;
  readonly policies: number;
  /** In the benchmark process (JIT warm): comparable across points. */
  readonly compileMs: number;
  /** In a fresh process; null when not probed (quick runs). */
  readonly coldCompileMs: number | null;
  /** Retained by the dataplane after GC: from the fresh process when probed. */
  readonly heapRetainedBytes: number;
  /** Peak resident set of the (median) cold probe process: generation, model and compile; null when not probed. */
  readonly maxRssBytes: number | null;
  /** The cold probes' compile times (ms), in run order. */
  readonly coldCompileRunsMs: readonly number[];
  readonly imageBytes: number;
  readonly identities: number;
  readonly egressRows: number;
  readonly ingressRows: number;
  readonly portClasses: number;
  /** Median ns per verdict, by engine kind; null when the engine did not run. */
  readonly nsPerVerdict: { readonly jsBatch: number; readonly native: number | null; readonly reference: number };
  readonly verdictsPerSecond: { readonly jsBatch: number; readonly native: number | null; readonly reference: number };
  readonly checksum: string;
  /** Load while the engines were timed (interleaved: one figure for the point). */
  readonly load: LoadFigures;
}

export interface ScalingSweep {
  /** What varies ('policies', 'pods', or 'both' together) and what is held. */
  readonly vary: 'policies' | 'pods' | 'both';
  readonly fixed: { readonly pods?: number; readonly policies?: number };
  readonly points: readonly ScalingPoint[];
  /** Cost of a JS batch verdict at the last point ÷ at the reference point (growth). */
  readonly growth: { readonly from: number; readonly to: number; readonly jsBatch: number; readonly native: number | null; readonly reference: number } | null;
}

export interface ScalingOptions {
  readonly policies: { readonly values: readonly number[]; readonly pods: number; readonly growthFrom: number };
  readonly pods: { readonly values: readonly number[]; readonly policies: number; readonly growthFrom: number };
  /** Pods and policies grown together (the full run goes to 100k pods / 20k policies); absent: no such sweep. */
  readonly both?: {
    readonly values: readonly { readonly pods: number; readonly policies: number }[];
    readonly coldProbes: number;
    readonly referenceSample: number;
  };
  readonly traceCount: number;
  /** Fresh-process compiles per point (clean heap figures); 0 measures in-process only. */
  readonly coldProbes: number;
  readonly referenceSample: number;
  readonly batch: number;
  readonly timing: TimeOptions;
}

export function runScaling(o: ScalingOptions, progress: Progress): ScalingSweep[] {
  const cache = new Map<string, ScalingPoint>();
  const point = (pods: number, policies: number, coldProbes = o.coldProbes, referenceSample = o.referenceSample): ScalingPoint => {
    const key = `${pods}/${policies}`;
    const hit = cache.get(key);
    if (hit) return hit;
    const name = `${pods} pods / ${policies} policies`;
    const p: Prepared = prepare({ name, pods, policies, seed: 1 }, { coldProbes, warmCompiles: 0 }, progress);
    progress.step(`${name}: trace`);
    const trace = benchTrace(p.cluster, { count: o.traceCount, seed: 7 });
    const engines = scenarioEngines(p.dp, p.ref, trace, {
      jsBatches: [o.batch],
      nativeBatches: nativeUsable(p.dp) ? [o.batch] : [],
      singleBatch: o.batch,
      referenceFlows: sampleIndices(trace.count, 2048).map((i) => flowAt(trace, i)),
      referenceCallMs: 2,
    }).filter((e) => e.kind !== 'js-single');
    progress.step(`${name}: checking verdicts`);
    const v = verifyEngines(name, trace, p.ref, engines, referenceSample);
    progress.step(`${name}: timing ${engines.map((e) => e.id).join(', ')}, interleaved`);
    const timings = timeInterleaved(
      engines.map((e) => ({ name: `${key} ${e.id}`, fn: e.timed, batch: e.batch })),
      o.timing,
    );
    const rate = (kind: string): { ns: number; perSecond: number } | null => {
      const i = engines.findIndex((x) => x.kind === kind);
      return i < 0 ? null : { ns: round(timings[i]!.nsPerOp, 2), perSecond: Math.round(timings[i]!.perSecond.median) };
    };
    const js = rate('js-batch')!;
    const native = rate('native-batch');
    const ref = rate('reference')!;
    const s = p.compile.stats;
    const loads = timings.map((t) => t.load);
    const fc = loads.flatMap((l) => (l.foreignCores === null ? [] : [l.foreignCores]));
    const result: ScalingPoint = {
      pods: p.size.pods,
      policies: p.size.policies,
      compileMs: p.compile.firstInProcessMs,
      coldCompileMs: p.compile.coldProcessMs,
      coldCompileRunsMs: p.compile.coldProcessRunsMs,
      heapRetainedBytes: p.compile.heapRetainedBytes,
      maxRssBytes: p.compile.maxRssBytes,
      imageBytes: p.compile.imageBytes,
      identities: s.identities,
      egressRows: s.egress.rows,
      ingressRows: s.ingress.rows,
      portClasses: s.portClasses,
      nsPerVerdict: { jsBatch: js.ns, native: native?.ns ?? null, reference: ref.ns },
      verdictsPerSecond: { jsBatch: js.perSecond, native: native?.perSecond ?? null, reference: ref.perSecond },
      checksum: v.checksum,
      load: {
        min: Math.min(...loads.map((l) => l.min)),
        max: Math.max(...loads.map((l) => l.max)),
        foreignCores: fc.length ? round(fc.reduce((a, b) => a + b, 0) / fc.length, 2) : null,
      },
    };
    cache.set(key, result);
    return result;
  };
  const sweep = (vary: 'policies' | 'pods'): ScalingSweep => {
    const cfg = vary === 'policies' ? o.policies : o.pods;
    progress.phase(
      vary === 'policies'
        ? `scaling: policies ${cfg.values.join(', ')} at ${o.policies.pods} pods`
        : `scaling: pods ${cfg.values.join(', ')} at ${o.pods.policies} policies`,
    );
    const points = cfg.values.map((x) => (vary === 'policies' ? point(o.policies.pods, x) : point(x, o.pods.policies)));
    const at = (x: number): ScalingPoint | undefined => points.find((q) => (vary === 'policies' ? q.policies : q.pods) === x);
    const a = at(cfg.growthFrom);
    const b = points[points.length - 1];
    const growth =
      a && b && a !== b
        ? {
            from: cfg.growthFrom,
            to: vary === 'policies' ? b.policies : b.pods,
            jsBatch: round(b.nsPerVerdict.jsBatch / a.nsPerVerdict.jsBatch, 2),
            native: a.nsPerVerdict.native && b.nsPerVerdict.native ? round(b.nsPerVerdict.native / a.nsPerVerdict.native, 2) : null,
            reference: round(b.nsPerVerdict.reference / a.nsPerVerdict.reference, 2),
          }
        : null;
    return { vary, fixed: vary === 'policies' ? { pods: o.policies.pods } : { policies: o.pods.policies }, points, growth };
  };
  const sweeps = [sweep('policies'), sweep('pods')];
  if (o.both && o.both.values.length > 0) {
    const b = o.both;
    progress.phase(`scaling: pods and policies ${b.values.map((x) => `${x.pods}/${x.policies}`).join(', ')}`);
    // One point at a time: a point's cluster and dataplanes are garbage before the next is generated.
    const points = b.values.map((x) => point(x.pods, x.policies, b.coldProbes, b.referenceSample));
    const first = points[0]!;
    const last = points[points.length - 1]!;
    sweeps.push({
      vary: 'both',
      fixed: {},
      points,
      growth:
        points.length > 1
          ? {
              from: first.pods,
              to: last.pods,
              jsBatch: round(last.nsPerVerdict.jsBatch / first.nsPerVerdict.jsBatch, 2),
              native: first.nsPerVerdict.native && last.nsPerVerdict.native ? round(last.nsPerVerdict.native / first.nsPerVerdict.native, 2) : null,
              reference: round(last.nsPerVerdict.reference / first.nsPerVerdict.reference, 2),
            }
          : null,
    });
  }
  return sweeps;
}
