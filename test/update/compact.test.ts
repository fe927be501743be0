// Compaction (compile/live/compact.ts, LiveDataplane.compact): the live image at a compiled
// image's density gives every flow the verdict bytes of the incremental image it was made
// from and of a fresh compile, after any sequence of changes (churn leaves unused classes
// behind, which compaction drops); published as a generation, it leaves snapshots, explain,
// later applies and worker threads as they were.
import fc from 'fast-check';
import { afterAll, describe, expect, test } from 'vitest';
import { CompiledDataplane, ImageDataplane, LiveDataplane, readText, VerdictPool, type Cluster, type Flow, type IPAddress } from '@netpol/core';
import { LiveCompiler } from '../../packages/core/src/compile/live/compiler.js';
import type { NameClasses } from '../../packages/core/src/compile/name-classes.js';
import { ENTRY, ENTRY_HALF, ENTRY_HALVES, ENTRY_STRIDE, HEADER, sectionViews, type ImageViews } from '../../packages/core/src/compile/layout.js';
import { clusterArbitrary, flowArbitrary } from '../../packages/core/src/fuzz/arbitraries.js';
import { encodeBatch, runs } from '../helpers.js';
import { applyOp, opArbitrary } from './compiler-ops.js';

/** An image read as a generation reads it: destination names through the compiler's classes. */
class Image extends ImageDataplane {
  constructor(
    buffer: ArrayBuffer | SharedArrayBuffer,
    private readonly names: NameClasses,
  ) {
    super(buffer, { native: 'off' });
  }
  override nameClassOf(flow: Flow): number {
    return this.names.classOf(flow.dstName);
  }
}

/**
 * Every cell a pair of entries in use can read (local row of one, peer column of the other,
 * both directions) holds in the compact image what it holds in the master.
 */
function sameCells(compiler: LiveCompiler, compact: ArrayBuffer | SharedArrayBuffer): void {
  const a = compiler.master.views;
  const b = sectionViews(compact);
  const used: number[] = [];
  for (let e = 0; e < b.header[HEADER.entryCount]!; e++) if (compiler.entryProvenance(e)) used.push(e);
  for (const [row, group, col, matrix, peers] of [
    [ENTRY.egressRow, ENTRY_HALF.egressGroup, ENTRY_HALF.egressCol, 'egressMatrix', HEADER.egressPeerCount],
    [ENTRY.ingressRow, ENTRY_HALF.ingressGroup, ENTRY_HALF.ingressCol, 'ingressMatrix', HEADER.ingressPeerCount],
  ] as const) {
    // IMAGE.md: M[row + M[group × peerCount + col]]; row 0 (not isolated) reads nothing.
    const cell = (v: ImageViews, i: number, j: number): number => {
      const r = v.entries[i * ENTRY_STRIDE + row]!;
      const m = v[matrix];
      const map = v.entryHalves[i * ENTRY_HALVES + group]! * v.header[peers]!;
      return r === 0 ? 0 : m[r + m[map + v.entryHalves[j * ENTRY_HALVES + col]!]!]!;
    };
    for (const i of used) for (const j of used) expect(cell(b, i, j), `${matrix} ${i} ${j}`).toBe(cell(a, i, j));
  }
}

/** Every pair of pod, node and ipBlock addresses (of the cluster, and of `more`'s pods), on ports the policies name. */
function pairs(cluster: Cluster, more: Cluster): Flow[] {
  const addresses = new Map<string, IPAddress>();
  const add = (ip: IPAddress): void => void addresses.set(`${ip.family}/${ip.value}`, ip);
  for (const p of [...cluster.pods, ...more.pods]) p.ips.forEach(add);
  for (const n of cluster.nodes) n.ips.forEach(add);
  const ports = new Set<number>([80]);
  for (const p of cluster.policies) {
    for (const r of [...p.ingress, ...p.egress]) {
      for (const port of r.ports) if (typeof port.port === 'number') ports.add(port.port);
      for (const peer of r.peers) if (peer.kind === 'ipBlock') add({ family: peer.ipBlock.cidr.family, value: peer.ipBlock.cidr.base });
    }
  }
  for (const p of cluster.pods) for (const cp of p.ports) ports.add(cp.port);
  const list = [...addresses.values()];
  const out: Flow[] = [];
  for (const src of list)
    for (const dst of list) if (src.family === dst.family) for (const port of [...ports].slice(0, 4)) out.push({ src, dst, protocol: 6, port });
  return out;
}

describe('compaction', () => {
  test('after every change, the compact image answers as the incremental one and a fresh compile, and is no larger', () => {
    const op = opArbitrary(['pod', 'pod', 'pod', 'policy', 'policy', 'cluster-policy', 'namespace', 'node', 'delete', 'delete']);
    const tiers = { maxClusterPolicies: 3 };
    fc.assert(
      fc.property(clusterArbitrary(tiers), clusterArbitrary(tiers), fc.array(op, { maxLength: 25 }), fc.integer(), (a, b, ops, seed) => {
        const compiler = new LiveCompiler({ namespaces: [], pods: [], nodes: [], policies: [] });
        for (const o of ops) {
          applyOp(compiler, o, a, b);
          const compact = compiler.compactImage(false);
          const names = compiler.nameClasses();
          const small = new Image(compact, names); // validates the image
          const live = new Image(compiler.master.buffer, names);
          const cluster = compiler.cluster();
          const fresh = new CompiledDataplane(cluster, { native: 'off' });
          expect(compact.byteLength).toBeLessThanOrEqual(compiler.master.buffer.byteLength);
          sameCells(compiler, compact);
          const flows = [...pairs(cluster, a), ...fc.sample(flowArbitrary(cluster), { numRuns: 30, seed })] as Flow[];
          for (const f of flows) {
            const want = live.verdictCode(f);
            expect(small.verdictCode(f)).toBe(want);
            if (f.dstName === undefined) expect(fresh.verdictCode(f)).toBe(want);
          }
        }
      }),
      { numRuns: runs(40) },
    );
  });

  const yaml = [
    'apiVersion: v1\nkind: Pod\nmetadata: {name: db, namespace: a, labels: {app: db}}\nstatus: {podIP: 10.0.0.1}',
    'apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: a, labels: {app: web}}\nstatus: {podIP: 10.0.0.2}',
    'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: db, namespace: a}\nspec: {podSelector: {matchLabels: {app: db}}, ingress: [{from: [{podSelector: {matchLabels: {app: web}}}]}]}',
  ].join('\n---\n');
  const ip = (last: number) => ({ family: 4 as const, value: 0x0a000000n + BigInt(last) });
  const webToDb: Flow = { src: ip(2), dst: ip(1), protocol: 6, port: 5432 };
  const dbToWeb: Flow = { src: ip(1), dst: ip(2), protocol: 6, port: 80 };

  test('LiveDataplane.compact publishes a generation with the same verdicts and explanations; snapshots and later applies are unaffected', () => {
    const live = new LiveDataplane(readText(yaml, 'init.yaml').objects);
    // Churn first: classes left unused.
    for (let i = 0; i < 5; i++)
      live.apply([
        {
          op: 'apply',
          object: {
            apiVersion: 'v1',
            kind: 'Pod',
            metadata: { name: 'web', namespace: 'a', labels: { app: 'web', v: `${i}` } },
            status: { podIP: '10.0.0.2' },
          },
        },
      ]);
    const before = live.snapshot();
    const explained = live.explain(webToDb);
    const g = live.compact();
    expect(g).toBe(before.generation + 1);
    expect(live.generation).toBe(g);
    expect(live.current.image.byteLength).toBeLessThan(before.image.byteLength);
    for (const f of [webToDb, dbToWeb]) expect(live.verdict(f)).toEqual(before.verdict(f));
    expect(live.explain(webToDb)).toEqual(explained);
    expect(before.verdict(webToDb).allowed).toBe(true); // the pinned generation still answers
    before.release();
    // The next change publishes from the incremental image again.
    const r = live.apply([{ op: 'delete', kind: 'NetworkPolicy', namespace: 'a', name: 'db' }]);
    expect(r).toMatchObject({ applied: true, generation: g + 1 });
    const fresh = new CompiledDataplane(live.cluster());
    for (const f of [webToDb, dbToWeb]) expect(live.verdict(f)).toEqual(fresh.verdict(f));
    expect(live.compact()).toBe(g + 2);
    for (const f of [webToDb, dbToWeb]) expect(live.verdict(f)).toEqual(fresh.verdict(f));
  });

  let pool: VerdictPool | undefined;
  afterAll(async () => {
    await pool?.close();
  });

  test('worker threads answer from the compacted generation as the calling thread', async () => {
    pool = await VerdictPool.create({ workers: 2 });
    const live = new LiveDataplane(readText(yaml, 'init.yaml').objects, { pool });
    live.compact();
    const flows = [webToDb, dbToWeb, { ...webToDb, port: 1 }];
    const batch = encodeBatch(flows);
    const out = await live.verdictBatchParallel(batch);
    const want = new Uint8Array(flows.length);
    live.verdictBatch(batch, want);
    expect([...out.subarray(0, flows.length)]).toEqual([...want]);
    expect(want[0]! & 1).toBe(1);
  });
});
