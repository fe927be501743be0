// A VerdictPool serves a saved image read from a file (readImageFile with `shared`): the
// workers answer each flow with the compiled dataplane's verdict byte, name classes from the
// saved table; an image that breaks an invariant behind a valid hash passes the envelope
// checks (they are constant-time) and is refused by the workers, which validate every image.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { compile, CompiledDataplane, readImageFile, saveImage, VerdictPool, type Cluster, type Flow } from '@netpol/core';
import { clusterArbitrary, flowArbitrary } from '../../packages/core/src/fuzz/arbitraries.js';
import { hasPorts } from '../../packages/core/src/model/protocol.js';
import { encodeBatch, scratchFile } from '../helpers.js';

const hasDomainNames = (c: Cluster): boolean => (c.clusterPolicies ?? []).some((p) => p.egress.some((r) => r.peers.some((x) => x.kind === 'domainNames')));
const clusters = fc.sample(clusterArbitrary({ maxClusterPolicies: 4 }).filter(hasDomainNames), { numRuns: 4, seed: 9 });

/** Flows a batch carries, repeated past the size at which the pool splits a batch over its workers. */
function batchable(cluster: Cluster, seed: number): Flow[] {
  const flows = (fc.sample(flowArbitrary(cluster), { numRuns: 200, seed }) as Flow[]).filter(
    (f) => f.src.family === f.dst.family && (f.port !== undefined || !hasPorts(f.protocol)),
  );
  return Array.from({ length: 6000 }, (_, i) => flows[i % flows.length]!);
}

let pool: VerdictPool;
beforeAll(async () => {
  pool = await VerdictPool.create({ workers: 2 });
});
afterAll(async () => {
  await pool.close();
});

describe('VerdictPool over a saved image', () => {
  test('the workers answer as the compiled dataplane, names included', async () => {
    for (const [i, cluster] of clusters.entries()) {
      const path = scratchFile('pool.npimg', '');
      saveImage(compile(cluster), path);
      const saved = readImageFile(path, { shared: true });
      expect(saved.image).toBeInstanceOf(SharedArrayBuffer);
      const dp = new CompiledDataplane(cluster, { native: 'off' });
      const flows = batchable(cluster, i);
      const id = pool.newImageId();
      await pool.addImage(id, saved.image as SharedArrayBuffer, { mutable: false });
      const got = await pool.verdictBatch(id, { ...encodeBatch(flows), nameClass: Uint16Array.from(flows, (f) => saved.nameClass(f.dstName)) });
      expect([...got]).toEqual(flows.map((f) => dp.verdictCode(f)));
      await pool.removeImage(id);
    }
  });

  test('an image broken behind a valid hash is refused by the workers', async () => {
    const path = scratchFile('bad.npimg', '');
    saveImage(compile(clusters[0]!), path);
    const bytes = new Uint8Array(readFileSync(path));
    const view = new DataView(bytes.buffer);
    const meta = view.getUint32(16, true);
    const image = 64 + meta;
    // Entry 0's egress row (word 1) past the egress matrix (header word 28: the entries section's offset).
    const entries = view.getUint32(image + 28 * 4, true);
    view.setUint32(image + entries + 1 * 4, 0xffff, true);
    bytes.set(createHash('sha256').update(bytes.subarray(0, 32)).update(bytes.subarray(64, image)).update(bytes.subarray(image)).digest(), 32);
    writeFileSync(path, bytes);
    const saved = readImageFile(path, { shared: true });
    await expect(pool.addImage(pool.newImageId(), saved.image as SharedArrayBuffer, { mutable: false })).rejects.toThrow(/entry-row/);
  });
});
