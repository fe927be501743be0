/**
 * The `connlist` part: full connectivity maps (`connectivity()` read to its end: what `netpol
 * connlist` prints) of the synthetic clusters with their pods grouped into workloads, at
 * workload level and pod level, beside the pod-to-pod `matrix` of one port where that fits in
 * memory; and the `diff` of two L clusters that differ by a change set of a few policies.
 *
 * A map is timed from the loaded cluster (compile included) to its last connection, in CPU time
 * (what one core spends; the wall clock beside it), median of a few runs (each run takes seconds
 * at L: no batching, no interleaving).
 * Targets (issue 15): the workload-level map of L (10k pods as about 2k workloads, 1k policies)
 * in ≤ 2 s; the change-set diff of two L clusters in ≤ 5 s. Timing never fails a run.
 */
import { connectivity, connectivityMatrix, CompiledDataplane, diffClusters, parsePortSpec, type Cluster, type NetworkPolicy } from '@netpol/core';
import { SIZES, syntheticCluster } from '@netpol/core/internal';
import { formatTable } from './format.js';
import { collectGarbage, median } from './measure.js';
import type { Progress } from './progress.js';
import { check, type TargetCheck } from './target-check.js';

type SizeName = keyof typeof SIZES;

/** One map to time. */
export interface ConnlistSpec {
  readonly size: SizeName;
  readonly level: 'workload' | 'pod';
  /** 'pods': a running cluster's dump (pods with addresses, grouped by owner); 'manifests': workloads only, no address. */
  readonly variant: 'pods' | 'manifests';
  readonly runs: number;
  /** Also time the pod-to-pod matrix of TCP/80 (pods² cells: S and M only). */
  readonly matrix: boolean;
}

/** The timed runs of one task (a map: connectivity() to its last connection; a diff: both maps built and compared). */
export interface RunTimes {
  /** Wall-clock ms: every run, the best and the median. */
  readonly runsMs: readonly number[];
  readonly bestMs: number;
  readonly medianMs: number;
  /** The same runs' CPU time (user + system, ms): what one core spends, whatever else the machine runs. */
  readonly cpuRunsMs: readonly number[];
  readonly medianCpuMs: number;
}

/** A timed full connectivity map. */
export interface ConnlistResult extends RunTimes {
  readonly id: string;
  readonly size: SizeName;
  readonly level: 'workload' | 'pod';
  readonly variant: 'pods' | 'manifests';
  readonly pods: number;
  readonly workloads: number;
  readonly policies: number;
  /** In-cluster endpoints and external blocks of the map. */
  readonly endpoints: number;
  readonly externals: number;
  /** Ordered pairs the map decides (in-cluster pairs without self pairs, plus each endpoint with each external block) and the non-empty ones listed. */
  readonly pairs: number;
  readonly connections: number;
  /** pairs ÷ median CPU time. */
  readonly pairsPerSecond: number;
  /** The pod-to-pod matrix of one port over the same cluster (CompiledDataplane + connectivityMatrix), CPU ms; null when not timed. */
  readonly matrixMs: number | null;
  readonly warnings: number;
}

/** The timed change-set diff of two clusters. */
export interface DiffBenchResult extends RunTimes {
  readonly id: string;
  readonly size: SizeName;
  readonly level: 'workload';
  readonly changeSet: string;
  readonly changes: number;
}

/** Options of the connlist part. */
export interface ConnlistOptions {
  readonly maps: readonly ConnlistSpec[];
  /** Sizes to diff (two clusters of that size differing by a change set), runs each. */
  readonly diffs: readonly { readonly size: SizeName; readonly runs: number }[];
}

/** The maps and diffs of a full run and of a quick one (CI's smoke run: seconds). */
export function connlistOptions(quick: boolean, xl: boolean): ConnlistOptions {
  if (quick) {
    return {
      maps: [
        { size: 'S', level: 'workload', variant: 'pods', runs: 3, matrix: true },
        { size: 'S', level: 'pod', variant: 'pods', runs: 3, matrix: false },
        { size: 'M', level: 'workload', variant: 'pods', runs: 1, matrix: false },
        { size: 'M', level: 'workload', variant: 'manifests', runs: 1, matrix: false },
      ],
      diffs: [{ size: 'M', runs: 1 }],
    };
  }
  const sizes: SizeName[] = xl ? ['S', 'M', 'L', 'XL'] : ['S', 'M', 'L'];
  return {
    maps: sizes.flatMap((size): ConnlistSpec[] => {
      const runs = size === 'XL' ? 1 : 3;
      const matrix = size === 'S' || size === 'M';
      return [
        { size, level: 'workload', variant: 'pods', runs, matrix },
        // XL's workload map alone takes about a minute of CPU (no signature table past 2^24 signature pairs): no more maps of it.
        ...(size === 'XL'
          ? []
          : [
              { size, level: 'workload' as const, variant: 'manifests' as const, runs, matrix: false },
              { size, level: 'pod' as const, variant: 'pods' as const, runs: size === 'L' ? 1 : runs, matrix: false },
            ]),
      ];
    }),
    diffs: [{ size: 'L', runs: 3 }],
  };
}

/** The synthetic cluster of a size as a running cluster's dump or as manifests, seed 1. */
export function workloadCluster(size: SizeName, variant: 'pods' | 'manifests'): Cluster {
  return syntheticCluster({ ...SIZES[size], workloads: variant, seed: 1 });
}

/**
 * Wall-clock and CPU time of one call, ms. On a shared machine the wall clock counts other
 * processes' turns; the CPU time (user + system of this process: the JS thread, plus V8's GC
 * helper threads, so a little more than one core's share) is what the work costs one core.
 */
function timed(fn: () => void): { wall: number; cpu: number } {
  collectGarbage();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  fn();
  const wall = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { wall, cpu: (c.user + c.system) / 1000 };
}

/** The run figures of timed calls: wall-clock runs, best and median, and the CPU runs and median. */
function figuresOf(runs: readonly { wall: number; cpu: number }[]): RunTimes {
  const wall = runs.map((r) => r.wall);
  const cpu = runs.map((r) => r.cpu);
  return {
    runsMs: wall.map(round1),
    bestMs: round1(Math.min(...wall)),
    medianMs: round1(median(wall)),
    cpuRunsMs: cpu.map(round1),
    medianCpuMs: round1(median(cpu)),
  };
}

/** Reads a map to its end: the figures a full `netpol connlist` computes. */
function fullMap(cluster: Cluster, level: 'workload' | 'pod'): { endpoints: number; externals: number; connections: number; warnings: number } {
  const report = connectivity(cluster, { level });
  let connections = 0;
  for (const _ of report.connections()) connections++;
  const externals = report.endpoints.filter((e) => e.kind === 'external').length;
  return { endpoints: report.endpoints.length - externals, externals, connections, warnings: report.warnings.length };
}

export function runConnlistMap(spec: ConnlistSpec, progress?: Progress): ConnlistResult {
  const id = `${spec.size}-${spec.level}${spec.variant === 'manifests' ? '-manifests' : ''}`;
  progress?.phase(`connlist ${id}`);
  const cluster = workloadCluster(spec.size, spec.variant);
  let figures = fullMap(cluster, spec.level);
  const runs: { wall: number; cpu: number }[] = [];
  for (let i = 0; i < spec.runs; i++) runs.push(timed(() => (figures = fullMap(cluster, spec.level))));
  const pairs = figures.endpoints * (figures.endpoints - 1) + figures.endpoints * figures.externals;
  const times = figuresOf(runs);
  let matrixMs: number | null = null;
  if (spec.matrix) {
    const port = parsePortSpec('TCP/80')!;
    matrixMs = timed(() => void connectivityMatrix(new CompiledDataplane(cluster), [port])).cpu;
  }
  return {
    id,
    size: spec.size,
    level: spec.level,
    variant: spec.variant,
    pods: cluster.pods.length,
    workloads: cluster.workloads?.length ?? 0,
    policies: cluster.policies.length,
    ...figures,
    pairs,
    ...times,
    pairsPerSecond: Math.round(pairs / (times.medianCpuMs / 1000)),
    matrixMs: matrixMs === null ? null : round1(matrixMs),
  };
}

const round1 = (x: number): number => Math.round(x * 10) / 10;

/**
 * A change set of a few policies, as a pull request makes one: two policies removed, one
 * port of another changed, and one new policy letting a workload's tier in on a new port.
 * Deterministic; `cluster` is not modified.
 */
export function changeSet(cluster: Cluster): { cluster: Cluster; description: string } {
  const allows = cluster.policies.map((p, i) => ({ p, i })).filter(({ p }) => p.name.startsWith('allow-') && p.ingress.some((r) => r.ports.length > 0));
  if (allows.length < 4) throw new Error('changeSet: the cluster has too few allow policies');
  const removed = new Set([allows[1]!.i, allows[Math.floor(allows.length / 2)]!.i]);
  const changedAt = allows[allows.length - 1]!.i;
  const template = allows[0]!.p;
  const policies: NetworkPolicy[] = [];
  cluster.policies.forEach((p, i) => {
    if (removed.has(i)) return;
    if (i !== changedAt) return void policies.push(p);
    // The first port of the first ingress rule with ports, moved (a service changed its port).
    const k = p.ingress.findIndex((r) => r.ports.length > 0);
    policies.push({ ...p, ingress: p.ingress.map((r, j) => (j !== k ? r : { ...r, ports: [{ protocol: 'TCP', port: 8443 }, ...r.ports.slice(1)] })) });
  });
  policies.push({
    ...template,
    name: 'allow-change-set-new',
    ingress: [
      { peers: [{ kind: 'selector', podSelector: { matchLabels: { tier: 'worker' }, matchExpressions: [] } }], ports: [{ protocol: 'TCP', port: 7777 }] },
    ],
  });
  return { cluster: { ...cluster, policies }, description: '2 policies removed, 1 port changed, 1 policy added' };
}

export function runDiff(size: SizeName, runs: number, progress?: Progress): DiffBenchResult {
  progress?.phase(`diff ${size}`);
  const a = workloadCluster(size, 'pods');
  const { cluster: b, description } = changeSet(a);
  const once = (): number => diffClusters(a, b).changes.length;
  let changes = once();
  const timings: { wall: number; cpu: number }[] = [];
  for (let i = 0; i < runs; i++) timings.push(timed(() => (changes = once())));
  if (changes === 0) throw new Error(`diff ${size}: the change set changed no connection`);
  return {
    id: `${size}-diff`,
    size,
    level: 'workload',
    changeSet: description,
    changes,
    ...figuresOf(timings),
  };
}

/** The connlist part's results (results.json `connlist`). */
export interface ConnlistBenchResult {
  readonly maps: readonly ConnlistResult[];
  readonly diffs: readonly DiffBenchResult[];
}

/** The connlist part: every map, then every diff. */
export function runConnlist(o: ConnlistOptions, progress?: Progress): ConnlistBenchResult {
  return { maps: o.maps.map((m) => runConnlistMap(m, progress)), diffs: o.diffs.map((d) => runDiff(d.size, d.runs, progress)) };
}

const fmtMs = (ms: number): string => (ms >= 100 ? ms.toFixed(0) : ms.toFixed(1));
const fmtCount = (n: number): string => n.toLocaleString('en-US');

/** The connlist section of the text report. */
export function renderConnlist(r: ConnlistBenchResult): string {
  const out = [
    'Connectivity maps: connectivity() read to its last connection (compile included), single-threaded; cpu ms: median CPU time of the runs; wall ms: median (best) wall clock',
    formatTable(
      ['map', 'pods', 'workloads', 'endpoints', 'externals', 'pairs', 'connections', 'cpu ms', 'wall ms', 'best', 'M pairs/s', 'matrix TCP/80 cpu ms'],
      r.maps.map((m) => [
        m.id,
        fmtCount(m.pods),
        fmtCount(m.workloads),
        fmtCount(m.endpoints),
        fmtCount(m.externals),
        fmtCount(m.pairs),
        fmtCount(m.connections),
        fmtMs(m.medianCpuMs),
        fmtMs(m.medianMs),
        fmtMs(m.bestMs),
        (m.pairsPerSecond / 1e6).toFixed(2),
        m.matrixMs === null ? '–' : fmtMs(m.matrixMs),
      ]),
    ),
  ];
  if (r.diffs.length > 0) {
    out.push(
      '',
      'Diff: two clusters differing by a change set, both maps computed and compared (workload level)',
      formatTable(
        ['diff', 'change set', 'changes', 'cpu ms', 'wall ms', 'best'],
        r.diffs.map((d) => [d.id, d.changeSet, fmtCount(d.changes), fmtMs(d.medianCpuMs), fmtMs(d.medianMs), fmtMs(d.bestMs)]),
      ),
    );
  }
  return out.join('\n');
}

/** The issue-15 targets on the L results (not measured when the run has no L). */
export function connlistTargets(r: ConnlistBenchResult | null | undefined): TargetCheck[] {
  const seconds = (ms: number | undefined): number | undefined => (ms === undefined ? undefined : Math.round(ms / 10) / 100);
  // CPU time: the targets are per core, and the wall clock of a shared machine counts other processes too.
  const map = seconds(r?.maps.find((m) => m.id === 'L-workload')?.medianCpuMs);
  const diff = seconds(r?.diffs.find((d) => d.id === 'L-diff')?.medianCpuMs);
  return [
    check(
      'connlist-L',
      'full workload-level connlist, L cluster (10k pods as ~2k workloads, 1k policies), one core',
      '≤ 2 s',
      's',
      map,
      (x) => x <= 2,
      2,
      false,
      'not measured: no L map in this run',
    ),
    check('diff-L', 'change-set diff of two L clusters, one core', '≤ 5 s', 's', diff, (x) => x <= 5, 5, false, 'not measured: no L diff in this run'),
  ];
}
