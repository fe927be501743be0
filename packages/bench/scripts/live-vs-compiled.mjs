#!/usr/bin/env node
/**
 * The live image (what LiveDataplane serves) against a compiled image of the same cluster:
 * image size, the matrices' room and use, and verdict throughput on the bench's mixed trace,
 * JS and native kernels, the two dataplanes interleaved in rounds (load drift hits both alike).
 * Verdict bytes are checked equal on the whole trace first.
 *
 *   node packages/bench/scripts/live-vs-compiled.mjs [--size L] [--rounds 9] [--batch 4096] [--pod-adds 0] [--compact | --background]
 *
 * --compact: LiveDataplane.compact() called before the measurement; --background: the
 * measurement waits for the dataplane's own background compaction (LiveOptions.compaction
 * 'auto', a quiet period of 200 ms) and reports its figures (CompactionInfo). Without either,
 * the live dataplane is in 'manual' mode: the incremental image is measured.
 *
 * --pod-adds N: N pod adds (replicas) applied to the live dataplane first, the compiled one
 * compiled from the live dataplane's objects after them (a live image that has followed changes).
 */
import { loadavg } from 'node:os';
import { CompiledDataplane, LiveDataplane } from '@netpol/core';
import { clusterObjects, podDoc } from '@netpol/core/internal';
import { benchCluster, benchTrace } from '../dist/generators.js';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const size = opt('size', 'L');
const rounds = Number(opt('rounds', 9));
const batchSize = Number(opt('batch', 4096));
const podAdds = Number(opt('pod-adds', 0));
// --compact: the live dataplane compacted (LiveDataplane.compact) before it is measured.
const compactLive = args.includes('--compact');
const background = args.includes('--background');
const traceCount = 1 << 18;

const cluster = benchCluster(size);
const raws = clusterObjects(cluster).map((value, document) => ({ file: '<bench>', document, value, locate: () => undefined }));
let compacted;
const onCompaction = new Promise((resolve) => (compacted = resolve));
const live = new LiveDataplane(raws, background ? { compactionIdleMs: 200, onCompaction: compacted } : { compaction: 'manual' });
if (podAdds > 0) {
  const templates = cluster.pods.filter((p) => p.labels['pod-template-hash'] !== undefined && !p.hostNetwork);
  for (let i = 0; i < podAdds; i++) {
    const t = templates[i % templates.length];
    const ip = { family: 4, value: BigInt(((10 << 24) | (201 << 16) | (i + 1)) >>> 0) };
    const r = live.apply([{ op: 'apply', object: podDoc({ ...t, name: `${t.name}-x${i}`, ips: [ip] }) }]);
    if (!r.applied) throw new Error(r.issues.map((x) => x.message).join('; '));
  }
}
const compiled = new CompiledDataplane(live.cluster());
let compactMs = null;
if (compactLive) {
  const t = performance.now();
  live.compact();
  compactMs = Math.round(performance.now() - t);
}
// The dataplane's timers never keep a process alive (a controller has its watch sockets): this one waits.
const keepAlive = setInterval(() => {}, 1000);
const backgroundInfo = background ? await onCompaction : null;
clearInterval(keepAlive);
const trace = benchTrace(cluster, { count: traceCount, seed: 7 });

// Same verdict bytes on the whole trace, both kernels.
const a = new Uint8Array(traceCount);
const b = new Uint8Array(traceCount);
compiled.verdictBatch(trace, a);
live.verdictBatch(trace, b);
for (let i = 0; i < traceCount; i++) if (a[i] !== b[i]) throw new Error(`flow ${i}: compiled ${a[i]} live ${b[i]}`);

const slices = [];
for (let off = 0; off + batchSize <= traceCount; off += batchSize) {
  const sub = (x) => x.subarray(off, off + batchSize);
  slices.push({ count: batchSize, src: sub(trace.src), dst: sub(trace.dst), protocol: sub(trace.protocol), port: sub(trace.port) });
}
const out = new Uint8Array(batchSize);

/** ns per verdict of one pass over the trace in batches, with the kernel `kernel` ('js' | 'native'). */
function pass(dp, kernel) {
  const t = process.hrtime.bigint();
  if (kernel === 'js') for (const s of slices) dp.kernel.verdictBatch(s, out);
  else for (const s of slices) dp.verdictBatch(s, out);
  return Number(process.hrtime.bigint() - t) / (slices.length * batchSize);
}
const liveDp = () => live.generations.current.dataplane;
const engines = [
  ['compiled', 'js', () => compiled],
  ['live', 'js', liveDp],
  ['compiled', 'native', () => compiled],
  ['live', 'native', liveDp],
];
const times = new Map(engines.map(([d, k]) => [`${d}/${k}`, []]));
const loads = [];
for (let r = 0; r < rounds + 1; r++) {
  loads.push(loadavg()[0]);
  // Rotate the order each round.
  for (let i = 0; i < engines.length; i++) {
    const [d, k, get] = engines[(i + r) % engines.length];
    const ns = pass(get(), k);
    if (r > 0) times.get(`${d}/${k}`).push(ns);
  }
}
const med = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
const r2 = (x) => Math.round(x * 100) / 100;
const liveImage = live.current.image;
const caps = live.compiler.master.caps;
const used = live.compiler.garbage();
const result = {
  size,
  podAdds,
  compacted: compactLive ? 'compact()' : background ? 'background' : 'no',
  compactMs,
  background: backgroundInfo && {
    elapsedMs: Math.round(backgroundInfo.elapsedMs),
    workMs: Math.round(backgroundInfo.workMs),
    publishMs: Math.round(backgroundInfo.publishMs),
    slices: backgroundInfo.slices,
    bytesBefore: backgroundInfo.bytesBefore,
    bytes: backgroundInfo.bytes,
  },
  pods: cluster.pods.length + podAdds,
  rounds,
  batch: batchSize,
  nsPerVerdict: Object.fromEntries([...times].map(([k, v]) => [k, r2(med(v))])),
  liveOverCompiled: {
    js: r2(med(times.get('live/js')) / med(times.get('compiled/js'))),
    native: r2(med(times.get('live/native')) / med(times.get('compiled/native'))),
  },
  imageBytes: { compiled: compiled.image.byteLength, live: liveImage.byteLength },
  liveRoom: { egress: [caps.egressRows, caps.egressCols], ingress: [caps.ingressRows, caps.ingressCols], entries: caps.entries },
  liveClasses: used,
  compiledStats: compiled.stats?.() ?? undefined,
  load: [r2(Math.min(...loads)), r2(Math.max(...loads))],
};
console.log(JSON.stringify(result));
