// ipBlock policies added and removed one by one: the live compiler classifies again only the
// addresses a new ipBlock peer contains (inside its cidr, outside its excepts) and the new
// regions, so after every change its image must answer exactly as a fresh compile of the same
// objects, for every pod address and every prefix edge, around nested and overlapping blocks.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { CompiledDataplane, ImageDataplane, type Cluster, type Flow, type IPAddress, type NetworkPolicy, type Pod } from '@netpol/core';
import { LiveCompiler } from '../../packages/core/src/compile/live/compiler.js';
import type { CIDR } from '../../packages/core/src/ip/cidr.js';
import { runs } from '../helpers.js';

const v4 = (a: number, b: number, c: number, d: number): bigint => BigInt(((a << 24) | (b << 16) | (c << 8) | d) >>> 0);
const cidr4 = (base: bigint, prefix: number): CIDR => ({ family: 4, base, prefix });
const cidr6 = (base: bigint, prefix: number): CIDR => ({ family: 6, base, prefix });

/** Nested and disjoint prefixes around the pods' addresses (10.0.1.0/24 and 10.1.0.0/16), and IPv6 ones. */
const PREFIXES: readonly CIDR[] = [
  cidr4(0n, 0),
  cidr4(v4(10, 0, 0, 0), 8),
  cidr4(v4(10, 0, 0, 0), 16),
  cidr4(v4(10, 0, 1, 0), 24),
  cidr4(v4(10, 0, 1, 0), 28),
  cidr4(v4(10, 0, 1, 16), 28),
  cidr4(v4(10, 0, 1, 5), 32),
  cidr4(v4(10, 1, 0, 0), 16),
  cidr4(v4(10, 1, 2, 0), 24),
  cidr4(v4(192, 168, 0, 0), 16),
  cidr6(0n, 0),
  cidr6(0xfd00n << 112n, 16),
  cidr6((0xfd00n << 112n) | 0x100n, 120),
];
const POD_ADDRESSES: readonly IPAddress[] = [
  ...[1, 5, 6, 17, 200].map((d) => ({ family: 4 as const, value: v4(10, 0, 1, d) })),
  { family: 4, value: v4(10, 0, 2, 9) },
  { family: 4, value: v4(10, 1, 2, 3) },
  { family: 4, value: v4(10, 1, 7, 3) },
  { family: 6, value: (0xfd00n << 112n) | 0x105n },
  { family: 6, value: (0xfd00n << 112n) | 0x9999n },
];

const contains = (outer: CIDR, inner: CIDR): boolean =>
  outer.family === inner.family &&
  inner.prefix > outer.prefix &&
  inner.base >> BigInt((outer.family === 4 ? 32 : 128) - outer.prefix) === outer.base >> BigInt((outer.family === 4 ? 32 : 128) - outer.prefix);

/** A policy of namespace `ns` selecting every pod, one ipBlock rule per direction given. */
const blockPolicy = fc
  .record({
    cidr: fc.integer({ min: 0, max: PREFIXES.length - 1 }),
    except: fc.array(fc.nat(), { maxLength: 2 }),
    ingress: fc.boolean(),
    name: fc.integer({ min: 0, max: 5 }),
  })
  .map(({ cidr, except, ingress, name }): NetworkPolicy => {
    const c = PREFIXES[cidr]!;
    // Excepts are prefixes inside the cidr (the API server refuses others).
    const inner = PREFIXES.filter((e) => contains(c, e));
    const ex = inner.length === 0 ? [] : [...new Set(except.map((i) => inner[i % inner.length]!))];
    const rules = [{ ports: [], peers: [{ kind: 'ipBlock' as const, ipBlock: { cidr: c, except: ex } }] }];
    return {
      namespace: 'ns',
      name: `p${name}`,
      podSelector: { matchLabels: {}, matchExpressions: [] },
      affects: { ingress, egress: !ingress },
      ingress: ingress ? rules : [],
      egress: ingress ? [] : rules,
    };
  });

type Op = { readonly add: NetworkPolicy } | { readonly remove: number };
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: blockPolicy.map((p) => ({ add: p })) },
  { weight: 1, arbitrary: fc.nat().map((i) => ({ remove: i })) },
);

function pods(): Pod[] {
  // Two pods per label set, so that classes are shared and memoized across hosts.
  return POD_ADDRESSES.map((ip, i) => ({
    namespace: 'ns',
    name: `pod-${i}`,
    labels: { app: `a${i % 2}` },
    ips: [ip],
    hostNetwork: false,
    phase: 'Running' as const,
    ports: [],
  }));
}

/** Every pod address, and the first and last address of every prefix. */
function addresses(): IPAddress[] {
  const out: IPAddress[] = [...POD_ADDRESSES];
  for (const c of PREFIXES) {
    const size = 1n << BigInt((c.family === 4 ? 32 : 128) - c.prefix);
    for (const v of [c.base, c.base + size - 1n]) out.push({ family: c.family, value: v });
  }
  return out;
}

function agree(compiler: LiveCompiler, ipBlockMatchesPods: boolean): void {
  const cluster: Cluster = compiler.cluster();
  const live = new ImageDataplane(compiler.master.buffer, { native: 'off' });
  const fresh = new CompiledDataplane(cluster, { native: 'off', ipBlockMatchesPods });
  const all = addresses();
  for (const src of all) {
    for (const dst of all) {
      if (src.family !== dst.family) continue;
      const f: Flow = { src, dst, protocol: 6, port: 80 };
      expect(live.verdictCode(f), `${src.value} -> ${dst.value}`).toBe(fresh.verdictCode(f));
    }
  }
}

describe('LiveCompiler with ipBlock policies added and removed', () => {
  for (const ipBlockMatchesPods of [true, false]) {
    test(`answers as a fresh compile after every change (ipBlockMatchesPods: ${ipBlockMatchesPods})`, () => {
      fc.assert(
        fc.property(fc.array(opArb, { minLength: 1, maxLength: 10 }), (ops) => {
          const start: Cluster = { namespaces: [{ name: 'ns', labels: { 'kubernetes.io/metadata.name': 'ns' } }], pods: pods(), nodes: [], policies: [] };
          const compiler = new LiveCompiler(start, { ipBlockMatchesPods });
          for (const op of ops) {
            if ('add' in op) compiler.setPolicy(op.add);
            else {
              const now = compiler.cluster().policies;
              if (now.length > 0) compiler.deletePolicy('ns', now[op.remove % now.length]!.name);
            }
            compiler.commit();
            agree(compiler, ipBlockMatchesPods);
          }
        }),
        { numRuns: runs(20) },
      );
    });
  }
});
