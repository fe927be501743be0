#!/usr/bin/env node
/**
 * Cold compile probe: time and memory of one compile() in fresh processes, optionally A/B
 * against another checkout (`--base`, for example a worktree of main built there), the two
 * alternated run by run so that load drift hits both alike.
 *
 *   node packages/bench/scripts/compile-probe.mjs [--pods 100000 --policies 20000 | --size L]
 *        [--cluster-policies N] [--runs 3] [--base /path/to/other/checkout] [--hash]
 *        [--dataplane] [--node-flag --cpu-prof ...] [--child --shape '{"pods":...}' --alloc-prof out.heapprofile]
 *
 * Each run is a fresh `node --expose-gc` process (`--child`) that builds the bench's cluster
 * (packages/bench/src/generators.ts benchCluster: syntheticCluster with node addresses made
 * unique), collects garbage twice, then times compile() (or `new CompiledDataplane(cluster)`
 * with --dataplane, as the bench's cold probe does): wall time, and CPU time of the whole
 * process (process.cpuUsage: every thread, so V8's background GC and compiler threads count).
 * Memory: peak RSS (VmHWM; process.resourceUsage().maxRSS elsewhere) before the compile (the cluster and the
 * generator's garbage) and after it, their difference (the compile's own growth of the peak),
 * the RSS and heap before the compile, and the image's bytes. The 1-minute load is printed
 * beside each run. `--hash` adds the image's SHA-256 (taken after the timed region), to check
 * that two builds write the same bytes. `--node-flag X` passes X to the child's node (repeat
 * it: `--node-flag --cpu-prof --node-flag --cpu-prof-dir=/tmp/prof`).
 *
 * `--child` runs one probe in this process (what the driver spawns); with `--alloc-prof FILE` it
 * also samples every allocation of the compile, garbage included, into FILE (DevTools format).
 *
 * Both checkouts must have core built (packages/core/dist). Medians are over the runs of each side.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/** Peak RSS of this process (VmHWM on Linux: getrusage's maxRSS is kept across exec, so it includes the spawning parent's RSS). */
function peakRss() {
  try {
    const hwm = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (hwm) return Number(hwm[1]) * 1024;
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS * 1024;
}
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const flag = (name) => args.includes(`--${name}`);
const here = resolve(import.meta.dirname, '../../..');

/**
 * Allocation sampling (the inspector's sampling heap profiler, keeping the samples of objects
 * collected since): where the compile allocates, garbage included, as a .heapprofile file that
 * Chrome DevTools opens. The sampling slows the compile: take no timings from such a run.
 */
async function startAllocationSampling() {
  const { Session } = await import('node:inspector/promises');
  const session = new Session();
  session.connect();
  await session.post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  return session;
}

async function stopAllocationSampling(session, file) {
  const { profile } = await session.post('HeapProfiler.stopSampling');
  (await import('node:fs')).writeFileSync(file, JSON.stringify(profile));
  session.disconnect();
}

if (flag('child')) {
  const root = opt('root', here);
  const shape = JSON.parse(opt('shape'));
  const core = await import(pathToFileURL(join(root, 'packages/core/dist/index.js')).href);
  const internal = await import(pathToFileURL(join(root, 'packages/core/dist/internal.js')).href);
  // benchCluster (packages/bench/src/generators.ts), without importing the bench's build.
  let cluster = internal.syntheticCluster(shape);
  const seen = new Set();
  if (!cluster.nodes.every((n) => n.ips.every((ip) => !seen.has(ip.value) && (seen.add(ip.value), true)))) {
    const base = (172n << 24n) | (18n << 16n);
    cluster = { ...cluster, nodes: cluster.nodes.map((n, i) => ({ ...n, ips: [{ family: 4, value: base + BigInt(i + 1) }] })) };
  }
  globalThis.gc();
  globalThis.gc();
  const session = opt('alloc-prof') && (await startAllocationSampling());
  const peakBefore = peakRss();
  const m0 = process.memoryUsage();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const image = flag('dataplane') ? new core.CompiledDataplane(cluster).image : core.compile(cluster).image;
  const ms = performance.now() - t0;
  const c = process.cpuUsage(c0);
  const peakAfter = peakRss();
  if (session) await stopAllocationSampling(session, opt('alloc-prof'));
  const out = {
    ms,
    cpuMs: (c.user + c.system) / 1000,
    peakBefore,
    peakAfter,
    rssBefore: m0.rss,
    heapBefore: m0.heapUsed,
    imageBytes: image.byteLength,
    ...(flag('hash') && { sha256: createHash('sha256').update(new Uint8Array(image)).digest('hex') }),
  };
  console.log(JSON.stringify(out));
  process.exit(0);
}

const shape = {
  ...(opt('size') ? (await import(pathToFileURL(join(here, 'packages/core/dist/internal.js')).href)).SIZES[opt('size')] : {}),
  ...(opt('pods') && { pods: Number(opt('pods')) }),
  ...(opt('policies') && { policies: Number(opt('policies')) }),
  ...(opt('cluster-policies') && { clusterPolicies: Number(opt('cluster-policies')) }),
  seed: Number(opt('seed', 1)),
};
if (!shape.pods) shape.pods = 100000;
if (!shape.policies) shape.policies = 20000;
const runs = Number(opt('runs', 3));
const nodeFlags = args.flatMap((a, i) => (a === '--node-flag' ? [args[i + 1]] : []));
const sides = opt('base')
  ? [
      ['base', resolve(opt('base'))],
      ['this', here],
    ]
  : [['this', here]];
const childArgs = (root) => [
  '--expose-gc',
  ...nodeFlags,
  import.meta.filename,
  '--child',
  '--root',
  root,
  '--shape',
  JSON.stringify(shape),
  ...(flag('hash') ? ['--hash'] : []),
  ...(flag('dataplane') ? ['--dataplane'] : []),
];
const MB = (x) => Math.round(x / 1e5) / 10;
const results = Object.fromEntries(sides.map(([name]) => [name, []]));
console.log(`shape ${JSON.stringify(shape)}${flag('dataplane') ? ', new CompiledDataplane' : ', compile()'}`);
for (let r = 0; r < runs; r++) {
  for (const [name, root] of r % 2 ? [...sides].reverse() : sides) {
    const load = loadavg()[0];
    const out = JSON.parse(
      execFileSync(process.execPath, childArgs(root), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })
        .trim()
        .split('\n')
        .pop(),
    );
    results[name].push({ ...out, load });
    console.log(
      `${name.padEnd(4)} run ${r + 1}: ${out.ms.toFixed(0)} ms wall, ${out.cpuMs.toFixed(0)} ms CPU; peak RSS ${MB(out.peakBefore)} → ${MB(out.peakAfter)} MB ` +
        `(+${MB(out.peakAfter - out.peakBefore)}), RSS before ${MB(out.rssBefore)} MB, image ${MB(out.imageBytes)} MB, load ${load.toFixed(2)}` +
        (out.sha256 ? `, sha256 ${out.sha256.slice(0, 16)}` : ''),
    );
  }
}
const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (const [name] of sides) {
  const rs = results[name];
  const m = (f) => med(rs.map(f));
  console.log(
    `${name.padEnd(4)} median of ${rs.length}: ${m((x) => x.ms).toFixed(0)} ms wall, ${m((x) => x.cpuMs).toFixed(0)} ms CPU, peak RSS ${MB(m((x) => x.peakAfter))} MB ` +
      `(+${MB(m((x) => x.peakAfter - x.peakBefore))} over the cluster's ${MB(m((x) => x.peakBefore))}), load ${m((x) => x.load).toFixed(2)}` +
      (rs[0].sha256 ? `, image sha256 ${[...new Set(rs.map((x) => x.sha256))].map((h) => h.slice(0, 16)).join(' / ')}` : ''),
  );
}
