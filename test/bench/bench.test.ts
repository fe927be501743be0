// The bench package's generators and its pre-timing verdict check: deterministic inputs, a
// real flow mix, and a check that passes on the real engines and aborts on a wrong one.
// No timing here: timing thresholds live in the benchmark (`pnpm bench`), never in tests.
import { execFileSync, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { CompiledDataplane, ReferenceEvaluator } from '@netpol/core';
import { buildLPM, lookup4 } from '@netpol/core/internal';
import { describe, expect, test } from 'vitest';
import { VerdictMismatchError, fnv1a, scenarioEngines, verifyEngines, type Engine } from '../../packages/bench/src/engines.js';
import { benchCluster, benchTrace, cidrAddresses, cidrPrefixes, containsScan, flowAt, sliceBatch } from '../../packages/bench/src/generators.js';

const bytesOf = (t: { src: Uint32Array; dst: Uint32Array; protocol: Uint8Array; port: Uint16Array }): string =>
  [t.src, t.dst, t.protocol, t.port].map((a) => fnv1a(new Uint8Array(a.buffer, a.byteOffset, a.byteLength))).join('');

describe('generators', () => {
  const cluster = benchCluster('M');

  test('same seed, same cluster and trace; another seed, another trace', () => {
    const again = benchCluster('M');
    expect(again.pods.map((p) => p.name)).toEqual(cluster.pods.map((p) => p.name));
    expect(again.policies).toEqual(cluster.policies);
    const a = benchTrace(cluster, { count: 5000, seed: 3 });
    const b = benchTrace(again, { count: 5000, seed: 3 });
    const c = benchTrace(cluster, { count: 5000, seed: 4 });
    expect(bytesOf(a)).toBe(bytesOf(b));
    expect(bytesOf(c)).not.toBe(bytesOf(a));
  });

  test('node addresses are unique', () => {
    const ips = cluster.nodes.flatMap((n) => n.ips.map((ip) => ip.value));
    expect(new Set(ips).size).toBe(ips.length);
  });

  test('the trace mixes pods, externals, nodes, misses, protocols and both verdicts', () => {
    const t = benchTrace(cluster, { count: 20_000, seed: 7 });
    const podIPs = new Set(cluster.pods.flatMap((p) => p.ips.filter((ip) => ip.family === 4).map((ip) => Number(ip.value))));
    const nodeIPs = new Set(cluster.nodes.flatMap((n) => n.ips.map((ip) => Number(ip.value))));
    const inPodNet = (a: number): boolean => a >>> 24 === 10;
    let podToPod = 0;
    let external = 0;
    let fromNode = 0;
    let miss = 0;
    for (let i = 0; i < t.count; i++) {
      const s = t.src[i]!;
      const d = t.dst[i]!;
      if (podIPs.has(s) && podIPs.has(d)) podToPod++;
      else if (nodeIPs.has(s)) fromNode++;
      else if ((inPodNet(s) && !podIPs.has(s)) || (inPodNet(d) && !podIPs.has(d))) miss++;
      else external++;
    }
    for (const share of [podToPod, external, fromNode, miss]) expect(share).toBeGreaterThan(t.count * 0.01);
    expect(new Set(t.protocol)).toEqual(new Set([1, 6, 17]));
    const dp = new CompiledDataplane(cluster);
    const out = new Uint8Array(t.count);
    dp.kernel.verdictBatch(t, out);
    const allowed = out.reduce((a, b) => a + (b & 1), 0);
    expect(allowed).toBeGreaterThan(0);
    expect(allowed).toBeLessThan(t.count);
  });

  test('IPv6 traces use four words per address and the dual-stack pods', () => {
    const t = benchTrace(cluster, { count: 1000, seed: 7, family: 6 });
    expect(t.family).toBeDefined();
    expect(t.src.length).toBe(4000);
    expect(flowAt(t, 0).src.family).toBe(6);
    expect(flowAt(t, 0).dst.family).toBe(6);
    const part = sliceBatch(t, 10, 5);
    expect(flowAt(part, 0)).toEqual(flowAt(t, 10));
  });

  test('CIDR prefix sets are distinct and deterministic; the LPM agrees with a plain scan', () => {
    const set = cidrPrefixes(1000, 11);
    expect(new Set(set.cidrs).size).toBe(1000);
    expect(cidrPrefixes(1000, 11).cidrs).toEqual(set.cidrs);
    const addrs = cidrAddresses(set, 4000, 13, 0.5);
    const trie = buildLPM(
      4,
      Array.from({ length: set.count }, (_, k) => ({ value: BigInt(set.base[k]!), length: set.length[k]!, entry: k + 1 })),
      0,
    );
    let hits = 0;
    for (const a of addrs) {
      const inside = containsScan(set, a);
      hits += inside ? 1 : 0;
      expect(lookup4(trie, a) !== 0).toBe(inside);
    }
    expect(hits).toBeGreaterThan(1000);
    expect(hits).toBeLessThan(3500);
  });
});

describe('verdict check before timing', () => {
  const cluster = benchCluster('S');
  const dp = new CompiledDataplane(cluster);
  const ref = new ReferenceEvaluator(cluster);
  const opts = { jsBatches: [64], nativeBatches: [64], singleBatch: 256, referenceFlows: [], referenceCallMs: 0.1 };

  test.each([4, 6] as const)('the engines agree with each other and with the reference (IPv%s)', (family) => {
    const trace = benchTrace(cluster, { count: 4096, seed: 5, family });
    const t = benchTrace(cluster, { count: 16, seed: 5, family });
    const engines = scenarioEngines(dp, ref, trace, { ...opts, referenceFlows: Array.from({ length: t.count }, (_, i) => flowAt(t, i)) });
    const v = verifyEngines('S', trace, ref, engines, 1000);
    expect(v.referenceSample).toBe(1000);
    expect(v.fullTraceEngines).toEqual(expect.arrayContaining(['js-batch@64', 'js-single']));
    expect(v.checksum).toMatch(/^[0-9a-f]{8}$/);
    // The same trace gives the same checksum.
    expect(verifyEngines('S', trace, ref, engines, 10).checksum).toBe(v.checksum);
  });

  test('an engine that gets one verdict wrong aborts the run', () => {
    const trace = benchTrace(cluster, { count: 4096, seed: 5 });
    const engines = scenarioEngines(dp, ref, trace, { ...opts, referenceFlows: [flowAt(trace, 0)] });
    const js = engines.find((e) => e.kind === 'js-batch')!;
    const wrong: Engine = {
      ...js,
      id: 'wrong@64',
      fill: (b, out) => {
        js.fill!(b, out);
        for (let i = 0; i < b.count; i++) if (b.src[i] === trace.src[4000] && b.dst[i] === trace.dst[4000]) out[i] = out[i]! ^ 1;
      },
    };
    expect(() => verifyEngines('S', trace, ref, [...engines, wrong], 100)).toThrow(VerdictMismatchError);
    expect(() => verifyEngines('S', trace, ref, [...engines, wrong], 100)).toThrow(/wrong@64 disagrees with js-batch@64 on flow #\d+/);
    // A baseline that is wrong is caught by the reference sample.
    const wrongBase: Engine = {
      ...js,
      fill: (b, out) => {
        js.fill!(b, out);
        for (let i = 0; i < b.count; i++) out[i] = out[i]! ^ 1;
      },
    };
    expect(() => verifyEngines('S', trace, ref, [wrongBase], 100)).toThrow(/disagrees with the reference evaluator/);
  });
});

test('the benchmark run itself aborts with exit 1 when an engine or the packet filter gets a verdict wrong', () => {
  // Builds the bench package (against the built @netpol/core, as `pnpm bench` does) and runs
  // it with one verdict flipped on purpose.
  const root = join(import.meta.dirname, '../..');
  const tsc = createRequire(join(root, 'packages/bench/package.json')).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', join(root, 'packages/bench/tsconfig.json')], { stdio: 'pipe' });
  const main = join(root, 'packages/bench/dist/main.js');
  const r = spawnSync(process.execPath, ['--expose-gc', main, '--quick', '--only', 'engines', '--self-test-mismatch', '--no-write'], { encoding: 'utf8' });
  expect(r.status).toBe(1);
  expect(r.stderr).toMatch(/VERDICT MISMATCH, benchmark aborted: S: js-single disagrees with js-batch@\d+ on flow #\d+/);
  // The packet path's check too.
  const p = spawnSync(process.execPath, ['--expose-gc', main, '--quick', '--only', 'packets', '--self-test-mismatch', '--no-write'], { encoding: 'utf8' });
  expect(p.status).toBe(1);
  expect(p.stderr).toMatch(/VERDICT MISMATCH, benchmark aborted: packets M: PacketFilter disagrees with verdictCode on packet #\d+/);
  expect(spawnSync(process.execPath, [main, '--bogus'], { encoding: 'utf8' }).status).toBe(2);
});
