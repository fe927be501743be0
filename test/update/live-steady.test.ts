// The live compiler's steady-state economy: what an update leaves alone must stay untouched,
// because every page it writes is copied at the next publish and every relayout copies the
// whole image and makes each published copy afresh. Verdicts are the other suites' concern.
import { describe, expect, test } from 'vitest';
import { ImageDataplane, type Cluster, type NetworkPolicy, type Pod } from '@netpol/core';
import { LiveCompiler } from '../../packages/core/src/compile/live/compiler.js';

const v4 = (a: number, b: number, c: number, d: number): bigint => BigInt(((a << 24) | (b << 16) | (c << 8) | d) >>> 0);

function pod(i: number): Pod {
  return {
    namespace: 'ns',
    name: `pod-${i}`,
    labels: { app: `a${i % 3}` },
    ips: [{ family: 4, value: v4(10, 0, i >> 8, i & 0xff) }],
    hostNetwork: false,
    phase: 'Running',
    ports: [],
  };
}

/** A policy selecting app=a0 whose egress allows one /24 in the /16 numbered `k` (of 100.0.0.0/8 and up). */
function blockPolicy(k: number): NetworkPolicy {
  const cidr = { family: 4 as const, base: v4(100 + (k >> 8), k & 0xff, 7, 0), prefix: 24 };
  return {
    namespace: 'ns',
    name: `block-${k}`,
    podSelector: { matchLabels: { app: 'a0' }, matchExpressions: [] },
    affects: { ingress: false, egress: true },
    ingress: [],
    egress: [{ ports: [], peers: [{ kind: 'ipBlock', ipBlock: { cidr, except: [] } }] }],
  };
}

const cluster = (pods: number, policies: number): Cluster => ({
  namespaces: [{ name: 'ns', labels: { 'kubernetes.io/metadata.name': 'ns' } }],
  pods: Array.from({ length: pods }, (_, i) => pod(i)),
  nodes: [],
  policies: Array.from({ length: policies }, (_, k) => blockPolicy(k)),
});

describe('LiveCompiler in steady state', () => {
  test('a change that leaves every entry as it was writes no page', () => {
    const compiler = new LiveCompiler(cluster(20, 3));
    compiler.master.takeDirty();
    // The same pod again: its address is classified again, to the same entry.
    compiler.setPod(pod(4));
    compiler.commit();
    expect(compiler.master.takeDirty()).toEqual([]);
    // Labels the policies select do change the entry: its page is written.
    compiler.setPod({ ...pod(4), labels: { app: 'a0' } });
    compiler.commit();
    expect(compiler.master.takeDirty().length).toBeGreaterThan(0);
  });

  test('ipBlocks added after a build with many of them fit the trie room it reserved', () => {
    // 300 /24s in distinct /16s: a trie chunk or more each. The room reserved after the build
    // must take as many again (a fixed 64 chunks made the 65th new /16 lay the image out again).
    const compiler = new LiveCompiler(cluster(20, 300));
    const layout = compiler.master.layoutVersion;
    for (let k = 300; k < 500; k++) {
      compiler.setPolicy(blockPolicy(k));
      compiler.commit();
    }
    expect(compiler.master.layoutVersion).toBe(layout);
    // And the addresses answer: a0 pods reach the newest block, a1 pods are not isolated.
    const image = new ImageDataplane(compiler.master.buffer, { native: 'off' });
    const flow = (src: number) => ({ src: pod(src).ips[0]!, dst: { family: 4 as const, value: v4(101, 243, 7, 9) }, protocol: 6, port: 80 });
    expect(image.verdict(flow(0)).allowed).toBe(true);
    expect(image.verdict({ ...flow(0), dst: { family: 4, value: v4(101, 243, 8, 9) } }).allowed).toBe(false);
    expect(image.verdict({ ...flow(1), dst: { family: 4, value: v4(101, 243, 8, 9) } }).allowed).toBe(true);
  });
});
