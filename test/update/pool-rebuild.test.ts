/**
 * LiveDataplane with a VerdictPool across rebuilds: image ids stay unique (a rebuilt
 * dataplane's copies never collide with the retired ones), retired copies leave the pool, and
 * parallel verdicts keep matching the calling thread's after every apply.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LiveDataplane, VerdictPool, readFiles } from '@netpol/core';
import { join } from 'node:path';

const root = join(import.meta.dirname, '../..');
const fixtures = ['test/fixtures/pcap/cluster.yaml', 'test/fixtures/pcap/policies.yaml'].map((f) => join(root, f));

const pod = (i: number) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: `p${i % 50}`, namespace: 'demo', labels: { app: `a${i % 7}`, v: `v${i}` } },
  spec: { nodeName: 'worker' },
  status: { phase: 'Running', podIP: `10.244.2.${i % 50}` },
});
const allowAll = {
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name: 'allow-all', namespace: 'demo' },
  spec: { podSelector: {}, ingress: [{}] },
};

const n = 4096;
const batch = {
  count: n,
  src: new Uint32Array(n).fill(0x0af4010b),
  dst: new Uint32Array(n).fill(0x0af40114),
  protocol: new Uint8Array(n).fill(6),
  port: new Uint16Array(n).fill(8080),
};
/** Images the pool holds (private: what grew without bound before). */
const registered = (pool: VerdictPool): number => (pool as unknown as { images: Map<number, unknown> }).images.size;

describe('LiveDataplane + VerdictPool across rebuilds', () => {
  let pool: VerdictPool;
  beforeAll(async () => {
    pool = await VerdictPool.create({ workers: 2 });
  });
  afterAll(async () => {
    await pool.close();
  });

  it('parallel verdicts match after every apply, rebuilds included, and the pool holds a bounded number of images', async () => {
    const live = new LiveDataplane(readFiles(fixtures).objects, { pool, rebuildAfterUnused: 64 });
    let rebuilds = 0;
    let most = 0;
    for (let i = 0; i < 400; i++) {
      const changes = [
        { op: 'apply' as const, object: pod(i) },
        i % 2 === 0
          ? { op: 'apply' as const, object: allowAll }
          : { op: 'delete' as const, kind: 'NetworkPolicy' as const, namespace: 'demo', name: 'allow-all' },
      ];
      const r = live.apply(changes);
      expect(r.applied).toBe(true);
      if (r.strategy === 'rebuild') rebuilds++;
      const single = new Uint8Array(n);
      live.verdictBatch(batch, single);
      const parallel = await live.verdictBatchParallel(batch);
      expect(parallel).toEqual(single);
      most = Math.max(most, registered(pool));
    }
    expect(rebuilds).toBeGreaterThan(2);
    // The current copy and one spare (SPARE = 2), plus one on its way out.
    expect(most).toBeLessThanOrEqual(3);
  });

  it('two live dataplanes sharing a pool never collide on image ids', async () => {
    const a = new LiveDataplane(readFiles(fixtures).objects, { pool });
    const b = new LiveDataplane(readFiles(fixtures).objects, { pool, rebuildAfterUnused: 64 });
    for (let i = 0; i < 5; i++) b.apply([{ op: 'apply', object: pod(i) }]);
    const single = new Uint8Array(n);
    a.verdictBatch(batch, single);
    expect(await a.verdictBatchParallel(batch)).toEqual(single);
    b.verdictBatch(batch, single);
    expect(await b.verdictBatchParallel(batch)).toEqual(single);
  });

  it('a snapshot pinned across a rebuild keeps answering, and its copy leaves the pool once released', async () => {
    const live = new LiveDataplane(readFiles(fixtures).objects, { pool, rebuildAfterUnused: 64 });
    const pinned = live.snapshot();
    const before = registered(pool);
    let i = 0;
    while (
      live.apply([
        { op: 'apply', object: pod(i) },
        i % 2 === 0 ? { op: 'apply', object: allowAll } : { op: 'delete', kind: 'NetworkPolicy', namespace: 'demo', name: 'allow-all' },
      ]).strategy !== 'rebuild'
    )
      i++;
    const out = new Uint8Array(n);
    expect(() => pinned.verdictBatch(batch, out)).not.toThrow();
    const held = registered(pool);
    pinned.release(); // removeImage forgets the id at once (the workers' part follows)
    expect(registered(pool)).toBeLessThan(held);
    expect(registered(pool)).toBeLessThanOrEqual(before + 2);
  });
});
