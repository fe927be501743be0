/**
 * The results file (`results/latest.json`): its schema, documented in ../README.md, and the
 * target checks computed from it. Bump SCHEMA_VERSION on any incompatible change.
 */
import type { ConnlistBenchResult } from './connlist.js';
import type { CidrSetResult } from './cidr.js';
import type { PacketScenarioResult } from './packets.js';
import type { ScalingSweep } from './scaling.js';
import type { ScenarioResult } from './scenario.js';
import type { UpdatesResult } from './updates.js';
import { fmtLoad } from './format.js';
import { check, type TargetCheck } from './target-check.js';
import { scaleTargets } from './scale-targets.js';
import type { WorkersResult } from './workers.js';

export type { TargetCheck } from './target-check.js';

export const SCHEMA_VERSION = 2;

export interface Environment {
  readonly node: string;
  readonly v8: string;
  readonly platform: string;
  readonly arch: string;
  readonly cpuModel: string;
  readonly cpuCount: number;
  readonly totalMemoryBytes: number;
  /** 1-minute load average when the run started (a busy machine reads lower). */
  readonly loadAverage: readonly number[];
  readonly nativeLoaded: boolean;
  readonly native: { readonly active: boolean; readonly reason: string; readonly version?: string };
  /** `git rev-parse HEAD` of the working tree, null outside a checkout; `dirty` when it has changes. */
  readonly gitCommit: string | null;
  readonly gitDirty: boolean | null;
  /** false: run without --expose-gc, memory figures include garbage. */
  readonly exposeGc: boolean;
}

export interface Settings {
  readonly timeMs: number;
  readonly warmupMs: number;
  readonly traceSeed: number;
  readonly clusterSeed: number;
  readonly flags: readonly string[];
}

export interface BenchResults {
  readonly schemaVersion: typeof SCHEMA_VERSION;
  readonly mode: 'full' | 'quick';
  readonly startedAt: string;
  readonly durationMs: number;
  readonly environment: Environment;
  readonly settings: Settings;
  readonly scenarios: readonly ScenarioResult[];
  readonly cidr: readonly CidrSetResult[];
  readonly scaling: readonly ScalingSweep[];
  /** The packet path (`packets` part): parse, conntrack hits and misses, a whole trace. */
  readonly packets: readonly PacketScenarioResult[];
  /** The update path (`updates` part): LiveDataplane.apply() latency per kind of change, verdicts while pods change. */
  readonly updates: readonly UpdatesResult[];
  /** The verdict pool (`workers` part); absent in files from before it, null when not run. */
  readonly workers?: WorkersResult | null;
  /** Connectivity maps and the change-set diff (`connlist` part); absent in files from before it, null when not run. */
  readonly connlist?: ConnlistBenchResult | null;
  readonly targets: readonly TargetCheck[];
  /** The XOR sink every timed call folded its results into (printed so nothing is dead code). */
  readonly sink: number;
}

const MiB = 2 ** 20;

const r2 = (x: number): number => Math.round(x * 100) / 100;

/** The DESIGN.md targets, checked against this run's figures (L cluster unless said). */
export function checkTargets(
  scenarios: readonly ScenarioResult[],
  cidr: readonly CidrSetResult[],
  scaling: readonly ScalingSweep[],
  quick: boolean,
): TargetCheck[] {
  const L = scenarios.find((s) => s.id === 'L');
  const engines = L?.engines ?? [];
  const best = (kind: string, minBatch = 0): ScenarioResult['engines'][number] | undefined =>
    engines.filter((e) => e.kind === kind && e.batch >= minBatch).sort((a, b) => b.verdictsPerSecond.median - a.verdictsPerSecond.median)[0];
  const at = (kind: string, batch: number): ScenarioResult['engines'][number] | undefined => engines.find((e) => e.kind === kind && e.batch === batch);
  const js = best('js-batch');
  const native = best('native-batch', 256);
  const ref = engines.find((e) => e.kind === 'reference');
  const js256 = at('js-batch', 256);
  const native256 = at('native-batch', 256);
  const nativeVsJs =
    native256 && js256
      ? native256.verdictsPerSecond.median / js256.verdictsPerSecond.median
      : native && js
        ? native.verdictsPerSecond.median / js.verdictsPerSecond.median
        : null;
  const noL = quick ? 'not measured: the quick run has no L scenario' : 'not measured: no L scenario in this run';
  const noNative = L ? 'not measured: the native addon is not loaded' : noL;
  const growth = scaling.find((s) => s.vary === 'policies')?.growth;
  const growthOk = growth && growth.from === 100 && growth.to >= 10_000;
  const lookups = cidr.flatMap((c) => c.matchers.filter((m) => m.id === 'netpol-lpm' && m.input === 'numeric').map((m) => ({ c, m })));
  const cidrRate = lookups.length ? Math.min(...lookups.map(({ m }) => m.lookupsPerSecond.median)) : null;
  const cidrRatio = lookups.length
    ? Math.min(
        ...lookups.map(({ c, m }) => {
          const peers = c.matchers.filter((x) => x.npm && x.input === 'numeric');
          const bestPeer = Math.max(...peers.map((x) => x.lookupsPerSecond.median));
          return m.lookupsPerSecond.median / bestPeer;
        }),
      )
    : null;
  const compileMs = L ? (L.compile.coldProcessMs ?? L.compile.firstInProcessMs) : null;
  // Issue 17's figure is "with two free cores": the probes' load goes beside it.
  const probes = L?.compile.coldProbes ?? [];
  const fc = probes.flatMap((p) => (p.foreignCores === null ? [] : [p.foreignCores]));
  const probeLoad = probes.length
    ? `; probes at load ${fmtLoad({ min: Math.min(...probes.map((p) => p.load)), max: Math.max(...probes.map((p) => p.load)), foreignCores: null })}${fc.length ? `, others took up to ${Math.max(...fc).toFixed(2)} cores` : ''}`
    : '';
  return [
    check(
      'js-batch',
      'JS kernel, batch, L cluster',
      '≥ 40 M verdicts/s per core',
      'M verdicts/s',
      js && r2(js.verdictsPerSecond.median / 1e6),
      (x) => x >= 40,
      40,
      true,
      noL,
    ),
    check(
      'vs-reference',
      'JS batch vs the reference evaluator, L cluster',
      '≥ 300×',
      '×',
      js && ref ? r2(js.verdictsPerSecond.median / ref.verdictsPerSecond.median) : null,
      (x) => x >= 300,
      300,
      true,
      noL,
    ),
    check(
      'native-batch',
      'native kernel, batch ≥ 256, L cluster',
      '≥ 100 M verdicts/s per core',
      'M verdicts/s',
      native && r2(native.verdictsPerSecond.median / 1e6),
      (x) => x >= 100,
      100,
      true,
      noNative,
    ),
    check(
      'native-vs-js',
      'native vs JS kernel at batch 256, L cluster',
      '≥ 1.5×',
      '×',
      nativeVsJs === null ? null : r2(nativeVsJs),
      (x) => x >= 1.5,
      1.5,
      true,
      noNative,
    ),
    check(
      'policy-growth',
      'cost growth per verdict (JS batch), 100 → 10k policies at 10k pods',
      '≤ 1.5×',
      '×',
      growthOk ? growth.jsBatch : null,
      (x) => x <= 1.5,
      1.5,
      false,
      'not measured: needs the full policy sweep (100 → 10k)',
    ),
    withNote(
      check(
        'compile',
        `compile, L cluster, cold${L && L.compile.coldProcessMs === null ? ' (in-process: JIT warm)' : ''}`,
        '≤ 250 ms',
        'ms',
        compileMs,
        (x) => x <= 250,
        250,
        false,
        noL,
      ),
      probeLoad,
    ),
    check(
      'heap',
      'heap retained by the dataplane (JS heap + image), L cluster',
      '≤ 64 MiB',
      'MiB',
      L ? r2((L.compile.heapRetainedBytes + L.compile.arrayBuffersRetainedBytes) / MiB) : null,
      (x) => x <= 64,
      64,
      false,
      noL,
    ),
    check(
      'hot-tables',
      'hot tables (the whole image), L cluster',
      '≤ 8 MiB',
      'MiB',
      L ? r2(L.compile.hotTablesBytes / MiB) : null,
      (x) => x <= 8,
      8,
      false,
      noL,
    ),
    check(
      'cidr-rate',
      `CIDR lookups, numeric input${cidr.length ? ` (${cidr.map((c) => c.prefixes).join(' and ')} prefixes, the lower)` : ''}`,
      '≥ 50 M/s',
      'M lookups/s',
      cidrRate && r2(cidrRate / 1e6),
      (x) => x >= 50,
      50,
      true,
      'not measured: no CIDR run',
    ),
    ...tierChecks(scenarios, noL),
    ...scaleTargets(scenarios, scaling, noL),
    check(
      'cidr-vs-npm',
      'CIDR lookups vs the best npm matcher, numeric input (the lower ratio)',
      '≥ 100×',
      '×',
      cidrRatio && r2(cidrRatio),
      (x) => x >= 100,
      100,
      true,
      'not measured: no CIDR run',
    ),
  ];
}

/** The check with `more` after its note when it was measured. */
const withNote = (c: TargetCheck, more: string): TargetCheck => (c.measured === null ? c : { ...c, note: `${c.note}${more}` });

/**
 * Cluster-scoped tiers cost (issue targets): L with 50 cluster-scoped policies against the
 * NetworkPolicy-only L of the same run: JS and native batch throughput within 15%, compile within 25%.
 */
function tierChecks(scenarios: readonly ScenarioResult[], noL: string): TargetCheck[] {
  const L = scenarios.find((s) => s.id === 'L');
  const T = scenarios.find((s) => s.id === 'L-tiers');
  const bestOf = (s: ScenarioResult | undefined, kind: string): number | undefined => {
    const rates = (s?.engines ?? []).filter((e) => e.kind === kind && e.batch >= 256).map((e) => e.verdictsPerSecond.median);
    return rates.length ? Math.max(...rates) : undefined;
  };
  const ratio = (kind: string): number | null => {
    const a = bestOf(T, kind);
    const b = bestOf(L, kind);
    return a !== undefined && b !== undefined ? r2(a / b) : null;
  };
  const compileOf = (s: ScenarioResult | undefined): number | null => (s ? (s.compile.coldProcessMs ?? s.compile.firstInProcessMs) : null);
  const cl = compileOf(L);
  const ct = compileOf(T);
  const none = !L || !T ? `${noL.replace(/no L scenario/, 'no L and L-tiers scenarios')}` : 'not measured: the native addon is not loaded';
  return [
    check('tiers-js', 'JS batch, L with 50 cluster-scoped policies ÷ L without', '≥ 0.85×', '×', ratio('js-batch'), (x) => x >= 0.85, 0.85, true, none),
    check(
      'tiers-native',
      'native batch, L with 50 cluster-scoped policies ÷ L without',
      '≥ 0.85×',
      '×',
      ratio('native-batch'),
      (x) => x >= 0.85,
      0.85,
      true,
      none,
    ),
    check(
      'tiers-compile',
      'compile, L with 50 cluster-scoped policies ÷ L without',
      '≤ 1.25×',
      '×',
      cl && ct ? r2(ct / cl) : null,
      (x) => x <= 1.25,
      1.25,
      false,
      none,
    ),
  ];
}
