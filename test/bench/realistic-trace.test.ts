// The realistic trace: pod → pod connections sampled from what the policies allow (judged by
// the reference evaluator), mostly allowed, deterministic; and the mixed trace beside it,
// both checked flow by flow against the reference and the compiled kernel.
import { CompiledDataplane, ReferenceEvaluator } from '@netpol/core';
import { describe, expect, test } from 'vitest';
import { fnv1a } from '../../packages/bench/src/engines.js';
import { benchCluster, benchTrace, flowAt } from '../../packages/bench/src/generators.js';
import { realisticTrace } from '../../packages/bench/src/realistic-trace.js';

const bytesOf = (t: { src: Uint32Array; dst: Uint32Array; protocol: Uint8Array; port: Uint16Array }): string =>
  [t.src, t.dst, t.protocol, t.port].map((a) => fnv1a(new Uint8Array(a.buffer, a.byteOffset, a.byteLength))).join('');

describe('realistic trace', () => {
  const cluster = benchCluster('M');
  const ref = new ReferenceEvaluator(cluster);
  const dp = new CompiledDataplane(cluster);
  const trace = realisticTrace(cluster, ref, { count: 4000, seed: 3, pool: 128 });

  test('every flow is pod → pod on a port, and the reference allows the share asked for (0.9 ± 0.03)', () => {
    const podIPs = new Set(cluster.pods.flatMap((p) => p.ips.filter((ip) => ip.family === 4).map((ip) => Number(ip.value))));
    let allowed = 0;
    for (let i = 0; i < trace.count; i++) {
      expect(podIPs.has(trace.src[i]!) && podIPs.has(trace.dst[i]!)).toBe(true);
      expect(trace.port[i]).toBeGreaterThan(0);
      if (ref.verdict(flowAt(trace, i)).allowed) allowed++;
    }
    expect(allowed / trace.count).toBeGreaterThan(0.87);
    expect(allowed / trace.count).toBeLessThan(0.93);
    expect(trace.shape.allowedConnections).toBeGreaterThan(0);
    expect(trace.shape.deniedConnections).toBeGreaterThan(0);
  });

  test('the compiled kernel agrees with the reference on every flow of both traces', () => {
    const mixed = benchTrace(cluster, { count: 4000, seed: 3 });
    for (const t of [trace, mixed]) {
      const out = new Uint8Array(t.count);
      dp.kernel.verdictBatch(t, out);
      for (let i = 0; i < t.count; i++) expect(dp.verdictCode(flowAt(t, i)), `flow #${i}`).toBe(out[i]);
      for (let i = 0; i < t.count; i += 7) expect((out[i]! & 1) === 1, `flow #${i}`).toBe(ref.verdict(flowAt(t, i)).allowed);
    }
  });

  test('the mixed trace is mostly denied, the realistic one mostly allowed', () => {
    const mixed = benchTrace(cluster, { count: 4000, seed: 3 });
    const share = (t: typeof mixed | typeof trace): number => {
      const out = new Uint8Array(t.count);
      dp.kernel.verdictBatch(t, out);
      return out.reduce((a, b) => a + (b & 1), 0) / t.count;
    };
    expect(share(mixed)).toBeLessThan(0.5);
    expect(share(trace)).toBeGreaterThan(0.85);
  });

  test('locality: the hottest connection carries far more than an even share', () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < trace.count; i++) {
      const k = `${trace.src[i]}>${trace.dst[i]}:${trace.protocol[i]}/${trace.port[i]}`;
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    const top = Math.max(...counts.values());
    expect(top).toBeGreaterThan((5 * trace.count) / counts.size);
  });

  test('same seed, same bytes; another seed, other bytes; allowedShare 0 gives denied flows only', () => {
    expect(bytesOf(realisticTrace(cluster, ref, { count: 4000, seed: 3, pool: 128 }))).toBe(bytesOf(trace));
    expect(bytesOf(realisticTrace(cluster, ref, { count: 4000, seed: 4, pool: 128 }))).not.toBe(bytesOf(trace));
    const denied = realisticTrace(cluster, ref, { count: 500, seed: 3, pool: 64, allowedShare: 0 });
    for (let i = 0; i < denied.count; i++) expect(ref.verdict(flowAt(denied, i)).allowed).toBe(false);
  });

  test('IPv6: four words per address, the dual-stack pods, judged like IPv4', () => {
    const t6 = realisticTrace(cluster, ref, { count: 500, seed: 3, family: 6, pool: 64 });
    expect(t6.family).toBeDefined();
    expect(t6.src.length).toBe(2000);
    const out = new Uint8Array(t6.count);
    dp.kernel.verdictBatch(t6, out);
    for (let i = 0; i < t6.count; i += 5) expect((out[i]! & 1) === 1).toBe(ref.verdict(flowAt(t6, i)).allowed);
  });
});
