// Background compaction (update/compaction.ts): a LiveDataplane left quiet compacts its image on
// its own, in slices on the event loop, and publishes it as an ordinary generation (same
// verdicts, smaller image, worker threads answering from it); a change drops a compaction under
// way; 'manual' never compacts on its own; nothing keeps the process alive, and after close()
// nothing runs. (The model-based test in live.test.ts interleaves compactions with random changes.)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';
import { CompiledDataplane, LiveDataplane, readText, VerdictPool, type CompactionInfo, type Flow, type LiveOptions } from '@netpol/core';
import { encodeBatch } from '../helpers.js';

/** Pods a, b, c… in namespace ns, each with its own label, and a policy isolating each one. */
function objects(count: number): string {
  const docs: string[] = [];
  for (let i = 0; i < count; i++) {
    docs.push(
      `apiVersion: v1\nkind: Pod\nmetadata: {name: p${i}, namespace: ns, labels: {app: a${i % 7}, v: "${i}"}}\nstatus: {podIP: 10.0.${Math.floor(i / 250)}.${(i % 250) + 1}}`,
    );
  }
  for (let i = 0; i < 7; i++) {
    docs.push(
      `apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: np${i}, namespace: ns}\nspec: {podSelector: {matchLabels: {app: a${i}}}, ingress: [{from: [{podSelector: {matchLabels: {app: a${(i + 1) % 7}}}}], ports: [{port: ${8000 + i}}]}]}`,
    );
  }
  return docs.join('\n---\n');
}

const ip = (i: number) => ({ family: 4 as const, value: 0x0a000000n + BigInt(Math.floor(i / 250) * 256 + (i % 250) + 1) });
function flows(count: number): Flow[] {
  const out: Flow[] = [];
  for (let s = 0; s < count; s += 3) for (let d = 0; d < count; d += 2) out.push({ src: ip(s), dst: ip(d), protocol: 6, port: 8000 + (d % 7) });
  return out;
}

/** A relabelled pod: a new identity, classes left unused behind it. */
const relabel = (i: number, v: string) => ({
  op: 'apply' as const,
  object: {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `p${i}`, namespace: 'ns', labels: { app: `a${i % 7}`, v } },
    status: { podIP: `10.0.0.${i + 1}` },
  },
});

/** A LiveDataplane of `count` pods whose next background compaction resolves `next()`. */
function quietLive(count: number, options: LiveOptions = {}) {
  let resolve: ((info: CompactionInfo) => void) | undefined;
  const live = new LiveDataplane(readText(objects(count), 'c.yaml').objects, {
    compactionIdleMs: 0,
    // Small images are mostly fixed tables (the port map), not room to grow, and under the size
    // where compaction is scheduled at all.
    compactionMinWaste: 0,
    compactionMinBytes: 0,
    ...options,
    onCompaction: (info) => resolve?.(info),
  });
  const next = () => new Promise<CompactionInfo>((r) => (resolve = r));
  return { live, next };
}

const turn = () => new Promise<void>((r) => setImmediate(r));
/** Event-loop turns until `done()` (at most `max`). */
async function until(done: () => boolean, max = 10_000): Promise<void> {
  for (let i = 0; i < max && !done(); i++) await turn();
}

const dist = pathToFileURL(join(import.meta.dirname, '../../packages/core/dist/index.js')).href;

describe('background compaction', () => {
  test('a quiet dataplane compacts on its own: a new generation, a smaller image, the same verdicts as before and as a fresh compile', async () => {
    const { live, next } = quietLive(40);
    for (let i = 0; i < 10; i++) live.apply([relabel(i, `w${i}`)]);
    const before = live.snapshot();
    const g = live.generation;
    expect(live.compactionStatus.state).toBe('waiting');
    const info = await next();
    expect(info.generation).toBe(g + 1);
    expect(live.generation).toBe(g + 1);
    expect(info.bytes).toBeLessThan(info.bytesBefore);
    expect(live.current.image.byteLength).toBe(info.bytes);
    expect(live.current.image.byteLength).toBeLessThan(before.image.byteLength);
    expect(live.compactionStatus).toMatchObject({ mode: 'auto', state: 'idle', compactions: 1, dropped: 0 });
    const fresh = new CompiledDataplane(live.cluster());
    for (const f of flows(40)) {
      expect(live.verdictCode(f)).toBe(before.verdictCode(f));
      expect(live.verdictCode(f)).toBe(fresh.verdictCode(f));
    }
    const incremental = before.image.byteLength;
    before.release();
    // Compacted and unchanged: nothing more to do until the next change, which publishes from the incremental image.
    expect(live.apply([relabel(3, 'again')])).toMatchObject({ applied: true, generation: g + 2 });
    expect(live.current.image.byteLength).toBe(incremental);
    expect((await next()).generation).toBe(g + 3);
  });

  test('a change drops a compaction under way; the next quiet period compacts the new state', async () => {
    // One step per slice: the compaction spans several turns of the event loop (it pauses between the directions' matrices, before the entries...).
    const { live, next } = quietLive(40, { compactionSliceMs: 0 });
    live.apply([relabel(1, 'x')]);
    await until(() => live.compactionStatus.state === 'running');
    expect(live.compactionStatus.state).toBe('running');
    const g = live.generation;
    const r = live.apply([relabel(2, 'y')]);
    expect(r.generation).toBe(g + 1);
    expect(live.compactionStatus).toMatchObject({ state: 'waiting', dropped: 1, compactions: 0 });
    const info = await next();
    expect(info.generation).toBe(g + 2);
    expect(info.slices).toBeGreaterThan(1);
    const fresh = new CompiledDataplane(live.cluster());
    for (const f of flows(40)) expect(live.verdictCode(f)).toBe(fresh.verdictCode(f));
  });

  test("'manual' never schedules anything; compactionMinWaste 1 never compacts (an image is never all waste)", async () => {
    const manual = new LiveDataplane(readText(objects(20), 'c.yaml').objects, { compaction: 'manual', compactionIdleMs: 0 });
    manual.apply([relabel(1, 'x')]);
    expect(manual.compactionStatus).toMatchObject({ mode: 'manual', state: 'idle', compactions: 0 });
    const dense = new LiveDataplane(readText(objects(20), 'c.yaml').objects, { compactionIdleMs: 0, compactionMinWaste: 1, compactionMinBytes: 0 });
    const g = dense.generation;
    expect(dense.compactionStatus.state).toBe('waiting');
    await until(() => dense.compactionStatus.state !== 'waiting');
    expect(dense.compactionStatus).toMatchObject({ state: 'idle', compactions: 0 });
    expect(dense.generation).toBe(g);
    // compact() still works in both.
    expect(manual.compact()).toBe(manual.generation);
  });

  test('a dataplane waiting to compact does not keep the process alive (the built package, in a child process)', () => {
    // Without unref the child would wait out the 10-minute quiet period and be killed at the timeout.
    const file = join(mkdtempSync(join(tmpdir(), 'netpol-compaction-')), 'child.mjs');
    const yaml = objects(5);
    writeFileSync(
      file,
      `const core = await import(${JSON.stringify(dist)});
const live = new core.LiveDataplane(core.readText(${JSON.stringify(yaml)}, 'c.yaml').objects, { compactionIdleMs: 600000, compactionMinWaste: 0, compactionMinBytes: 0 });
live.apply([{ op: 'apply', object: ${JSON.stringify(relabel(1, 'x').object)} }]);
console.log(live.compactionStatus.state);`,
    );
    const r = spawnSync(process.execPath, [file], { encoding: 'utf8', timeout: 60_000 });
    expect(r.stdout.trim()).toBe('waiting');
    expect(r.status).toBe(0);
  });

  test('slices follow one another while only a slow timer keeps the process alive (the built package, in a child process)', () => {
    // The slices must wake the event loop themselves: unref'd immediates did not (the poll
    // phase slept until the next 20 s tick, and the child would be killed at the timeout).
    const file = join(mkdtempSync(join(tmpdir(), 'netpol-compaction-')), 'child.mjs');
    writeFileSync(
      file,
      `const core = await import(${JSON.stringify(dist)});
const tick = setInterval(() => {}, 20000);
const live = new core.LiveDataplane(core.readText(${JSON.stringify(objects(40))}, 'c.yaml').objects, {
  compactionIdleMs: 0, compactionMinWaste: 0, compactionMinBytes: 0, compactionSliceMs: 0,
  onCompaction: (info) => { console.log(info.slices > 3 ? 'compacted' : 'too few slices ' + info.slices); clearInterval(tick); },
});`,
    );
    const r = spawnSync(process.execPath, [file], { encoding: 'utf8', timeout: 60_000 });
    expect(r.stdout.trim()).toBe('compacted');
    expect(r.status).toBe(0);
  });

  test('after close() nothing runs', async () => {
    const waiting = new LiveDataplane(readText(objects(20), 'c.yaml').objects, { compactionIdleMs: 60_000, compactionMinBytes: 0 });
    waiting.apply([relabel(1, 'x')]);
    expect(waiting.compactionStatus.state).toBe('waiting');
    waiting.close();
    expect(waiting.compactionStatus.state).toBe('closed');

    // Closed while waiting, and closed while running: neither publishes anything afterwards.
    const { live: closedWaiting } = quietLive(20);
    closedWaiting.apply([relabel(2, 'y')]);
    const { live: closedRunning } = quietLive(40, { compactionSliceMs: 0 });
    closedRunning.apply([relabel(2, 'y')]);
    await until(() => closedRunning.compactionStatus.state === 'running');
    expect(closedRunning.compactionStatus.state).toBe('running');
    const gens = [closedWaiting.generation, closedRunning.generation];
    closedWaiting.close();
    closedRunning.close();
    // A dataplane of the same size as a clock: once it has compacted, the closed ones would have too.
    const clock = quietLive(40, { compactionSliceMs: 0 });
    clock.live.apply([relabel(2, 'y')]);
    await clock.next();
    await until(() => false, 50);
    expect([closedWaiting.generation, closedRunning.generation]).toEqual(gens);
    for (const l of [closedWaiting, closedRunning]) expect(l.compactionStatus).toMatchObject({ state: 'closed', compactions: 0 });
    // Applies and explicit compaction still work, and schedule nothing.
    expect(closedRunning.apply([relabel(3, 'z')]).applied).toBe(true);
    expect(closedRunning.compactionStatus.state).toBe('closed');
    expect(closedRunning.compact()).toBe(closedRunning.generation);
  });

  test('an image under compactionMinBytes schedules nothing (default 4 MiB: a small cluster stays idle)', () => {
    const small = new LiveDataplane(readText(objects(20), 'c.yaml').objects, { compactionIdleMs: 0, compactionMinWaste: 0 });
    small.apply([relabel(1, 'x')]);
    expect(small.current.image.byteLength).toBeLessThan(4 << 20);
    expect(small.compactionStatus.state).toBe('idle');
    const gated = new LiveDataplane(readText(objects(20), 'c.yaml').objects, { compactionMinBytes: small.current.image.byteLength + 1 });
    gated.apply([relabel(1, 'x')]);
    expect(gated.compactionStatus.state).toBe('idle');
  });

  test('options are checked', () => {
    expect(() => new LiveDataplane([], { compaction: 'sometimes' as never })).toThrow(TypeError);
    expect(() => new LiveDataplane([], { compactionMinWaste: 2 })).toThrow(RangeError);
    expect(() => new LiveDataplane([], { compactionIdleMs: -1 })).toThrow(RangeError);
    expect(() => new LiveDataplane([], { compactionSliceMs: Number.NaN })).toThrow(RangeError);
    expect(() => new LiveDataplane([], { compactionMinBytes: -1 })).toThrow(RangeError);
    expect(() => new LiveDataplane([], { onCompaction: 1 as never })).toThrow(/onCompaction.*a function/);
  });

  let pool: VerdictPool | undefined;
  afterAll(async () => {
    await pool?.close();
  });

  test('worker threads answer from a background-compacted generation as the calling thread', async () => {
    pool = await VerdictPool.create({ workers: 2 });
    const { live, next } = quietLive(40, { pool });
    live.apply([relabel(1, 'x')]);
    const info = await next();
    expect(live.generation).toBe(info.generation);
    const batch = encodeBatch(flows(40));
    const want = new Uint8Array(batch.count);
    live.verdictBatch(batch, want);
    expect([...(await live.verdictBatchParallel(batch))].slice(0, batch.count)).toEqual([...want]);
    live.close();
  });
});
