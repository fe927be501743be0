/**
 * One scenario: a cluster of a given size and a trace over it. Compile and memory figures
 * first (in this process, and optionally in a fresh process for a truly cold compile), then
 * the verdict check, then every engine timed over the same trace buffers.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { CompiledDataplane, ReferenceEvaluator, type FlowBatch, type ImageStats } from '@netpol/core';
import type { ClusterShape, SyntheticCluster } from '@netpol/core/internal';
import {
  compiledBatchEngines,
  liveBatchEngines,
  scenarioEngines,
  sampleIndices,
  verifyEngines,
  round,
  type Engine,
  type EngineOptions,
  type Verification,
} from './engines.js';
import { buildLiveImage, type LiveImage, type LiveImageFigures } from './live-image.js';
import { realisticTrace, type RealisticShape } from './realistic-trace.js';
import { SIZES, benchCluster, benchTrace, flowAt, type BenchTrace, type SizeName } from './generators.js';
import { cpuNow, foreignCores, loadNow, type LoadFigures } from './machine-load.js';
import { collectGarbage, median, peakRssBytes, roundSpread, timeInterleaved, type Spread, type TimeOptions, type Timing } from './measure.js';
import type { Progress } from './progress.js';

export interface CompileFigures {
  /** Fresh `node` process, its first compile (the "cold" figure the target is about): median over the probes; null when not probed. */
  readonly coldProcessMs: number | null;
  /** Every cold probe's compile time (ms), in run order. */
  readonly coldProcessRunsMs: readonly number[];
  /** Every cold probe, in run order, with the load beside it. */
  readonly coldProbes: readonly ColdProbe[];
  /** Peak resident set of the median probe process (generation, model and compile); null when not probed. */
  readonly maxRssBytes: number | null;
  /** First compile of this cluster in the benchmark process (JIT already warm from earlier work). */
  readonly firstInProcessMs: number;
  /** Median of further compiles of the same cluster; null when none ran. */
  readonly warmMs: number | null;
  /** JS heap retained by the dataplane after a full GC (provenance for explain included). */
  readonly heapRetainedBytes: number;
  /** Heap growth measured right after compiling, before GC: a lower bound of what compile allocates. */
  readonly heapAfterCompileBytes: number;
  /** ArrayBuffer memory retained (the image). */
  readonly arrayBuffersRetainedBytes: number;
  /** heapUsed of the cold probe process after GC: model + dataplane + Node itself; null when not probed. */
  readonly processHeapUsedBytes: number | null;
  /** True when the memory figures come from the fresh process. */
  readonly memoryFromColdProcess: boolean;
  readonly imageBytes: number;
  /** Bytes a verdict can touch: every section of the image (the IPv4 path skips lpm6). */
  readonly hotTablesBytes: number;
  readonly sections: Readonly<Record<string, number>>;
  readonly stats: ImageStats;
}

export interface ClusterSize {
  readonly name: string;
  readonly pods: number;
  readonly policies: number;
  readonly namespaces: number;
  readonly nodes: number;
  readonly dualStackPods: number;
  readonly seed: number;
}

export interface EngineResult {
  readonly id: string;
  readonly kind: Engine['kind'];
  readonly label: string;
  readonly batch: number;
  /** p5, median and p95 of the per-sample rate (the engines of a scenario interleaved in rounds). */
  readonly verdictsPerSecond: Spread;
  /** 1e9 ÷ the median rate. */
  readonly nsPerVerdict: number;
  readonly samples: number;
  readonly callsPerSample: number;
  /** Median rate per round, in run order (drift across the measurement). */
  readonly roundMedians: readonly number[];
  /** Load while this engine's slices ran. */
  readonly load: LoadFigures;
  /** verdictsPerSecond.median ÷ the reference's (null when the reference was not timed). */
  readonly ratioToReference: number | null;
}

/** A trace's figures in the results: how it was made, the verdicts' shares and checksum. */
type TraceFigures = { readonly allowedShare: number; readonly checksum: string; readonly decisions: Verification['decisions'] };

export interface ScenarioResult {
  readonly id: string;
  readonly size: ClusterSize;
  /** The mixed trace (pods, externals, nodes, misses; mostly denied). */
  readonly trace: BenchTrace['shape'] & { readonly kind: 'mixed' } & TraceFigures;
  readonly compile: CompileFigures;
  readonly verification: Pick<Verification, 'referenceSample' | 'fullTraceEngines'> & { readonly ok: true };
  /** Every engine on the mixed trace (the live image's among them when measured). */
  readonly engines: readonly EngineResult[];
  /** The live image (LiveDataplane's first generation, and the generation compact() made of it); null when not measured. */
  readonly live: LiveImageFigures | null;
  /** The realistic trace (mostly allowed pod→pod traffic) and the batch engines on it, timed in the same rounds; null when not run. */
  readonly realistic: {
    readonly trace: RealisticShape & TraceFigures;
    readonly verification: Pick<Verification, 'referenceSample' | 'fullTraceEngines'> & { readonly ok: true };
    readonly engines: readonly EngineResult[];
  } | null;
}

export interface ScenarioSpec {
  readonly id: string;
  readonly size: SizeName | (ClusterShape & { readonly name: string });
  readonly family: 4 | 6;
  readonly traceCount: number;
  readonly traceSeed: number;
  /** Flows checked against the reference before timing. */
  readonly referenceSample: number;
  readonly jsBatches: readonly number[];
  readonly nativeBatches: readonly number[];
  readonly singleBatch: number;
  readonly timing: TimeOptions;
  /** Compiles in fresh processes (cold JIT, clean heap); 0 for none. */
  readonly coldProbes: number;
  readonly warmCompiles: number;
  /** The live image's batch engines (LiveDataplane's first generation and its compacted one) beside the compiled ones; absent: not measured. */
  readonly live?: { readonly jsBatches: readonly number[]; readonly nativeBatches: readonly number[] };
  /** The realistic trace beside the mixed one (see realistic-trace.ts); absent: mixed only. */
  readonly realistic?: {
    readonly traceCount: number;
    /** Allowed connections to sample (denied: a quarter). */
    readonly pool: number;
    readonly referenceSample: number;
    readonly jsBatches: readonly number[];
    readonly nativeBatches: readonly number[];
  };
  /** Self-test of the check: the single-flow engine gets one verdict wrong, so the run must abort. */
  readonly injectMismatch?: boolean;
}

export interface Prepared {
  readonly cluster: SyntheticCluster;
  readonly dp: CompiledDataplane;
  readonly ref: ReferenceEvaluator;
  readonly compile: CompileFigures;
  readonly size: ClusterSize;
}

export const shapeOf = (size: ScenarioSpec['size']): ClusterShape & { name: string } =>
  typeof size === 'string' ? { ...SIZES[size], name: size, seed: 1 } : size;

/** Generates and compiles a cluster, with its compile and memory figures. */
export function prepare(size: ScenarioSpec['size'], o: { coldProbes: number; warmCompiles: number }, progress: Progress): Prepared {
  const shape = shapeOf(size);
  progress.step(`${shape.name}: generating ${shape.pods} pods / ${shape.policies} policies`);
  const cluster = benchCluster(shape);
  progress.step(`${shape.name}: compiling`);
  collectGarbage();
  const m0 = process.memoryUsage();
  const t0 = performance.now();
  const dp = new CompiledDataplane(cluster);
  const firstInProcessMs = performance.now() - t0;
  const m1 = process.memoryUsage();
  collectGarbage();
  const m2 = process.memoryUsage();
  const warm: number[] = [];
  for (let i = 0; i < o.warmCompiles; i++) {
    const t = performance.now();
    new CompiledDataplane(cluster);
    warm.push(performance.now() - t);
  }
  const probes: (ProbeResult & { probe: ColdProbe })[] = [];
  for (let i = 0; i < o.coldProbes; i++) {
    progress.step(`${shape.name}: compiling in a fresh process (cold, ${i + 1}/${o.coldProbes})`);
    probes.push(coldCompile(shape));
  }
  // The probe with the median compile time gives the memory figures too.
  const probe = probes.length ? [...probes].sort((a, b) => a.compileMs - b.compileMs)[probes.length >> 1]! : null;
  const v = dp.kernel.views;
  const sections = Object.fromEntries(
    (['lpm4', 'lpm6', 'entries', 'portMap', 'portSets', 'egressMatrix', 'ingressMatrix'] as const).map((n) => [n, v[n].byteLength]),
  );
  const compile: CompileFigures = {
    coldProcessMs: probe ? round(probe.compileMs, 1) : null,
    coldProcessRunsMs: probes.map((p) => round(p.compileMs, 1)),
    coldProbes: probes.map((p) => p.probe),
    maxRssBytes: probe?.maxRssBytes ?? null,
    firstInProcessMs: round(firstInProcessMs, 1),
    warmMs: warm.length ? round(median(warm), 1) : null,
    heapRetainedBytes: probe?.heapRetainedBytes ?? m2.heapUsed - m0.heapUsed,
    heapAfterCompileBytes: probe?.heapAfterCompileBytes ?? m1.heapUsed - m0.heapUsed,
    arrayBuffersRetainedBytes: probe?.arrayBuffersRetainedBytes ?? m2.arrayBuffers - m0.arrayBuffers,
    processHeapUsedBytes: probe?.processHeapUsedBytes ?? null,
    memoryFromColdProcess: probe !== null,
    imageBytes: dp.image.byteLength,
    hotTablesBytes: Object.values(sections).reduce((a, b) => a + b, 0),
    sections,
    stats: dp.stats(),
  };
  progress.step(`${shape.name}: reference evaluator`);
  return { cluster, dp, ref: new ReferenceEvaluator(cluster), compile, size: clusterSize(shape, cluster) };
}

/** A generated cluster's figures for the report. */
export function clusterSize(shape: ClusterShape & { readonly name: string }, cluster: SyntheticCluster): ClusterSize {
  return {
    name: shape.name,
    pods: cluster.pods.length,
    policies: cluster.policies.length,
    namespaces: cluster.namespaces.length,
    nodes: cluster.nodes.length,
    dualStackPods: cluster.pods.filter((p) => p.ips.some((ip) => ip.family === 6)).length,
    seed: shape.seed ?? 1,
  };
}

/** The live image of a prepared cluster, built once and shared by the scenarios over it. */
const liveImages = new WeakMap<Prepared, LiveImage>();
function liveImageOf(p: Prepared, progress: Progress, id: string): LiveImage {
  let l = liveImages.get(p);
  if (!l) {
    progress.step(`${id}: building the live image (LiveDataplane of ${p.size.pods} pods, ${p.size.policies} policies) and compacting it`);
    l = buildLiveImage(p.cluster);
    liveImages.set(p, l);
  }
  return l;
}

export function runScenario(spec: ScenarioSpec, prepared: Prepared, progress: Progress): ScenarioResult {
  const { cluster, dp, ref } = prepared;
  progress.step(`${spec.id}: trace of ${spec.traceCount} IPv${spec.family} flows`);
  const trace = benchTrace(cluster, { count: spec.traceCount, seed: spec.traceSeed, family: spec.family });
  const referenceFlows = sampleIndices(trace.count, 4096).map((i) => flowAt(trace, i));
  let engines = scenarioEngines(dp, ref, trace, {
    jsBatches: spec.jsBatches,
    nativeBatches: spec.nativeBatches,
    singleBatch: spec.singleBatch,
    referenceFlows,
    referenceCallMs: 2,
  });
  const live = spec.live ? liveImageOf(prepared, progress, spec.id) : null;
  const liveEngines = (t: FlowBatch, o: Pick<EngineOptions, 'jsBatches' | 'nativeBatches'>): Engine[] =>
    live ? [...liveBatchEngines(live.dataplane, t, o), ...liveBatchEngines(live.compacted, t, o, true)] : [];
  if (spec.live) engines.push(...liveEngines(trace, spec.live));
  if (spec.injectMismatch) engines = engines.map((e) => (e.kind === 'js-single' ? withOneWrongVerdict(e, trace) : e));
  progress.step(`${spec.id}: checking verdicts (${spec.referenceSample} flows against the reference, ${trace.count} across engines)`);
  const verification = verifyEngines(spec.id, trace, ref, engines, spec.referenceSample);

  let realistic: { trace: ReturnType<typeof realisticTrace>; engines: Engine[]; verification: Verification } | null = null;
  if (spec.realistic) {
    const o = spec.realistic;
    progress.step(`${spec.id}: realistic trace of ${o.traceCount} flows (sampling ${o.pool} allowed connections with the reference)`);
    const rt = realisticTrace(cluster, ref, { count: o.traceCount, seed: spec.traceSeed, family: spec.family, pool: o.pool });
    const rEngines = [...compiledBatchEngines(dp, rt, o), ...(spec.live ? liveEngines(rt, o) : [])];
    progress.step(`${spec.id}: checking verdicts on the realistic trace (${o.referenceSample} flows against the reference)`);
    realistic = { trace: rt, engines: rEngines, verification: verifyEngines(`${spec.id} realistic`, rt, ref, rEngines, o.referenceSample) };
  }

  const all = [...engines, ...(realistic?.engines ?? [])];
  progress.step(`${spec.id}: timing ${all.length} engines, interleaved in ${spec.timing.rounds ?? 10} rounds`);
  const timings = timeInterleaved(
    all.map((e) => ({ name: `${spec.id} ${e.id}`, fn: e.timed, batch: e.batch })),
    spec.timing,
  );
  const refRate = timings[engines.findIndex((e) => e.kind === 'reference')]?.perSecond.median ?? null;
  // × reference only on the mixed trace, where the reference was timed.
  const results = all.map((e, i) => engineResult(e, timings[i]!, i < engines.length ? refRate : null));
  const checked = (v: Verification) => ({ ok: true as const, referenceSample: v.referenceSample, fullTraceEngines: v.fullTraceEngines });
  const figures = (v: Verification): TraceFigures => ({ allowedShare: v.allowedShare, checksum: v.checksum, decisions: v.decisions });
  return {
    id: spec.id,
    size: prepared.size,
    trace: { ...trace.shape, kind: 'mixed', ...figures(verification) },
    compile: prepared.compile,
    verification: checked(verification),
    engines: results.slice(0, engines.length),
    live: live ? { buildMs: live.buildMs, imageBytes: live.imageBytes, compacted: live.compaction } : null,
    realistic: realistic && {
      trace: { ...realistic.trace.shape, ...figures(realistic.verification) },
      verification: checked(realistic.verification),
      engines: results.slice(engines.length),
    },
  };
}

/** An engine's figures for the JSON. */
export const engineResult = (e: Engine, t: Timing, refRate: number | null): EngineResult => ({
  id: e.id,
  kind: e.kind,
  label: e.label,
  batch: e.batch,
  verdictsPerSecond: roundSpread(t.perSecond),
  nsPerVerdict: round(t.nsPerOp, 2),
  samples: t.samples,
  callsPerSample: t.callsPerSample,
  roundMedians: t.roundMedians.map((x) => Math.round(x)),
  load: t.load,
  ratioToReference: refRate ? round(t.perSecond.median / refRate, 1) : null,
});

/** The engine, except that the verdict of the trace's middle flow has its allowed bit flipped. */
function withOneWrongVerdict(e: Engine, trace: BenchTrace): Engine {
  const victim = trace.count >> 1;
  const w = trace.family ? 4 : 1;
  return {
    ...e,
    fill: (b, out) => {
      e.fill!(b, out);
      // b is a view into the trace: find the victim by its offset in the shared buffer.
      const at = (b.src.byteOffset - trace.src.byteOffset) / 4 / w;
      if (victim >= at && victim < at + b.count) out[victim - at] = out[victim - at]! ^ 1;
    },
  };
}

// ---- cold compile in a fresh process ----

/** What a probe process reports (main.ts --probe-compile). */
interface ProbeResult {
  readonly compileMs: number;
  /** CPU time of the whole probe process (every thread: V8 compiles and collects in the background) during the compile. */
  readonly compileCpuMs: number;
  /** CPU time of the probe process over its life (generation and compile), for the load figure. */
  readonly processCpuMs: number;
  readonly heapRetainedBytes: number;
  readonly heapAfterCompileBytes: number;
  readonly arrayBuffersRetainedBytes: number;
  readonly processHeapUsedBytes: number;
  /** Resident set after the compile and the probe's peak (generation, model and compile together). */
  readonly rssBytes: number;
  readonly maxRssBytes: number;
}

/** One cold probe as the results record it. */
export interface ColdProbe {
  readonly ms: number;
  /** CPU ms the probe process spent compiling, all threads: ms × cores it kept busy. */
  readonly cpuMs: number;
  /** 1-minute load average when the probe started. */
  readonly load: number;
  /** Cores other processes kept busy while the probe ran (null off Linux). */
  readonly foreignCores: number | null;
  readonly maxRssBytes: number;
}

const MAIN = fileURLToPath(new URL('./main.js', import.meta.url));

/** The shape's fields a probe needs to regenerate the same cluster. */
const probeShape = (shape: ClusterShape): ClusterShape => ({
  pods: shape.pods,
  policies: shape.policies,
  seed: shape.seed ?? 1,
  ...(shape.dualStack !== undefined && { dualStack: shape.dualStack }),
  ...(shape.clusterPolicies !== undefined && { clusterPolicies: shape.clusterPolicies }),
});

function coldCompile(shape: ClusterShape): ProbeResult & { probe: ColdProbe } {
  const load = loadNow();
  const before = cpuNow();
  const out = execFileSync(process.execPath, ['--expose-gc', MAIN, '--probe-compile', JSON.stringify(probeShape(shape))], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const after = cpuNow();
  const r = JSON.parse(out.trim().split('\n').pop()!) as ProbeResult;
  // The probe's own CPU time is not "other processes": count it as ours.
  const fc = foreignCores(before, { ...after, own: after.own + r.processCpuMs / 1000 });
  return { ...r, probe: { ms: round(r.compileMs, 1), cpuMs: round(r.compileCpuMs, 1), load, foreignCores: fc, maxRssBytes: r.maxRssBytes } };
}

/** The probe's side (main.ts --probe-compile): one cold compile, memory and CPU time around it. */
export function probeCompile(shape: ClusterShape): ProbeResult {
  const cluster = benchCluster(shape);
  collectGarbage();
  collectGarbage();
  const m0 = process.memoryUsage();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const dp = new CompiledDataplane(cluster);
  const compileMs = performance.now() - t0;
  const c1 = process.cpuUsage(c0);
  const m1 = process.memoryUsage();
  collectGarbage();
  collectGarbage();
  const m2 = process.memoryUsage();
  if (dp.image.byteLength === 0) throw new Error('empty image');
  const life = process.cpuUsage();
  return {
    compileMs,
    compileCpuMs: (c1.user + c1.system) / 1000,
    processCpuMs: (life.user + life.system) / 1000,
    heapRetainedBytes: m2.heapUsed - m0.heapUsed,
    heapAfterCompileBytes: m1.heapUsed - m0.heapUsed,
    arrayBuffersRetainedBytes: m2.arrayBuffers - m0.arrayBuffers,
    processHeapUsedBytes: m2.heapUsed,
    rssBytes: m1.rss,
    maxRssBytes: peakRssBytes(),
  };
}
