/**
 * The `updates` part: how fast LiveDataplane follows changes, and whether it stays right.
 *
 * Per cluster: the initial build (objects in, first generation out); then, per kind of
 * change (pod add, remove, relabel, namespace labels, policy add and remove), the latency of
 * `apply()` for one object, from the call to its return, when the change is visible to
 * verdicts; after every k-th change, flows around the changed object are judged by the
 * published generation and by the reference evaluator over the same objects. Then a full
 * compile of the resulting objects, for comparison (what every change costs without
 * incremental updates); verdict throughput while pod updates stream in; last, the live
 * generation against a fresh compile of the final objects. Works with any strategy behind
 * LiveDataplane (full recompile or incremental): op counts and a time budget per kind bound
 * the run either way.
 */
import { CompiledDataplane, LiveDataplane, type Change, type Cluster, type NetworkPolicy } from '@netpol/core';
import { clusterObjects, Random, syntheticCluster } from '@netpol/core/internal';
import { round } from './engines.js';
import { benchCluster, benchTrace } from './generators.js';
import { ControllerLoad } from './controller-load.js';
import { LoadTracker, type LoadFigures } from './machine-load.js';
import { collectGarbage, median, percentile } from './measure.js';
import { Progress } from './progress.js';
import { clusterSize, shapeOf, type ClusterSize, type ScenarioSpec } from './scenario.js';
import { checkFinal, checkFlows, flowsAround } from './update-check.js';
import { ClusterModel, roundTrip } from './update-model.js';
import { rawObject } from './update-objects.js';
import { OP_KINDS, OP_LABELS, UpdatePlanner, type OpKind, type Planned } from './update-ops.js';
import { runStream, type StreamResult, type StreamSpec } from './update-stream.js';

export { OP_KINDS, type OpKind } from './update-ops.js';
export type { StreamResult, StreamSpec } from './update-stream.js';

const POD_KINDS: ReadonlySet<OpKind> = new Set(['pod-add', 'pod-add-new-labels', 'pod-remove', 'pod-relabel', 'pod-relabel-new-labels']);

export interface UpdatesSpec {
  readonly id: string;
  readonly size: ScenarioSpec['size'];
  /** Recorded changes per pod kind (add, remove, relabel). */
  readonly podOps: number;
  /** Recorded changes per namespace and policy kind. */
  readonly otherOps: number;
  /** Changes applied before recording each kind (JIT warm-up). */
  readonly warmupOps: number;
  /** Per kind, stop recording past this many ms once `minOps` are recorded (a slow strategy stays bounded). */
  readonly budgetMsPerKind: number;
  readonly minOps: number;
  /** Check flows after every k-th recorded change of each kind, the first one included. */
  readonly checkEvery: number;
  /** Flows per address the change concerns (a pod's, or a few selected pods'). */
  readonly flowsPerSubject: number;
  /** Full compiles of the objects (after the changes) timed for comparison. */
  readonly recompiles: number;
  readonly kinds?: readonly OpKind[];
  readonly stream: StreamSpec & { readonly traceCount: number };
  /** Flows of the end-state check against a fresh compile, and of those, checked against the reference. */
  readonly finalTraceCount: number;
  readonly referenceSample: number;
  readonly traceSeed: number;
  /** Seed of the changes. */
  readonly seed: number;
  /** A second run of `kinds` (opsShare of the ops each) with a controller-like allocation load (controller-load.ts) between the applies; absent: none. */
  readonly controllerLoad?: { readonly kinds: readonly OpKind[]; readonly eventsPerApply: number; readonly opsShare: number };
  /** Self-test: the first check expects a wrong verdict, so the run must abort. */
  readonly injectMismatch?: boolean;
}

export interface OpLatency {
  readonly kind: OpKind;
  readonly label: string;
  /** Recorded changes (fewer than asked when the kind's time budget ran out). */
  readonly ops: number;
  readonly warmup: number;
  /** apply() latency, µs: nearest-rank percentiles. */
  readonly us: { readonly p50: number; readonly p99: number; readonly max: number; readonly mean: number };
  readonly checks: number;
  readonly checkedFlows: number;
  /** Recorded changes the dataplane applied by recompiling everything (`strategy: 'rebuild'`; a full-recompile LiveDataplane reports none). */
  readonly rebuilds: number;
  /** The machine's load over the recorded changes. */
  readonly load: LoadFigures;
}

export interface UpdatesResult {
  readonly id: string;
  readonly size: ClusterSize;
  readonly objects: number;
  /** new LiveDataplane(objects): validation and the first generation. */
  readonly initialBuildMs: number;
  /** new CompiledDataplane(cluster) on the objects after the changes: what any change would cost without incremental updates. */
  readonly fullRecompileMs: { readonly median: number; readonly min: number; readonly runs: readonly number[] };
  /** Steady state: changes back to back, no forced GC, checks after each kind's run. */
  readonly ops: readonly OpLatency[];
  /** The same kinds (a subset) with a controller-like allocation load between the applies; null when not run. */
  readonly loaded: {
    readonly eventsPerApply: number;
    readonly cachedObjects: number;
    /** JSON decoded between two applies, bytes (about what the load allocates). */
    readonly decodedBytesPerApply: number;
    readonly ops: readonly OpLatency[];
  } | null;
  readonly stream: readonly StreamResult[];
  /** Generations published by the run. */
  readonly generations: number;
  readonly verification: {
    readonly ok: true;
    readonly checks: number;
    readonly flows: number;
    readonly finalTraceFlows: number;
    readonly referenceSample: number;
  };
}

export type UpdatesOverrides = Omit<Partial<UpdatesSpec>, 'stream'> & { readonly stream?: Partial<UpdatesSpec['stream']> };

/** The defaults: `quick` for a smoke run (seconds at M today), otherwise the full figures. */
export function updatesSpec(id: string, size: ScenarioSpec['size'], quick: boolean, over: UpdatesOverrides = {}): UpdatesSpec {
  const common = { id, size, checkEvery: 10, flowsPerSubject: 8, traceSeed: 7, seed: 11 };
  const base: UpdatesSpec = quick
    ? {
        ...common,
        podOps: 50,
        otherOps: 10,
        warmupOps: 2,
        budgetMsPerKind: 1000,
        minOps: 3,
        recompiles: 3,
        stream: { batch: 4096, durationMs: 300, batchesPerUpdate: [0, 100, 10], minUpdates: 3, rounds: 2, traceCount: 1 << 16 },
        controllerLoad: { kinds: ['pod-add', 'policy-add'], eventsPerApply: 20, opsShare: 1 },
        finalTraceCount: 1 << 14,
        referenceSample: 500,
      }
    : {
        ...common,
        podOps: 1000,
        otherOps: 200,
        warmupOps: 5,
        budgetMsPerKind: 10_000,
        minOps: 5,
        recompiles: 5,
        stream: { batch: 4096, durationMs: 1000, batchesPerUpdate: [0, 1000, 100, 10], minUpdates: 3, rounds: 4, traceCount: 1 << 18 },
        controllerLoad: { kinds: ['pod-add', 'pod-remove', 'pod-relabel', 'policy-add', 'policy-remove'], eventsPerApply: 20, opsShare: 0.5 },
        finalTraceCount: 1 << 16,
        referenceSample: 2000,
      };
  return { ...base, ...over, stream: { ...base.stream, ...over.stream } };
}

export function runUpdates(specs: readonly UpdatesSpec[], progress: Progress = new Progress(process.stderr, false)): UpdatesResult[] {
  return specs.map((s) => {
    progress.phase(`updates ${s.id}`);
    return runOne(s, progress);
  });
}

function runOne(spec: UpdatesSpec, progress: Progress): UpdatesResult {
  const shape = shapeOf(spec.size);
  progress.step(`${spec.id}: generating ${shape.pods} pods / ${shape.policies} policies`);
  const generated = benchCluster(shape);
  const objects = clusterObjects(generated);
  const loaded = roundTrip(generated, objects);
  const raws = objects.map((o, i) => rawObject(o, i));

  progress.step(`${spec.id}: initial build`);
  collectGarbage(); // once, before the initial build: the changes that follow run on whatever heap it leaves
  const t0 = performance.now();
  const live = new LiveDataplane(raws);
  const initialBuildMs = performance.now() - t0;
  const gen0 = live.generation;

  const model = new ClusterModel(loaded);
  const kinds = spec.kinds ?? OP_KINDS;
  const planner = new UpdatePlanner(model, extraPolicies(shape, generated.policies, kinds.includes('policy-add') ? policyAdds(spec) : 0), spec.seed);
  const r = new Random(spec.seed + 1);
  let rebuilds = 0;
  /** Applies one planned change to the dataplane (timed) and to the model; returns µs. */
  const apply = (p: Planned): number => {
    // As a watch delivers it: decoded from JSON (plain objects, no shared structure with the
    // planner's), before the clock starts. Objects built with spreads cost a validator about
    // twice as much to read, which is no controller's case.
    const change = asDecoded(p.change);
    const t = performance.now();
    const res = live.apply([change]);
    const us = (performance.now() - t) * 1000;
    if (!res.applied) throw new Error(`updates ${spec.id}: ${p.kind} ${p.what} was rejected: ${res.issues.map((i) => i.message).join('; ')}`);
    if (res.strategy === 'rebuild') rebuilds++;
    model.apply(p.change);
    return us;
  };

  let corrupt = spec.injectMismatch === true;
  let checks = 0;
  let checkedFlows = 0;
  /**
   * One kind of change in steady state: warm-up changes, then the recorded ones back to back,
   * nothing between two applies but the model's bookkeeping and (when given) the controller
   * load's tick; no forced GC. The flows around every k-th recorded change are checked after
   * the kind's run, on the generation it ends with, so the checks' allocations and cache
   * misses stay out of the timed applies.
   */
  const recordKind = (kind: OpKind, want: number, controller: ControllerLoad | null): OpLatency => {
    for (let i = 0; i < spec.warmupOps; i++) {
      controller?.tick();
      apply(planner.plan(kind));
    }
    const us: number[] = [];
    const checkSubjects: { subjects: Planned['subjects']; what: string; at: number }[] = [];
    rebuilds = 0;
    const load = new LoadTracker();
    load.start();
    const start = performance.now();
    while (us.length < want && (us.length < spec.minOps || performance.now() - start < spec.budgetMsPerKind)) {
      const p = planner.plan(kind);
      controller?.tick();
      us.push(apply(p));
      if ((us.length - 1) % spec.checkEvery === 0) checkSubjects.push({ subjects: p.subjects, what: p.what, at: us.length - 1 });
    }
    load.stop();
    let kindFlows = 0;
    for (const c of checkSubjects) {
      const flows = flowsAround(model, c.subjects, spec.flowsPerSubject, r);
      checkFlows(`updates ${spec.id}: after ${kind} #${c.at} (${c.what}; checked at the end of the run)`, live.current, model, flows, corrupt);
      if (flows.length > 0) corrupt = false; // planted on the first check that has a flow
      kindFlows += flows.length;
    }
    checks += checkSubjects.length;
    checkedFlows += kindFlows;
    return { ...latency(kind, us, spec.warmupOps, checkSubjects.length, kindFlows), rebuilds, load: load.figures() };
  };

  const ops: OpLatency[] = [];
  for (const kind of kinds) {
    const want = POD_KINDS.has(kind) ? spec.podOps : spec.otherOps;
    progress.step(`${spec.id}: ${OP_LABELS[kind]} × ${want}`);
    ops.push(recordKind(kind, want, null));
  }
  let underLoad: UpdatesResult['loaded'] = null;
  if (spec.controllerLoad) {
    const cl = spec.controllerLoad;
    const controller = new ControllerLoad(objects, { eventsPerTick: cl.eventsPerApply, cachedObjects: objects.length, seed: spec.seed + 2 });
    const loadedOps: OpLatency[] = [];
    for (const kind of cl.kinds.filter((k) => kinds.includes(k))) {
      const want = Math.max(1, Math.round((POD_KINDS.has(kind) ? spec.podOps : spec.otherOps) * cl.opsShare));
      progress.step(`${spec.id}: ${OP_LABELS[kind]} × ${want} under a controller-like allocation load`);
      loadedOps.push(recordKind(kind, want, controller));
    }
    underLoad = {
      eventsPerApply: cl.eventsPerApply,
      cachedObjects: objects.length,
      decodedBytesPerApply: controller.events ? Math.round((controller.decodedBytes / controller.events) * cl.eventsPerApply) : 0,
      ops: loadedOps,
    };
  }

  progress.step(`${spec.id}: full recompiles`);
  const runs = recompiles(model.cluster(), spec.recompiles);

  progress.step(`${spec.id}: verdicts while pods change`);
  const trace = benchTrace(generated, { count: Math.max(spec.stream.traceCount, spec.finalTraceCount), seed: spec.traceSeed });
  const cycle: OpKind[] = ['pod-add', 'pod-relabel', 'pod-remove'];
  let c = 0;
  const stream = runStream(
    spec.stream,
    trace,
    () => live.current,
    () => apply(planner.plan(cycle[c++ % cycle.length]!)),
  );

  progress.step(`${spec.id}: end state against a fresh compile`);
  const final = checkFinal(`updates ${spec.id}`, live.current, model, { ...trace, count: spec.finalTraceCount }, spec.referenceSample);
  return {
    id: spec.id,
    size: clusterSize(shape, generated),
    objects: objects.length,
    initialBuildMs: round(initialBuildMs, 1),
    fullRecompileMs: { median: round(median(runs), 1), min: round(Math.min(...runs), 1), runs: runs.map((x) => round(x, 1)) },
    ops,
    loaded: underLoad,
    stream,
    generations: live.generation - gen0,
    verification: { ok: true, checks, flows: checkedFlows, finalTraceFlows: final.flows, referenceSample: final.referenceSample },
  };
}

/** Policies the run adds: the steady run's and the loaded run's, warm-ups included. */
function policyAdds(spec: UpdatesSpec): number {
  const loaded = spec.controllerLoad?.kinds.includes('policy-add') ? Math.max(1, Math.round(spec.otherOps * spec.controllerLoad.opsShare)) + spec.warmupOps : 0;
  return spec.otherOps + spec.warmupOps + loaded;
}

/** Full compiles of the cluster (after the changes: JIT as warm as for them), ms. */
function recompiles(cluster: Cluster, n: number): number[] {
  const runs: number[] = [];
  for (let i = 0; i < n; i++) {
    collectGarbage();
    const t = performance.now();
    new CompiledDataplane(cluster);
    runs.push(performance.now() - t);
  }
  return runs;
}

function latency(kind: OpKind, us: number[], warmup: number, checks: number, checkedFlows: number): Omit<OpLatency, 'rebuilds' | 'load'> {
  const s = [...us].sort((a, b) => a - b);
  return {
    kind,
    label: OP_LABELS[kind],
    ops: s.length,
    warmup,
    us: {
      p50: round(percentile(s, 0.5), 1),
      p99: round(percentile(s, 0.99), 1),
      max: round(s[s.length - 1] ?? NaN, 1),
      mean: round(s.reduce((a, b) => a + b, 0) / s.length, 1),
    },
    checks,
    checkedFlows,
  };
}

/**
 * The policies the generator makes past the cluster's own (same seed, a larger count: its
 * first policies are the cluster's), so that an added policy is like the others.
 */
function extraPolicies(shape: ReturnType<typeof shapeOf>, existing: readonly NetworkPolicy[], n: number): NetworkPolicy[] {
  if (n === 0) return [];
  const more = syntheticCluster({ pods: shape.pods, policies: existing.length + n, dualStack: shape.dualStack, seed: shape.seed }).policies;
  if (more.slice(0, existing.length).some((p, i) => p.name !== existing[i]!.name || p.namespace !== existing[i]!.namespace)) {
    throw new Error('the generator does not extend its policy list deterministically');
  }
  return more.slice(existing.length);
}

/** A change's object as a watch stream delivers it: decoded from JSON text (deletes as they are). */
function asDecoded(change: Change): Change {
  return change.op === 'apply' ? { op: 'apply', object: JSON.parse(JSON.stringify(change.object)) as unknown } : change;
}
