/**
 * Scaling sweeps: policies at a fixed pod count, pods at a fixed policy count. Per point:
 * compile time, heap, image bytes, and the cost of a verdict (JS batch, native batch when
 * loaded, and the reference evaluator for contrast), each point checked against the
 * reference first.
 */
import { nativeUsable, round, sampleIndices, scenarioEngines, verifyEngines } from './engines.js';
import { benchTrace, flowAt } from './generators.js';
import { timeBatch, type TimeOptions } from './measure.js';
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
  readonly imageBytes: number;
  readonly identities: number;
  readonly egressRows: number;
  readonly ingressRows: number;
  readonly portClasses: number;
  /** Median ns per verdict, by engine kind; null when the engine did not run. */
  readonly nsPerVerdict: { readonly jsBatch: number; readonly native: number | null; readonly reference: number };
  readonly verdictsPerSecond: { readonly jsBatch: number; readonly native: number | null; readonly reference: number };
  readonly checksum: string;
}

export interface ScalingSweep {
  /** What varies ('policies' or 'pods') and what is held. */
  readonly vary: 'policies' | 'pods';
  readonly fixed: { readonly pods?: number; readonly policies?: number };
  readonly points: readonly ScalingPoint[];
  /** Cost of a JS batch verdict at the last point ÷ at the reference point (growth). */
  readonly growth: { readonly from: number; readonly to: number; readonly jsBatch: number; readonly native: number | null; readonly reference: number } | null;
}

export interface ScalingOptions {
  readonly policies: { readonly values: readonly number[]; readonly pods: number; readonly growthFrom: number };
  readonly pods: { readonly values: readonly number[]; readonly policies: number; readonly growthFrom: number };
  readonly traceCount: number;
  /** Fresh-process compiles per point (clean heap figures); 0 measures in-process only. */
  readonly coldProbes: number;
  readonly referenceSample: number;
  readonly batch: number;
  readonly timing: TimeOptions;
}

export function runScaling(o: ScalingOptions, progress: Progress): ScalingSweep[] {
  const cache = new Map<string, ScalingPoint>();
  const point = (pods: number, policies: number): ScalingPoint => {
    const key = `${pods}/${policies}`;
    const hit = cache.get(key);
    if (hit) return hit;
    const name = `${pods} pods / ${policies} policies`;
    const p: Prepared = prepare({ name, pods, policies, seed: 1 }, { coldProbes: o.coldProbes, warmCompiles: 0 }, progress);
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
    const v = verifyEngines(name, trace, p.ref, engines, o.referenceSample);
    const rate = (kind: string): { ns: number; perSecond: number } | null => {
      const e = engines.find((x) => x.kind === kind);
      if (!e) return null;
      progress.step(`${name}: timing ${e.label}`);
      const t = timeBatch(`${key} ${e.id}`, e.timed, e.batch, o.timing);
      return { ns: round(t.nsPerOp, 2), perSecond: Math.round(t.perSecond.median) };
    };
    const js = rate('js-batch')!;
    const native = rate('native-batch');
    const ref = rate('reference')!;
    const s = p.compile.stats;
    const result: ScalingPoint = {
      pods: p.size.pods,
      policies: p.size.policies,
      compileMs: p.compile.firstInProcessMs,
      coldCompileMs: p.compile.coldProcessMs,
      heapRetainedBytes: p.compile.heapRetainedBytes,
      imageBytes: p.compile.imageBytes,
      identities: s.identities,
      egressRows: s.egress.rows,
      ingressRows: s.ingress.rows,
      portClasses: s.portClasses,
      nsPerVerdict: { jsBatch: js.ns, native: native?.ns ?? null, reference: ref.ns },
      verdictsPerSecond: { jsBatch: js.perSecond, native: native?.perSecond ?? null, reference: ref.perSecond },
      checksum: v.checksum,
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
  return [sweep('policies'), sweep('pods')];
}
