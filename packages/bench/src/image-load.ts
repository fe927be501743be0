#!/usr/bin/env node
/**
 * `pnpm --filter @netpol/bench run bench:image-load [--size L] [--loads 20] [--native auto|off]`
 *
 * Compile once, load anywhere, timed: the cluster is compiled and saved once (saveImage), the
 * loaded image's verdicts are checked against the compiled dataplane's on the bench trace
 * (exit 1 on a mismatch), then each of `--loads` fresh Node processes loads the file
 * (loadImageFile: read, SHA-256, metadata, every image invariant: by the addon with its
 * private copy when it is loaded, the JS kernel's own check then waiting for its first use) and reports how long that took: what a node agent
 * or a worker pays at start instead of compiling. Fresh processes, not a loop: the first load
 * is the one that counts (cold JIT, cold allocator), and a loop would time a warm one. The
 * machine's load is recorded beside each figure.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { compile, CompiledDataplane, loadImageFile, readImageFile, saveImage, SavedImageDataplane, type CompileResult } from '@netpol/core';
import { benchCluster, benchTrace, SIZES, type SizeName, type SyntheticCluster } from './generators.js';
import { cpuNow, foreignCores } from './machine-load.js';
import { percentile } from './measure.js';

/** One fresh process's load of the file, in milliseconds. */
export interface LoadProbe {
  /** readImageFile: open, read into a fresh buffer, SHA-256, metadata, image header. */
  readonly readMs: number;
  /** The dataplane over it: the addon's validation and private copy when it is loaded (the JS kernel validates on first use), else every invariant in JS. */
  readonly validateMs: number;
  /** Both: what loadImageFile costs. */
  readonly totalMs: number;
  /** This process's CPU time over the load (user + system): the figure a busy machine inflates least. */
  readonly cpuMs: number;
  readonly native: boolean;
  /** Cores other processes kept busy during the load (null off Linux or when too short to tell). */
  readonly foreignCores: number | null;
}

/** The figures of a run: file size, compile time for comparison, p50/p95 of the fresh loads. */
export interface ImageLoadResult {
  readonly size: string;
  readonly fileBytes: number;
  readonly compileMs: number;
  readonly loads: number;
  readonly native: boolean;
  readonly totalMs: { readonly min: number; readonly p50: number; readonly p95: number; readonly max: number };
  readonly cpuMs: { readonly p50: number; readonly p95: number };
  readonly readMs: { readonly p50: number; readonly p95: number };
  readonly validateMs: { readonly p50: number; readonly p95: number };
  readonly loadAverage: number;
  readonly probes: readonly LoadProbe[];
}

/** Loads `file` once in this process and times it (the child side of measureImageLoad). */
export function probeLoad(file: string, native: 'auto' | 'off'): LoadProbe {
  const c0 = cpuNow();
  const u0 = process.cpuUsage();
  const t0 = performance.now();
  const decoded = readImageFile(file);
  const t1 = performance.now();
  const dp = new SavedImageDataplane(decoded, { native });
  const t2 = performance.now();
  const u1 = process.cpuUsage(u0);
  const c1 = cpuNow();
  if (dp.image.byteLength === 0) throw new Error('empty image');
  return {
    readMs: t1 - t0,
    validateMs: t2 - t1,
    totalMs: t2 - t0,
    cpuMs: (u1.user + u1.system) / 1000,
    native: dp.nativeActive,
    foreignCores: foreignCores(c0, c1),
  };
}

const round = (x: number): number => Math.round(x * 100) / 100;
const spread = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { p50: round(percentile(s, 0.5)), p95: round(percentile(s, 0.95)) };
};

/** Compiles and saves the cluster, checks the loaded image's verdicts, then times `loads` fresh-process loads. */
export function measureImageLoad(o: { readonly size: SizeName; readonly loads: number; readonly native: 'auto' | 'off' }): ImageLoadResult {
  const cluster = benchCluster(o.size);
  const dir = mkdtempSync(join(os.tmpdir(), 'netpol-image-load-'));
  try {
    const file = join(dir, `${o.size}.npimg`);
    const t0 = performance.now();
    const result = compile(cluster);
    const compileMs = performance.now() - t0;
    const fileBytes = saveAndCheck(result, file, new CompiledDataplane(cluster, { native: 'off' }), cluster);
    const probes: LoadProbe[] = [];
    const script = fileURLToPath(import.meta.url);
    for (let i = 0; i < o.loads; i++) {
      const out = execFileSync(process.execPath, [script, '--probe', file, '--native', o.native], { encoding: 'utf8' });
      probes.push(JSON.parse(out) as LoadProbe);
    }
    const total = probes.map((p) => p.totalMs).sort((a, b) => a - b);
    return {
      size: o.size,
      fileBytes,
      compileMs: round(compileMs),
      loads: o.loads,
      native: probes.every((p) => p.native),
      totalMs: { min: round(total[0]!), ...spread(total), max: round(total[total.length - 1]!) },
      cpuMs: spread(probes.map((p) => p.cpuMs)),
      readMs: spread(probes.map((p) => p.readMs)),
      validateMs: spread(probes.map((p) => p.validateMs)),
      loadAverage: round(os.loadavg()[0] ?? 0),
      probes,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Saves the image and checks that the file's dataplane answers the bench trace byte for byte as the compiled one; the file's size. */
function saveAndCheck(result: CompileResult, file: string, compiled: CompiledDataplane, cluster: SyntheticCluster): number {
  const info = saveImage(result, file);
  const loaded = loadImageFile(file, { native: 'off' });
  const trace = benchTrace(cluster, { count: 20_000, seed: 7 });
  const [want, got] = [new Uint8Array(trace.count), new Uint8Array(trace.count)];
  compiled.verdictBatchJS(trace, want);
  loaded.verdictBatchJS(trace, got);
  const bad = want.findIndex((b, i) => b !== got[i]);
  if (bad >= 0) throw new Error(`the loaded image disagrees with the compiled dataplane at flow ${bad}: ${got[bad]} vs ${want[bad]}`);
  return info.totalBytes;
}

function main(): void {
  const { values } = parseArgs({
    options: {
      size: { type: 'string', default: 'L' },
      loads: { type: 'string', default: '20' },
      native: { type: 'string', default: 'auto' },
      probe: { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  const native = values.native === 'off' ? 'off' : 'auto';
  if (values.probe) {
    process.stdout.write(`${JSON.stringify(probeLoad(values.probe, native))}\n`);
    return;
  }
  if (!(values.size! in SIZES)) throw new Error(`--size must be one of ${Object.keys(SIZES).join(', ')}`);
  const r = measureImageLoad({ size: values.size as SizeName, loads: Math.max(1, Number(values.loads)), native });
  if (values.json) {
    process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
    return;
  }
  const kernel = r.native ? 'native validation; the JS kernel validates on first use' : 'JS validation';
  console.log(`saved image, ${r.size}: ${(r.fileBytes / 1e6).toFixed(2)} MB; compile in this process ${r.compileMs} ms`);
  console.log(`load (${r.loads} fresh processes, ${kernel}): p50 ${r.totalMs.p50} ms, p95 ${r.totalMs.p95} ms (min ${r.totalMs.min}, max ${r.totalMs.max})`);
  console.log(`  CPU time of the load: p50 ${r.cpuMs.p50} ms, p95 ${r.cpuMs.p95} ms`);
  console.log(
    `  read + SHA-256 + metadata: p50 ${r.readMs.p50} ms, p95 ${r.readMs.p95} ms; validation: p50 ${r.validateMs.p50} ms, p95 ${r.validateMs.p95} ms`,
  );
  const foreign = r.probes.map((p) => p.foreignCores).filter((x): x is number => x !== null);
  console.log(`  machine: load average ${r.loadAverage}${foreign.length ? `, other processes' cores during the loads: median ${spread(foreign).p50}` : ''}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    main();
  } catch (e) {
    console.error(`bench:image-load: ${(e as Error).message}`);
    process.exit(1);
  }
}
