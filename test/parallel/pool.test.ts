/**
 * VerdictPool: the bytes it returns are Kernel.verdictBatch's (and CompiledDataplane's), for
 * IPv4-only and four-word (dual-stack, flags, malformed family) batches of every awkward
 * size, under concurrent calls and with two images registered; failures reject, never hang.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CompiledDataplane, Kernel, VerdictPool, compile, nativeStatus, type Cluster, type Flow, type FlowBatch, type IPAddress } from '@netpol/core';
import { Random, syntheticCluster, syntheticTrace } from '@netpol/core/internal';
import { encodeBatch } from '../helpers.js';

const cluster = syntheticCluster({ pods: 400, policies: 40, dualStack: 0.5, seed: 3 });
// The same pods with no policies: everything is allowed, so verdicts must differ from `cluster`'s.
const open: Cluster = { ...cluster, policies: [] };

/** Dual-stack flows: IPv6 pod↔pod, external and miss addresses, IPv4 ones, replies, ICMPv6 ND. */
function dualStackFlows(count: number, seed: number): Flow[] {
  const r = new Random(seed);
  const v6 = cluster.pods.flatMap((p) => p.ips.filter((ip) => ip.family === 6).map((ip) => ({ ip, pod: p })));
  const v4 = cluster.pods.flatMap((p) => p.ips.filter((ip) => ip.family === 4).map((ip) => ({ ip, pod: p })));
  const ext6 = (): IPAddress => ({ family: 6, value: (0x2001_0db8n << 96n) | BigInt(r.int(1, 1 << 20)) });
  const miss6 = (): IPAddress => ({ family: 6, value: (0xfd00n << 112n) | BigInt(r.int(1, 1 << 24)) });
  const flows: Flow[] = [];
  for (let i = 0; i < count; i++) {
    const six = r.next() < 0.7;
    const pool = six ? v6 : v4;
    const a = r.pick(pool);
    const b = r.pick(pool);
    const u = r.next();
    const src = !six || u < 0.6 ? a.ip : u < 0.8 ? ext6() : miss6();
    const dst = !six || u >= 0.6 ? b.ip : r.next() < 0.5 ? ext6() : miss6();
    const served = b.pod.ports.length > 0 && r.next() < 0.6 ? r.pick(b.pod.ports) : undefined;
    const base = served
      ? { protocol: { TCP: 6, UDP: 17, SCTP: 132 }[served.protocol], port: served.port }
      : r.next() < 0.15
        ? { protocol: six ? 58 : 1, icmpType: six ? r.int(128, 137) : 8 }
        : { protocol: r.pick([6, 17, 132]), port: r.int(1, 65535) };
    flows.push({ src, dst, ...base, ...(r.next() < 0.1 && { established: true }) });
  }
  return flows;
}

function expected(image: ArrayBuffer | SharedArrayBuffer, batch: FlowBatch): Uint8Array {
  const out = new Uint8Array(batch.count);
  new Kernel(image).verdictBatch(batch, out);
  return out;
}

/** The first `n` flows of a batch, as views (arrays longer than the count are allowed too). */
function head(b: FlowBatch, n: number): FlowBatch {
  const w = b.family ? 4 : 1;
  return {
    count: n,
    src: b.src.subarray(0, n * w),
    dst: b.dst.subarray(0, n * w),
    protocol: b.protocol.subarray(0, n),
    port: b.port.subarray(0, n),
    ...(b.family && { family: b.family.subarray(0, n) }),
    ...(b.flags && { flags: b.flags.subarray(0, n) }),
  };
}

const shared = (c: Cluster) => compile(c, { shared: true }).image as SharedArrayBuffer;
const image = shared(cluster);
const openImage = shared(open);
const v4 = syntheticTrace(cluster, { count: 20_011, seed: 5 });
const dual = encodeBatch(dualStackFlows(9_001, 11));
dual.family[17] = 0; // a malformed family: 0x80, as the kernel writes it
dual.family[4000] = 5;

describe.each(['off', 'auto'] as const)('VerdictPool, native %s', (native) => {
  let pool: VerdictPool;
  beforeAll(async () => {
    pool = await VerdictPool.create({ workers: 3, native }); // 3 > cores here: chunks still line up
    await pool.addImage(1, image);
    await pool.addImage(2, openImage);
  });
  afterAll(() => pool.close());

  it('equals Kernel.verdictBatch and CompiledDataplane on IPv4 batches of every size', async () => {
    const dp = new CompiledDataplane(cluster);
    for (const n of [0, 1, 7, 2048, 2049, 3 * 2048 + 5, 20_011]) {
      const b = head(v4, n);
      const want = expected(image, b);
      const viaDataplane = new Uint8Array(n);
      dp.verdictBatch(b, viaDataplane);
      expect(want).toEqual(viaDataplane);
      expect(await pool.verdictBatch(1, b), `n=${n}`).toEqual(want);
    }
    expect(pool.size).toBe(3);
    // Workers load the addon exactly when this thread can (NETPOL_NATIVE=0 reaches them too).
    expect(pool.native).toBe(native === 'auto' && nativeStatus().active);
  });

  it('equals Kernel.verdictBatch on four-word batches: IPv6, IPv4, flags, bad families', async () => {
    const want = expected(image, dual);
    expect(want[17]).toBe(0x80);
    expect(new Set(want).size).toBeGreaterThan(4); // the batch exercises many outcomes
    for (const n of [1, 7, 4001, 9_001]) expect(await pool.verdictBatch(1, head(dual, n)), `n=${n}`).toEqual(want.subarray(0, n));
    // Flags without family (IPv4 words) take the kernel's general loop.
    const flagged = { ...v4, flags: new Uint8Array(v4.count).map((_, i) => (i % 5 === 0 ? 1 : 0)) };
    expect(await pool.verdictBatch(1, flagged)).toEqual(expected(image, flagged));
  });

  it('writes into the given out, and only its first count bytes', async () => {
    const out = new Uint8Array(5000).fill(0xaa);
    const result = await pool.verdictBatch(1, head(v4, 4999), out);
    expect(result).toBe(out);
    expect(out.subarray(0, 4999)).toEqual(expected(image, head(v4, 4999)));
    expect(out[4999]).toBe(0xaa);
    await expect(pool.verdictBatch(1, v4, new Uint8Array(10))).rejects.toThrow(/out needs 20011/);
  });

  it('answers concurrent calls on two images, each from its own image', async () => {
    const calls = [
      [1, v4],
      [2, v4],
      [1, dual],
      [2, dual],
      [1, head(v4, 7)],
      [2, head(dual, 3000)],
      [1, head(dual, 5000)],
    ] as const;
    const results = await Promise.all(calls.map(([id, b]) => pool.verdictBatch(id, b)));
    calls.forEach(([id, b], i) => expect(results[i], `call ${i}`).toEqual(expected(id === 1 ? image : openImage, b)));
    expect(results[0]).not.toEqual(results[1]); // the two images really answer differently
    expect(results[2]).not.toEqual(results[3]);
  });

  it('rejects unknown, removed and malformed images', async () => {
    await expect(pool.verdictBatch(99, v4)).rejects.toThrow(/unknown image id 99/);
    await expect(pool.verdictBatch(99, head(v4, 0))).rejects.toThrow(/unknown image id 99/);
    await pool.addImage(3, image);
    expect((await pool.verdictBatch(3, head(v4, 100))).length).toBe(100);
    await pool.removeImage(3);
    await expect(pool.verdictBatch(3, head(v4, 100))).rejects.toThrow(/unknown image id 3/);
    await expect(pool.addImage(1, image)).rejects.toThrow(/already registered/);
    const garbage = new SharedArrayBuffer(4096);
    await expect(pool.addImage(4, garbage)).rejects.toThrow(/image 4 refused: .*netpol image: magic: /);
    await expect(pool.verdictBatch(4, head(v4, 10))).rejects.toThrow(/unknown image id 4/);
    await expect(pool.addImage(5, compile(cluster).image as SharedArrayBuffer)).rejects.toThrow(/SharedArrayBuffer/);
    // The pool is still fine afterwards.
    expect(await pool.verdictBatch(1, v4)).toEqual(expected(image, v4));
  });
});

describe('VerdictPool failures', () => {
  it('rejects bad options', async () => {
    await expect(VerdictPool.create({ workers: 0 })).rejects.toThrow(/positive integer/);
    await expect(VerdictPool.create({ native: 'on' as 'off' })).rejects.toThrow('VerdictPool options: option "native" must be one of "auto", "off", not "on"');
  });

  it('rejects every call after close, including one in flight', async () => {
    const pool = await VerdictPool.create({ workers: 2 });
    await pool.addImage(1, image);
    const inFlight = expect(pool.verdictBatch(1, v4)).rejects.toThrow(/closed/);
    await pool.close();
    await inFlight;
    await expect(pool.verdictBatch(1, v4)).rejects.toThrow(/VerdictPool is closed/);
    await expect(pool.addImage(2, image)).rejects.toThrow(/VerdictPool is closed/);
    await pool.close(); // twice is fine
  });

  it('rejects the call a worker dies under, and every later one', async () => {
    const pool = await VerdictPool.create({ workers: 2, native: 'off' });
    await pool.addImage(1, image);
    // A crash from outside: the worker goes away with its chunk unanswered.
    const workers = (pool as unknown as { slots: { worker: import('node:worker_threads').Worker }[] }).slots;
    const call = pool.verdictBatch(1, v4);
    void workers[0]!.worker.terminate();
    await expect(call).rejects.toThrow(/worker 0 exited/);
    await expect(pool.verdictBatch(1, v4)).rejects.toThrow(/unusable after a worker failure \(VerdictPool worker 0 exited/);
    await pool.close();
  });
});

describe('VerdictPool.sharedBatch (zero copy)', () => {
  it('flows and verdicts in one SharedArrayBuffer: same bytes as the calling thread, concurrent calls included', async () => {
    const cluster = syntheticCluster({ pods: 300, policies: 30, seed: 5 });
    const dp = new CompiledDataplane(cluster, { shared: true, native: 'off' });
    const trace = syntheticTrace(cluster, { count: 9000, seed: 3 });
    const pool = await VerdictPool.create({ workers: 2 });
    try {
      await pool.addImage(1, dp.image as SharedArrayBuffer);
      const shared = [0, 4500].map((from) => {
        const n = 4500;
        const s = VerdictPool.sharedBatch(n);
        s.batch.src.set(trace.src.subarray(from, from + n));
        s.batch.dst.set(trace.dst.subarray(from, from + n));
        s.batch.port.set(trace.port.subarray(from, from + n));
        s.batch.protocol.set(trace.protocol.subarray(from, from + n));
        return s;
      });
      const want = shared.map(({ batch }) => {
        const o = new Uint8Array(batch.count);
        dp.verdictBatchJS(batch, o);
        return o;
      });
      shared.forEach(({ out }) => out.fill(0xee));
      const got = await Promise.all(shared.map(({ batch, out }) => pool.verdictBatch(1, batch, out)));
      got.forEach((o, i) => {
        expect(o).toBe(shared[i]!.out); // written in place
        expect([...o]).toEqual([...want[i]!]);
      });
    } finally {
      await pool.close();
    }
  });
});
