/**
 * VerdictPool on images with cluster-scoped tiers: the verdict bytes (Admin and Baseline
 * decision codes, name classes through FlowBatch.nameClass) are the single-flow path's, for
 * arena-copied and zero-copy shared batches, compiled and live images alike; a name class the
 * image does not have is the malformed byte, as the kernel writes it.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CompiledDataplane, LiveDataplane, readText, VerdictPool, type Cluster, type Flow, type FlowBatch } from '@netpol/core';
import { MALFORMED } from '../../packages/core/src/compile/layout.js';
import { clusterArbitrary, flowArbitrary } from '../../packages/core/src/fuzz/arbitraries.js';
import { clusterToYaml } from '../../packages/core/src/fuzz/to-yaml.js';
import { hasPorts } from '../../packages/core/src/model/protocol.js';
import { encodeBatch } from '../helpers.js';

/** Flows a batch can carry (one family, a port where the protocol has ports), repeated to `count`. */
function batchable(cluster: Cluster, count: number, seed: number): Flow[] {
  const flows = (fc.sample(flowArbitrary(cluster), { numRuns: 200, seed }) as Flow[]).filter(
    (f) => f.src.family === f.dst.family && (f.port !== undefined || !hasPorts(f.protocol)),
  );
  return Array.from({ length: count }, (_, i) => flows[i % flows.length]!);
}

/** The batch with each flow's destination name as the image's name class. */
const withNames = (flows: readonly Flow[], nameClass: (name: string | undefined) => number): FlowBatch => ({
  ...encodeBatch(flows),
  nameClass: Uint16Array.from(flows, (f) => nameClass(f.dstName)),
});

const hasDomainNames = (c: Cluster): boolean => (c.clusterPolicies ?? []).some((p) => p.egress.some((r) => r.peers.some((x) => x.kind === 'domainNames')));
const tiered = clusterArbitrary({ maxClusterPolicies: 4 }).filter((c) => (c.clusterPolicies ?? []).length >= 2);
/** Clusters with cluster-scoped policies (every peer kind), half of them with domainNames peers. */
const clusters = [...fc.sample(tiered, { numRuns: 6, seed: 7 }), ...fc.sample(tiered.filter(hasDomainNames), { numRuns: 6, seed: 7 })];

let pool: VerdictPool;
beforeAll(async () => {
  pool = await VerdictPool.create({ workers: 2 });
});
afterAll(async () => {
  await pool.close();
});

describe('VerdictPool with tiers', () => {
  it('answers each flow as the compiled dataplane does flow by flow, names included', async () => {
    let tiered = 0;
    let named = 0;
    for (const [i, cluster] of clusters.entries()) {
      const dp = new CompiledDataplane(cluster, { shared: true, native: 'off' });
      // Large enough to be split across both workers.
      const flows = batchable(cluster, 9_000, i);
      const want = flows.map((f) => dp.verdictCode(f));
      const id = pool.newImageId();
      await pool.addImage(id, dp.image as SharedArrayBuffer, { mutable: false });
      const got = await pool.verdictBatch(
        id,
        withNames(flows, (n) => (n === undefined ? 0 : dp.nameClass(n))),
      );
      expect([...got]).toEqual(want);
      await pool.removeImage(id);
      tiered += want.filter((b) => ((b >> 1) & 7) >= 4 || ((b >> 4) & 7) >= 4).length;
      named += flows.filter((f) => f.dstName !== undefined && dp.nameClass(f.dstName) !== 0).length;
    }
    // The flows exercise the tiers, and names that fall in a class of their own.
    expect(tiered).toBeGreaterThan(1000);
    expect(named).toBeGreaterThan(20);
  });

  it('zero-copy shared batches carry the name classes too; a class the image lacks is malformed', async () => {
    const cluster = clusters.find(hasDomainNames)!;
    const dp = new CompiledDataplane(cluster, { shared: true, native: 'off' });
    const flows = batchable(cluster, 5_000, 3);
    const src = withNames(flows, (n) => (n === undefined ? 0 : dp.nameClass(n)));
    const { batch, out } = VerdictPool.sharedBatch(flows.length, { family: true, flags: true, nameClass: true });
    for (const k of ['src', 'dst', 'family', 'protocol', 'port', 'flags', 'nameClass'] as const) (batch[k] as Uint8Array).set(src[k] as Uint8Array);
    const classes = dp.stats().tiers.nameClasses;
    batch.nameClass![10] = classes; // one past the last class
    const id = pool.newImageId();
    await pool.addImage(id, dp.image as SharedArrayBuffer, { mutable: false });
    await pool.verdictBatch(id, batch, out);
    await pool.removeImage(id);
    const want = flows.map((f, i) => (i === 10 ? MALFORMED : dp.verdictCode(f)));
    expect([...out]).toEqual(want);
  });

  it('a live dataplane on worker threads answers as its published generation, across a cluster-scoped policy change', async () => {
    const cluster = clusters.find((c) => (c.clusterPolicies ?? []).length >= 2)!;
    const objects = readText(clusterToYaml(cluster), 'tiers.yaml').objects;
    const live = new LiveDataplane(objects, { pool, native: 'off' });
    const flows = batchable(cluster, 6_000, 5);
    const batchOf = () => withNames(flows, (n) => live.nameClass(n));
    expect([...(await live.verdictBatchParallel(batchOf()))]).toEqual(flows.map((f) => live.verdictCode(f)));
    // Without one of its cluster-scoped policies: the tier part is recomputed, the pool follows.
    const gone = objects.find(
      (o) => /NetworkPolicy$/.test(String((o.value as { kind: string }).kind)) && (o.value as { kind: string }).kind !== 'NetworkPolicy',
    )!.value as { kind: 'ClusterNetworkPolicy'; metadata: { name: string } };
    expect(live.apply([{ op: 'delete', kind: gone.kind, name: gone.metadata.name }]).applied).toBe(true);
    expect([...(await live.verdictBatchParallel(batchOf()))]).toEqual(flows.map((f) => live.verdictCode(f)));
  });
});
