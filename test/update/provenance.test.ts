// The live compiler's provenance (what explain reads: the pod, identity and ipBlock peers behind
// an entry, the policies and peers behind an id, namespace labels, node addresses) says what
// compile()'s provenance says for the entries the same flows reach, built at once and after
// policies are replaced and deleted.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { ImageDataplane, type Cluster, type Flow } from '@netpol/core';
import { compile } from '../../packages/core/src/compile/compile.js';
import { LiveCompiler } from '../../packages/core/src/compile/live/compiler.js';
import { peerKey, type PeerInfo } from '../../packages/core/src/compile/rule-table.js';
import { clusterArbitrary, flowArbitrary } from '../../packages/core/src/fuzz/arbitraries.js';
import type { NetworkPolicy } from '../../packages/core/src/model/types.js';
import { runs } from '../helpers.js';

/** The entries a flow's source and destination reach in an image. */
class EntryProbe extends ImageDataplane {
  reach(flow: Flow): [number, number] {
    return this.entries(flow);
  }
}

interface EntryFacts {
  readonly pod: { readonly namespace: string; readonly name: string } | undefined;
  readonly identity:
    | {
        readonly namedPorts: ReadonlyMap<string, readonly number[]>;
        readonly selectorPeers: readonly number[];
        readonly isolatedBy: Record<'ingress' | 'egress', readonly number[]>;
      }
    | undefined;
  readonly ipPeers: readonly number[];
}

const keyOf = (p: PeerInfo): string => peerKey(p.direction, p.peer, p.namespace);

/**
 * An entry told by names, so two compilers' ids compare: pod, isolating policies, matched peers
 * (only those `named` by a policy still there: the live compiler keeps the peers of deleted
 * policies, which no live rule names, so they never allow anything).
 */
function told(e: EntryFacts, policy: (id: number) => NetworkPolicy, peer: (id: number) => PeerInfo, named: ReadonlySet<string>) {
  const policies = (ids: readonly number[]): string[] => ids.map((id) => `${policy(id).namespace}/${policy(id).name}`).sort();
  const peers = [...new Set([...(e.identity?.selectorPeers ?? []), ...e.ipPeers])].map((id) => keyOf(peer(id))).filter((k) => named.has(k));
  return {
    pod: e.pod ? `${e.pod.namespace}/${e.pod.name}` : null,
    ingress: policies(e.identity?.isolatedBy.ingress ?? []),
    egress: policies(e.identity?.isolatedBy.egress ?? []),
    peers: peers.sort(),
  };
}

function agree(live: LiveCompiler, seed: number): void {
  const cluster = live.cluster();
  const { image, provenance } = compile(cluster);
  const named = new Set(provenance.tables.peers.map(keyOf));
  const fresh = new EntryProbe(image, { native: 'off' });
  const probe = new EntryProbe(live.master.buffer, { native: 'off' });
  const flows = (fc.sample(flowArbitrary(cluster), { numRuns: 40, seed }) as Flow[]).filter((f) => f.src.family === f.dst.family);
  for (const ns of cluster.namespaces) expect(live.namespaceLabels(ns.name)).toEqual(provenance.index.namespaceLabels(ns.name));
  for (const f of flows) {
    for (const ip of [f.src, f.dst]) expect(live.nodeOf(ip)).toBe(provenance.index.nodeByIP(ip));
    const want = fresh.reach(f).map((e) => provenance.entries[e]!);
    const got = probe.reach(f).map((e) => live.entryProvenance(e));
    for (let i = 0; i < 2; i++) {
      expect(got[i]).toBeDefined();
      expect(
        told(
          got[i]!,
          (id) => live.policy(id),
          (id) => live.peer(id),
          named,
        ),
      ).toEqual(
        told(
          want[i]!,
          (id) => provenance.tables.policies[id]!,
          (id) => provenance.tables.peers[id]!,
          named,
        ),
      );
      // compile() keeps only the named ports some rule uses; the live compiler keeps them all.
      for (const [name, numbers] of want[i]!.identity?.namedPorts ?? []) expect(got[i]!.identity!.namedPorts.get(name)).toEqual(numbers);
    }
  }
}

describe('LiveCompiler provenance', () => {
  test('built from a cluster, tells what compile() tells', () => {
    fc.assert(
      fc.property(clusterArbitrary(), fc.integer(), (cluster, seed) => agree(new LiveCompiler(cluster), seed)),
      { numRuns: runs(100) },
    );
  });

  test('after policies are replaced and deleted, tells what compile() tells of the objects left', () => {
    fc.assert(
      fc.property(clusterArbitrary(), clusterArbitrary(), fc.nat(), fc.integer(), (a: Cluster, b: Cluster, k, seed) => {
        const live = new LiveCompiler(a);
        for (const p of b.policies) live.setPolicy(p);
        const names = live.cluster().policies;
        if (names.length > 0) live.deletePolicy(names[k % names.length]!.namespace, names[k % names.length]!.name);
        live.commit();
        agree(live, seed);
      }),
      { numRuns: runs(100) },
    );
  });
});
