#!/usr/bin/env node
/**
 * A/B of two builds of netpol on the same cluster and flows, in one process: this checkout's
 * @netpol/core (and addon) against another checkout's (`--base`, for example a worktree of
 * main), each compiling the cluster itself. Reports image bytes, compile time (the two
 * compilers alternated) and ns per verdict of each kernel on the bench's mixed trace, the four
 * engines alternated in rounds (the order rotating) so that load drift hits all of them alike.
 * Verdict bytes are checked equal across all four engines on the whole trace first.
 *
 *   node packages/bench/scripts/image-ab.mjs --base /path/to/other/checkout [--size L | --pods 100000 --policies 20000]
 *        [--rounds 15] [--compiles 3] [--batch 4096]
 *
 * Both checkouts must be built (core's dist, and the addon for the native figures). Figures are
 * medians of per-round CPU time (process.cpuUsage: a round preempted by other processes is not
 * charged for the time it waited) and of wall time, with the 1-minute load average per round.
 * The JS kernels are warmed up on the batches the rounds time, never on the whole trace first:
 * a first call with a different batch object makes V8 deoptimize the loop and, often, run it
 * from on-stack-replacement code afterwards, about 1.5× slower (a bimodal figure from run to run).
 */
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const base = opt('base');
if (!base) {
  console.error('usage: image-ab.mjs --base <other checkout> [--size L | --pods N --policies N] [--rounds N] [--compiles N] [--batch N]');
  process.exit(2);
}
const here = resolve(import.meta.dirname, '../../..');
const rounds = Number(opt('rounds', 15));
const compiles = Number(opt('compiles', 3));
const batchSize = Number(opt('batch', 4096));
const shape = opt('pods') ? { pods: Number(opt('pods')), policies: Number(opt('policies', 1000)) } : opt('size', 'L');
const traceCount = 1 << 18;

const load = (root, path) => import(pathToFileURL(join(root, path)).href);
const sides = {};
for (const [name, root] of [
  ['base', resolve(base)],
  ['this', here],
]) {
  const core = await load(root, 'packages/core/dist/index.js');
  sides[name] = { root, core };
}
const { benchCluster, benchTrace } = await load(here, 'packages/bench/dist/generators.js');
const cluster = benchCluster(shape);
const trace = benchTrace(cluster, { count: traceCount, seed: 7 });
const slices = [];
for (let off = 0; off + batchSize <= traceCount; off += batchSize) {
  const sub = (x) => x.subarray(off, off + batchSize);
  slices.push({ count: batchSize, src: sub(trace.src), dst: sub(trace.dst), protocol: sub(trace.protocol), port: sub(trace.port) });
}
const r2 = (x) => Math.round(x * 100) / 100;
const med = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];

// Compile, alternating the two compilers.
const compileMs = { base: [], this: [] };
const compileLoad = [];
for (let i = 0; i < compiles; i++) {
  for (const name of i % 2 ? ['this', 'base'] : ['base', 'this']) {
    compileLoad.push(loadavg()[0]);
    const t = performance.now();
    const r = sides[name].core.compile(cluster, {});
    compileMs[name].push(performance.now() - t);
    sides[name].image = r.image;
  }
}
for (const s of Object.values(sides)) {
  s.dp = new s.core.ImageDataplane(s.image, { native: 'require' });
  s.version = new Uint32Array(s.image, 0, 2)[1];
}

/** One pass over the trace's batches with one engine; [cpu ns, wall ns] per verdict. */
const out = new Uint8Array(batchSize);
const pass = (dp, kernel) => {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  if (kernel === 'js') for (const s of slices) dp.kernel.verdictBatch(s, out);
  else for (const s of slices) dp.verdictBatch(s, out);
  const wall = Number(process.hrtime.bigint() - t0);
  const c = process.cpuUsage(c0);
  const n = slices.length * batchSize;
  return [((c.user + c.system) * 1000) / n, wall / n];
};
const engines = ['base', 'this'].flatMap((side) => ['js', 'native'].map((kernel) => ({ side, kernel, key: `${side}/${kernel}` })));

// Warm-up and the verdict check, batch by batch (the batches the rounds time).
const verdicts = engines.map(() => new Uint8Array(slices.length * batchSize));
for (let w = 0; w < 3; w++) {
  engines.forEach((e, k) =>
    slices.forEach((s, j) => {
      const dp = sides[e.side].dp;
      const o = verdicts[k].subarray(j * batchSize, (j + 1) * batchSize);
      if (e.kernel === 'js') dp.kernel.verdictBatch(s, o);
      else dp.verdictBatch(s, o);
    }),
  );
}
for (let k = 1; k < engines.length; k++) {
  const i = verdicts[k].findIndex((x, j) => x !== verdicts[0][j]);
  if (i >= 0) throw new Error(`flow ${i}: ${engines[0].key} ${verdicts[0][i]}, ${engines[k].key} ${verdicts[k][i]}`);
}

const cpu = new Map(engines.map((e) => [e.key, []]));
const wall = new Map(engines.map((e) => [e.key, []]));
const loads = [];
for (let r = 0; r < rounds; r++) {
  loads.push(loadavg()[0]);
  for (let i = 0; i < engines.length; i++) {
    const e = engines[(i + r) % engines.length];
    const [c, w] = pass(sides[e.side].dp, e.kernel);
    cpu.get(e.key).push(c);
    wall.get(e.key).push(w);
  }
}
const result = {
  shape,
  flows: slices.length * batchSize,
  rounds,
  verdictsEqual: true,
  imageVersion: { base: sides.base.version, this: sides.this.version },
  imageBytes: { base: sides.base.image.byteLength, this: sides.this.image.byteLength },
  compileMs: { base: Math.round(med(compileMs.base)), this: Math.round(med(compileMs.this)), load: compileLoad.map(r2) },
  nsPerVerdictCpu: Object.fromEntries([...cpu].map(([k, v]) => [k, r2(med(v))])),
  nsPerVerdictWall: Object.fromEntries([...wall].map(([k, v]) => [k, r2(med(v))])),
  load: [r2(Math.min(...loads)), r2(Math.max(...loads))],
};
console.log(JSON.stringify(result, null, 1));
