#!/usr/bin/env node
// Interim measurement of the compiled dataplane (until packages/bench exists):
//   node --expose-gc scripts/measure-compiled.mjs [S|M|L|XL ...]
// Checks compiled verdicts against the reference on a sample of the trace before timing.
import { CompiledDataplane, ReferenceEvaluator, SIZES, syntheticCluster, syntheticTrace } from '../packages/core/dist/index.js';

const gc = globalThis.gc ?? (() => {});
const sizes = process.argv.slice(2).length ? process.argv.slice(2) : ['S', 'M', 'L'];
const TRACE = 1 << 20;
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

function measure(label, shape) {
  const cluster = syntheticCluster({ ...shape, seed: 1 });
  gc();
  const heap0 = process.memoryUsage().heapUsed;
  let t = performance.now();
  const dp = new CompiledDataplane(cluster);
  const compileCold = performance.now() - t;
  gc();
  const heap = process.memoryUsage().heapUsed - heap0;
  const compiles = [];
  for (let i = 0; i < 3; i++) {
    t = performance.now();
    new CompiledDataplane(cluster);
    compiles.push(performance.now() - t);
  }
  const trace = syntheticTrace(cluster, { count: TRACE, seed: 7 });
  const out = new Uint8Array(TRACE);
  // Correctness first: compiled == reference on a sample.
  const ref = new ReferenceEvaluator(cluster);
  const sample = 20_000;
  let mismatches = 0;
  let allowed = 0;
  t = performance.now();
  const refCodes = [];
  for (let i = 0; i < sample; i++) {
    const f = { src: { family: 4, value: BigInt(trace.src[i]) }, dst: { family: 4, value: BigInt(trace.dst[i]) }, protocol: trace.protocol[i], ...(trace.protocol[i] === 1 ? {} : { port: trace.port[i] }) };
    refCodes.push(ref.verdict(f).allowed);
  }
  const refNs = ((performance.now() - t) * 1e6) / sample;
  dp.verdictBatch(trace, out);
  for (let i = 0; i < sample; i++) {
    if (((out[i] & 1) === 1) !== refCodes[i]) mismatches++;
  }
  for (let i = 0; i < TRACE; i++) allowed += out[i] & 1;
  // Batch kernel: whole trace per call, 15 rounds, median.
  const rounds = [];
  for (let k = 0; k < 15; k++) {
    t = performance.now();
    dp.verdictBatch(trace, out);
    rounds.push(performance.now() - t);
  }
  const batchNs = (median(rounds) * 1e6) / TRACE;
  // Single-flow kernel path (verdict4: numbers in, byte out).
  const k = dp.kernel;
  let sink = 0;
  const singles = [];
  for (let r = 0; r < 5; r++) {
    t = performance.now();
    for (let i = 0; i < TRACE; i++) sink ^= k.verdict4(trace.src[i], trace.dst[i], trace.protocol[i], trace.port[i]);
    singles.push(performance.now() - t);
  }
  const singleNs = (median(singles) * 1e6) / TRACE;
  const s = dp.stats();
  const hot = dp.kernel.views;
  console.log(
    JSON.stringify({
      size: label,
      pods: cluster.pods.length,
      policies: cluster.policies.length,
      identities: s.identities,
      compileColdMs: +compileCold.toFixed(1),
      compileWarmMs: +median(compiles).toFixed(1),
      heapMiB: +(heap / 2 ** 20).toFixed(1),
      imageMiB: +(s.bytes / 2 ** 20).toFixed(2),
      sections: Object.fromEntries(['lpm4', 'lpm6', 'entries', 'portMap', 'portSets', 'egressMatrix', 'ingressMatrix'].map((n) => [n, hot[n].byteLength])),
      classes: { egress: s.egress, ingress: s.ingress, portClasses: s.portClasses, portSets: s.portSets, entries: s.entries },
      sampleChecked: sample,
      mismatches,
      allowedShare: +(allowed / TRACE).toFixed(3),
      referenceNsPerVerdict: +refNs.toFixed(0),
      batchNsPerVerdict: +batchNs.toFixed(2),
      batchMVerdictsPerS: +(1e3 / batchNs).toFixed(1),
      singleNsPerVerdict: +singleNs.toFixed(2),
      speedupVsReference: Math.round(refNs / batchNs),
      sink,
    }),
  );
  if (mismatches) process.exitCode = 1;
}

for (const size of sizes) {
  if (size.startsWith('pol')) {
    // Policy scaling at 10k pods: pol100, pol10000 ...
    measure(size, { pods: 10_000, policies: Number(size.slice(3)) });
  } else measure(size, SIZES[size]);
}
