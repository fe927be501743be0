#!/usr/bin/env node
/**
 * `pnpm bench [--quick] [--skip-xl] [--only engines,cidr,scaling,packets,updates,workers] [--out DIR] [--no-write]`
 *
 * Full run: scenarios S, M, L, XL (IPv4) and L with an IPv6 trace, the CIDR
 * sub-benchmark at 1k and 10k prefixes, the policy and pod sweeps, the packet path on M and
 * L, update latency on M and L, the verdict pool (1 vs 2 worker threads) on L; writes results/latest.json and results/latest.svg. Quick run (--quick, under a minute,
 * what CI runs): S, M, an IPv6 trace on M and a small L sample, CIDR at 1k prefixes, small
 * sweeps, a small packet-path run on M, a short update run on M, a small verdict-pool run on L; writes results/quick.json and results/quick.svg. Every run checks verdicts before timing
 * and exits 1 on a mismatch (or a crash), never because of a timing.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { nativeStatus } from '@netpol/core';
import type { ClusterShape } from '@netpol/core/internal';
import { SIZES, type SizeName } from './generators.js';
import { CidrMismatchError, runCidr, type CidrOptions } from './cidr.js';
import { VerdictMismatchError } from './engines.js';
import { sinkState, type TimeOptions } from './measure.js';
import { runPackets, type PacketSpec } from './packets.js';
import { Progress } from './progress.js';
import { SCHEMA_VERSION, checkTargets, type BenchResults, type Environment } from './results.js';
import { runScaling, type ScalingOptions } from './scaling.js';
import { prepare, probeCompile, runScenario, type Prepared, type ScenarioResult, type ScenarioSpec } from './scenario.js';
import { renderSvg } from './svg.js';
import { renderReport } from './table.js';
import { renderWorkers, runWorkers, workersTargets, type WorkersOptions } from './workers.js';
import { connlistOptions, connlistTargets, renderConnlist, runConnlist, type ConnlistOptions } from './connlist.js';
import { updateTargets } from './update-report.js';
import { runUpdates, updatesSpec, type UpdatesSpec } from './updates.js';

const PKG = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const USAGE = `usage: pnpm bench [options]

  --quick            a smoke run under a minute (CI): S, M, M with IPv6, a small L sample,
                     CIDR at 1k prefixes, small sweeps, a small packet-path run on M,
                     a short update run on M; writes results/quick.{json,svg}
  --skip-xl          leave the XL scenario (50k pods / 5k policies) out of a full run
  --only LIST        parts to run, comma-separated: engines, cidr, scaling, packets,
                     updates, workers (the VerdictPool: 1 and 2 worker threads),
                     connlist (full connectivity maps at workload and pod level,
                     the change-set diff of two L clusters)
                     (default: all)
  --time MS          time budget per timed task (default 600, quick 150)
  --out DIR          where to write the JSON and SVG (default packages/bench/results)
  --no-write         print the table only
  --render FILE      re-print the table and re-draw the SVG (beside FILE) from a results
                     JSON, without running anything
  --self-test-mismatch
                     get one verdict wrong on purpose: the run must abort with exit 1
  -h, --help         this text

Exit status: 0 ok; 1 an engine disagreed with the reference (or with another engine), a
CIDR matcher disagreed with a plain scan, the packet filter disagreed with verdictCode, a
live generation disagreed with the reference after an update, or the run crashed; 2 bad usage. Missed
performance targets are reported, never an error.`;

interface Config {
  readonly mode: 'full' | 'quick';
  readonly scenarios: readonly ScenarioSpec[];
  readonly cidr: CidrOptions;
  readonly scaling: ScalingOptions;
  readonly packets: readonly PacketSpec[];
  readonly updates: readonly UpdatesSpec[];
  readonly workers: WorkersOptions;
  readonly connlist: ConnlistOptions;
}

/** A named size with `clusterPolicies` cluster-scoped policies added (scenario `<size>-tiers`). */
const withTiers = (size: SizeName, clusterPolicies: number): ClusterShape & { readonly name: string } => ({
  ...SIZES[size],
  name: `${size}-tiers`,
  clusterPolicies,
  seed: 1,
});

function config(quick: boolean, xl: boolean, timeMs: number | undefined): Config {
  const timing: TimeOptions = quick ? { timeMs: timeMs ?? 150, warmupMs: 50, rounds: 5 } : { timeMs: timeMs ?? 600, warmupMs: 150, rounds: 10 };
  const base = { traceSeed: 7, timing, singleBatch: 4096, coldProbes: quick ? 1 : 5, warmCompiles: quick ? 0 : 3 };
  const headline = { jsBatches: [256, 4096], nativeBatches: [256, 4096] };
  // Every full scenario: the live image beside the compiled one, and the realistic trace beside the mixed one.
  const full = {
    jsBatches: [16, 64, 256, 4096],
    nativeBatches: [16, 64, 256, 4096],
    live: headline,
    realistic: { ...headline, traceCount: 1 << 20, pool: 4096, referenceSample: 10_000 },
  };
  if (quick) {
    const q = { jsBatches: [256, 4096], nativeBatches: [256, 4096] };
    const big = { jsBatches: [4096], nativeBatches: [4096] };
    return {
      mode: 'quick',
      scenarios: [
        { ...base, ...q, id: 'S', size: 'S', family: 4, traceCount: 1 << 18, referenceSample: 5000 },
        {
          ...base,
          ...q,
          id: 'M',
          size: 'M',
          family: 4,
          traceCount: 1 << 18,
          referenceSample: 5000,
          live: big,
          realistic: { ...big, traceCount: 1 << 16, pool: 256, referenceSample: 2000 },
        },
        { ...base, ...q, id: 'M-v6', size: 'M', family: 6, traceCount: 1 << 16, referenceSample: 2000 },
        {
          ...base,
          ...q,
          id: 'L',
          size: 'L',
          family: 4,
          traceCount: 1 << 16,
          referenceSample: 1000,
          // No live image at L in the quick run: building it takes seconds.
          realistic: { ...big, traceCount: 1 << 16, pool: 256, referenceSample: 1000 },
        },
        { ...base, ...q, id: 'L-tiers', size: withTiers('L', 50), family: 4, traceCount: 1 << 16, referenceSample: 1000 },
      ],
      cidr: { sizes: [1000], addresses: 1 << 14, timing, slowTiming: { timeMs: 100, warmupMs: 20, iterations: 8 } },
      scaling: {
        policies: { values: [10, 100, 1000], pods: 1000, growthFrom: 100 },
        pods: { values: [100, 1000, 5000], policies: 100, growthFrom: 100 },
        traceCount: 1 << 16,
        coldProbes: 0,
        referenceSample: 500,
        batch: 4096,
        timing: { timeMs: 100, warmupMs: 30 },
      },
      packets: [{ id: 'M', size: 'M', packets: 1 << 16, traceSeed: 7, batch: 4096, hitConnections: [4096], timing }],
      updates: [updatesSpec('M', 'M', true)],
      workers: { size: 'L', flows: 1 << 18, batch: 1 << 16, sweeps: 2, repetitions: 5, workers: [1, 2], inFlight: 2, traceSeed: 7 },
      connlist: connlistOptions(true, false),
    };
  }
  const scenarios: ScenarioSpec[] = [
    { ...base, ...full, id: 'S', size: 'S', family: 4, traceCount: 1 << 20, referenceSample: 20_000 },
    { ...base, ...full, id: 'M', size: 'M', family: 4, traceCount: 1 << 20, referenceSample: 20_000 },
    { ...base, ...full, id: 'L', size: 'L', family: 4, traceCount: 1 << 20, referenceSample: 10_000 },
    { ...base, ...full, id: 'L-v6', size: 'L', family: 6, traceCount: 1 << 18, referenceSample: 5_000 },
    // The same clusters with cluster-scoped policies added (about 1-5% of the NetworkPolicy count).
    { ...base, ...full, id: 'S-tiers', size: withTiers('S', 2), family: 4, traceCount: 1 << 20, referenceSample: 20_000 },
    { ...base, ...full, id: 'M-tiers', size: withTiers('M', 5), family: 4, traceCount: 1 << 20, referenceSample: 20_000 },
    { ...base, ...full, id: 'L-tiers', size: withTiers('L', 50), family: 4, traceCount: 1 << 20, referenceSample: 10_000 },
  ];
  if (xl) {
    scenarios.push({ ...base, ...full, warmCompiles: 1, coldProbes: 3, id: 'XL', size: 'XL', family: 4, traceCount: 1 << 20, referenceSample: 5_000 });
    scenarios.push({
      ...base,
      ...full,
      warmCompiles: 1,
      coldProbes: 3,
      id: 'XL-tiers',
      size: withTiers('XL', 100),
      family: 4,
      traceCount: 1 << 20,
      referenceSample: 5_000,
    });
  }
  return {
    mode: 'full',
    scenarios,
    cidr: {
      sizes: [1000, 10_000],
      addresses: 1 << 16,
      timing: { timeMs: Math.min(timing.timeMs, 500), warmupMs: 100 },
      slowTiming: { timeMs: 300, warmupMs: 50, iterations: 8 },
    },
    scaling: {
      policies: { values: [10, 100, 1000, 10_000], pods: 10_000, growthFrom: 100 },
      pods: { values: [100, 1000, 10_000, 50_000], policies: 1000, growthFrom: 100 },
      // The issue's shapes: pods and policies grown together up to 100k pods / 20k policies.
      both: {
        values: [
          { pods: 10_000, policies: 1000 },
          { pods: 50_000, policies: 10_000 },
          { pods: 100_000, policies: 20_000 },
        ],
        coldProbes: 3,
        referenceSample: 500,
      },
      traceCount: 1 << 18,
      coldProbes: 1,
      referenceSample: 2000,
      batch: 4096,
      timing: { timeMs: 300, warmupMs: 80 },
    },
    packets: (['M', 'L'] as const).map((size) => ({ id: size, size, packets: 1 << 18, traceSeed: 7, batch: 4096, hitConnections: [4096, 65_536], timing })),
    // Op counts for an incremental LiveDataplane; a per-kind time budget (10 s) bounds a full-recompile one.
    // M has room for about 1,400 new pod addresses: fewer changes there.
    updates: [updatesSpec('M', 'M', false, { podOps: 300, otherOps: 100 }), updatesSpec('L', 'L', false)],
    // Best of 25 interleaved passes of 4M flows: the 2-worker figure needs both cores free.
    workers: { size: 'L', flows: 1 << 20, batch: 1 << 18, sweeps: 4, repetitions: 25, workers: [1, 2], inFlight: 2, traceSeed: 7 },
    connlist: connlistOptions(false, xl),
  };
}

function git(args: string[]): string | null {
  try {
    return execFileSync('git', args, { cwd: PKG, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

function environment(): Environment {
  const native = nativeStatus();
  const commit = git(['rev-parse', 'HEAD']);
  const status = commit === null ? null : git(['status', '--porcelain']);
  return {
    node: process.version,
    v8: process.versions.v8,
    platform: process.platform,
    arch: process.arch,
    cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
    cpuCount: os.cpus().length,
    totalMemoryBytes: os.totalmem(),
    loadAverage: os.loadavg().map((x) => Math.round(x * 100) / 100),
    nativeLoaded: native.active,
    native: { active: native.active, reason: native.reason, ...(native.version !== undefined && { version: native.version }) },
    gitCommit: commit,
    gitDirty: status === null ? null : status.length > 0,
    exposeGc: typeof (globalThis as { gc?: unknown }).gc === 'function',
  };
}

export async function main(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      options: {
        quick: { type: 'boolean', default: false },
        'skip-xl': { type: 'boolean', default: false },
        only: { type: 'string' },
        time: { type: 'string' },
        out: { type: 'string' },
        'no-write': { type: 'boolean', default: false },
        'probe-compile': { type: 'string' },
        'self-test-mismatch': { type: 'boolean', default: false },
        render: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (args['probe-compile']) {
    process.stdout.write(`${JSON.stringify(probeCompile(JSON.parse(args['probe-compile'])))}\n`);
    return 0;
  }
  if (args.render) {
    const file = resolve(args.render);
    // Files from before the packet path have no `packets` section.
    const results = { packets: [], updates: [], ...(JSON.parse(readFileSync(file, 'utf8')) as Partial<BenchResults>) } as BenchResults;
    if (results.schemaVersion !== SCHEMA_VERSION) {
      process.stderr.write(`${file}: schemaVersion ${String(results.schemaVersion)}, this version reads ${SCHEMA_VERSION}\n`);
      return 2;
    }
    process.stdout.write(`${renderReport(results)}\n`);
    if (results.workers) process.stdout.write(`\n${renderWorkers(results.workers)}\n`);
    if (results.connlist) process.stdout.write(`\n${renderConnlist(results.connlist)}\n`);
    if (!args['no-write']) writeFileSync(file.replace(/\.json$/, '.svg'), renderSvg(results));
    return 0;
  }
  const parts = new Set((args.only ?? 'engines,cidr,scaling,packets,updates,workers,connlist').split(',').map((s) => s.trim()));
  for (const p of parts) {
    if (!['engines', 'cidr', 'scaling', 'packets', 'updates', 'workers', 'connlist'].includes(p)) {
      process.stderr.write(`unknown part '${p}' in --only\n\n${USAGE}\n`);
      return 2;
    }
  }
  const timeMs = args.time === undefined ? undefined : Number(args.time);
  if (timeMs !== undefined && !(timeMs > 0)) {
    process.stderr.write(`--time needs a positive number of milliseconds\n`);
    return 2;
  }
  let cfg = config(args.quick, !args['skip-xl'], timeMs);
  if (args['self-test-mismatch']) {
    cfg = {
      ...cfg,
      scenarios: cfg.scenarios.map((s) => ({ ...s, injectMismatch: true })),
      packets: cfg.packets.map((s) => ({ ...s, injectMismatch: true })),
      updates: cfg.updates.map((s) => ({ ...s, injectMismatch: true })),
    };
  }
  const progress = new Progress();
  progress.total =
    (parts.has('engines') ? cfg.scenarios.length : 0) +
    (parts.has('cidr') ? cfg.cidr.sizes.length : 0) +
    (parts.has('scaling') ? (cfg.scaling.both ? 3 : 2) : 0) +
    (parts.has('packets') ? cfg.packets.length : 0) +
    (parts.has('updates') ? cfg.updates.length : 0) +
    (parts.has('workers') ? 1 : 0) +
    (parts.has('connlist') ? cfg.connlist.maps.length + cfg.connlist.diffs.length : 0);
  const startedAt = new Date();
  const t0 = performance.now();
  const env = environment();
  if (!env.exposeGc) process.stderr.write('note: run with node --expose-gc for accurate memory figures (pnpm bench does)\n');
  if (!env.nativeLoaded) process.stderr.write(`note: native kernel not loaded: ${env.native.reason}\n`);

  try {
    const scenarios: ScenarioResult[] = [];
    if (parts.has('engines')) {
      const prepared = new Map<string, Prepared>();
      for (const spec of cfg.scenarios) {
        progress.phase(`scenario ${spec.id}`);
        const key = typeof spec.size === 'string' ? spec.size : spec.size.name;
        let p = prepared.get(key);
        if (!p) {
          p = prepare(spec.size, { coldProbes: spec.coldProbes, warmCompiles: spec.warmCompiles }, progress);
          prepared.set(key, p);
        }
        scenarios.push(runScenario(spec, p, progress));
        // Keep the dataplane only while a later scenario needs the same cluster.
        if (!cfg.scenarios.slice(cfg.scenarios.indexOf(spec) + 1).some((s) => (typeof s.size === 'string' ? s.size : s.size.name) === key))
          prepared.delete(key);
      }
    }
    const cidr = parts.has('cidr') ? runCidr(cfg.cidr, progress) : [];
    const scaling = parts.has('scaling') ? runScaling(cfg.scaling, progress) : [];
    const packets = parts.has('packets') ? runPackets(cfg.packets, progress) : [];
    const updates = parts.has('updates') ? runUpdates(cfg.updates, progress) : [];
    if (parts.has('workers')) progress.phase('workers: VerdictPool, 1 and 2 workers');
    const workers = parts.has('workers') ? await runWorkers(cfg.workers, progress) : null;
    const connlist = parts.has('connlist') ? runConnlist(cfg.connlist, progress) : null;
    progress.done();
    const results: BenchResults = {
      schemaVersion: SCHEMA_VERSION,
      mode: cfg.mode,
      startedAt: startedAt.toISOString(),
      durationMs: Math.round(performance.now() - t0),
      environment: env,
      settings: { timeMs: cfg.scenarios[0]!.timing.timeMs, warmupMs: cfg.scenarios[0]!.timing.warmupMs, traceSeed: 7, clusterSeed: 1, flags: argv },
      scenarios,
      cidr,
      scaling,
      packets,
      updates,
      workers,
      connlist,
      targets: [
        ...checkTargets(scenarios, cidr, scaling, cfg.mode === 'quick'),
        ...updateTargets(updates, cfg.mode === 'quick'),
        ...workersTargets(workers),
        ...connlistTargets(connlist),
      ],
      sink: sinkState(),
    };
    process.stdout.write(`${renderReport(results)}\n`);
    if (workers) process.stdout.write(`\n${renderWorkers(workers)}\n`);
    if (connlist) process.stdout.write(`\n${renderConnlist(connlist)}\n`);
    if (!args['no-write']) {
      const dir = resolve(args.out ?? join(PKG, 'results'));
      mkdirSync(dir, { recursive: true });
      const name = cfg.mode === 'quick' ? 'quick' : 'latest';
      writeFileSync(join(dir, `${name}.json`), `${JSON.stringify(results, null, 2)}\n`);
      writeFileSync(join(dir, `${name}.svg`), renderSvg(results));
      process.stdout.write(`\nwrote ${join(dir, `${name}.json`)} and ${name}.svg (${(results.durationMs / 1000).toFixed(1)} s)\n`);
    }
    return 0;
  } catch (e) {
    progress.done();
    if (e instanceof VerdictMismatchError || e instanceof CidrMismatchError) {
      process.stderr.write(`\nVERDICT MISMATCH, benchmark aborted: ${e.message}\n`);
    } else {
      process.stderr.write(`\nbenchmark crashed: ${(e as Error).stack ?? String(e)}\n`);
    }
    return 1;
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`${String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
