#!/usr/bin/env node
/**
 * Steady-state apply() latency of LiveDataplane, one object per call, as a controller sends
 * them: pod adds (replicas of existing deployments: same labels, a new name and address) and
 * policy adds (the generator's next policies: some bring new ipBlocks). No forced GC, no checks
 * inside or between the timed calls; warm-up calls first. Runs against @netpol/core's dist.
 *
 *   node packages/bench/scripts/live-updates.mjs [--size L] [--kind pod-add|policy-add|all]
 *        [--ops 2000] [--warmup 500] [--policy-ops 200] [--seed 1]
 *        [--core path/to/another/packages/core]
 *   node --cpu-prof --cpu-prof-dir /tmp/prof packages/bench/scripts/live-updates.mjs --kind pod-add --ops 20000
 *
 * Prints one JSON line per kind: p50/p90/p99/max µs, and the load average before and after.
 */
import { loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import { PerformanceObserver } from 'node:perf_hooks';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
// --core DIR: another build of @netpol/core (its dist/), to compare two versions on one machine.
const core = opt('core', undefined);
const from = (m) => (core ? import(pathToFileURL(`${core}/dist/${m === '@netpol/core' ? 'index' : 'internal'}.js`).href) : import(m));
const { LiveDataplane } = await from('@netpol/core');
const { clusterObjects, podDoc, policyDoc, Random, SIZES, syntheticCluster } = await from('@netpol/core/internal');
const size = opt('size', 'L');
const kind = opt('kind', 'all');
const podOps = Number(opt('ops', 2000));
const warmup = Number(opt('warmup', 500));
const policyOps = Number(opt('policy-ops', 200));
const policyWarmup = Number(opt('policy-warmup', 20));
const seed = Number(opt('seed', 1));

const shape = SIZES[size];
/** Node addresses made unique, as the bench's benchCluster does. */
function cluster(policies) {
  const c = syntheticCluster({ pods: shape.pods, policies, seed });
  const base = (172n << 24n) | (18n << 16n);
  return { ...c, nodes: c.nodes.map((n, i) => ({ ...n, ips: [{ family: 4, value: base + BigInt(i + 1) }] })) };
}

const pct = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
const r1 = (x) => Math.round(x * 10) / 10;
function report(label, us, extra = {}) {
  const s = [...us].sort((a, b) => a - b);
  const mean = s.reduce((a, b) => a + b, 0) / s.length;
  console.log(
    JSON.stringify({
      size,
      kind: label,
      ops: s.length,
      p50: r1(pct(s, 0.5)),
      p90: r1(pct(s, 0.9)),
      p99: r1(pct(s, 0.99)),
      max: r1(s[s.length - 1]),
      mean: r1(mean),
      ...extra,
    }),
  );
}

const gen = cluster(shape.policies);
const t0 = performance.now();
const raws = clusterObjects(gen).map((value, document) => ({ file: '<bench>', document, value, locate: () => undefined }));
const live = new LiveDataplane(raws);
console.error(`${size}: ${gen.pods.length} pods, ${gen.policies.length} policies, initial build ${Math.round(performance.now() - t0)} ms`);

const r = new Random(seed + 11);
/** Replicas: pods of deployments, and the free hosts of each node's /24. */
const templates = gen.pods.filter((p) => p.labels['pod-template-hash'] !== undefined && !p.hostNetwork && p.ips.some((ip) => ip.family === 4));
const subnets = new Map();
for (const p of gen.pods) {
  const ip = p.ips.find((a) => a.family === 4);
  if (!ip || p.hostNetwork || p.nodeName === undefined) continue;
  const v = Number(ip.value);
  const b = (v & ~0xff) >>> 0;
  if (!subnets.has(b)) subnets.set(b, { base: b, node: p.nodeName, used: new Set() });
  subnets.get(b).used.add(v & 0xff);
}
const subnetList = [...subnets.values()];
/** Past the /24s' 253 hosts, fresh /24s of 10.200.0.0/16 (addresses nothing else uses). */
let spill = 0;
function allocate() {
  // A random /24 with room (the full ones leave the list), its lowest free host.
  while (subnetList.length > 0) {
    const i = r.int(0, subnetList.length - 1);
    const s = subnetList[i];
    s.next ??= 2;
    while (s.next < 255 && s.used.has(s.next)) s.next++;
    if (s.next < 255) {
      s.used.add(s.next);
      return { ip: { family: 4, value: BigInt((s.base | s.next) >>> 0) }, node: s.node };
    }
    subnetList[i] = subnetList[subnetList.length - 1];
    subnetList.pop();
  }
  const n = spill++;
  return { ip: { family: 4, value: BigInt(((10 << 24) | (200 << 16) | (n + 1)) >>> 0) }, node: `node-${n % 8}` };
}
let next = 0;
/** A change as a watch stream delivers it: its object decoded from JSON text (made before the clock starts). */
const decoded = (c) => ({ ...c, object: JSON.parse(JSON.stringify(c.object)) });
function podAdd() {
  const t = r.pick(templates);
  const { ip, node } = allocate();
  return decoded({ op: 'apply', object: podDoc({ ...t, name: `${t.labels['app']}-u${next++}`, ips: [ip], nodeName: node }) });
}

/** Times apply() of each change; the change objects are made before the clock starts. */
async function run(label, changes, warm) {
  for (const c of changes.slice(0, warm)) {
    const res = live.apply([c]);
    if (!res.applied) throw new Error(`${label} rejected: ${res.issues.map((i) => i.message).join('; ')}`);
  }
  // GC pauses, to say what the slowest calls overlapped (--slow).
  const gcs = [];
  const obs = new PerformanceObserver((list) => gcs.push(...list.getEntries()));
  if (args.includes('--slow')) obs.observe({ entryTypes: ['gc'] });
  const ops = [];
  const la = loadavg()[0];
  const strategies = { incremental: 0, rebuild: 0 };
  /** The master image laid out again (a table outgrew its room): the whole image copied, published copies made afresh. */
  const layout = () => live.compiler.master.layoutVersion;
  let lastLayout = layout();
  for (const c of changes.slice(warm)) {
    const c0 = process.cpuUsage();
    const t = performance.now();
    const res = live.apply([c]);
    const end = performance.now();
    const dc = process.cpuUsage(c0);
    // A relayout makes a new copy at this publish and at the next one.
    const relayout = layout() !== lastLayout || ops.at(-1)?.relayout === 'now';
    ops.push({ start: t, us: (end - t) * 1000, cpu: dc.user + dc.system, relayout: layout() !== lastLayout ? 'now' : relayout ? 'after' : '' });
    lastLayout = layout();
    if (!res.applied) throw new Error(`${label} rejected: ${res.issues.map((i) => i.message).join('; ')}`);
    strategies[res.strategy]++;
  }
  await new Promise((r) => setTimeout(r, 50));
  obs.disconnect();
  const sorted = (xs) => [...xs].sort((a, b) => a - b);
  const steady = sorted(ops.filter((o) => !o.relayout).map((o) => o.us));
  const cs = sorted(ops.map((o) => o.cpu));
  report(
    label,
    ops.map((o) => o.us),
    {
      warmup: warm,
      rebuilds: strategies.rebuild,
      relayoutOps: ops.length - steady.length,
      withoutRelayouts: { p50: r1(pct(steady, 0.5)), p99: r1(pct(steady, 0.99)) },
      cpuUs: { p50: r1(pct(cs, 0.5)), p99: r1(pct(cs, 0.99)) },
      load: [r1(la), r1(loadavg()[0])],
    },
  );
  if (args.includes('--slow')) {
    for (const o of [...ops].sort((a, b) => b.us - a.us).slice(0, 12)) {
      const gc = gcs
        .filter((g) => g.startTime < o.start + o.us / 1000 && g.startTime + g.duration > o.start)
        .map((g) => `${g.detail?.kind ?? g.kind}:${r1(g.duration)}ms`);
      console.error(`  ${r1(o.us)} µs (cpu ${o.cpu}) ${o.relayout && 'relayout:' + o.relayout} ${gc.join(' ')}`);
    }
  }
}

if (kind === 'all' || kind === 'pod-add') {
  const changes = Array.from({ length: warmup + podOps }, podAdd);
  await run('pod-add', changes, warmup);
}
if (kind === 'all' || kind === 'policy-add') {
  const more = cluster(shape.policies + policyWarmup + policyOps).policies.slice(shape.policies);
  const withBlocks = more.filter((p) => [...p.ingress, ...p.egress].some((rule) => rule.peers.some((x) => x.kind === 'ipBlock'))).length;
  const changes = more.map((p) => decoded({ op: 'apply', object: policyDoc(p) }));
  console.error(`policy adds: ${more.length}, of them ${withBlocks} with ipBlocks`);
  await run('policy-add', changes, policyWarmup);
}
