/**
 * Seeded, deterministic workload generators for the benchmarks (and for tests and fuzzing):
 * clusters at the named sizes, flow traces as the batch kernels take them (IPv4 or IPv6,
 * with a pod→pod / pod→external / external→pod / node / miss mix and Zipf locality), and
 * prefix sets plus addresses for the CIDR sub-benchmark. The same seed always gives the
 * same bytes.
 */
import type { Flow, FlowBatch, Pod } from '@netpol/core';
import { Random, SIZES, syntheticCluster, Zipf, type ClusterShape, type SyntheticCluster } from '@netpol/core/internal';

export { Random, SIZES, syntheticCluster, syntheticTrace, Zipf, type ClusterShape, type SyntheticCluster } from '@netpol/core/internal';

export type SizeName = keyof typeof SIZES;
export const SIZE_NAMES = Object.keys(SIZES) as SizeName[];

/**
 * A cluster of a named size (S, M, L, XL) or an explicit shape; seed 1 unless given.
 * Node addresses are made unique (172.18.0.0/16, node i at host i+1): core's generator gives
 * node-0 and node-1 the same address, 172.18.0.1, an address-sharing case (two nodes claiming
 * one IP) on which the compiled dataplane and the reference disagree about local-node
 * ingress. That case belongs in the correctness suites, not in a throughput workload.
 */
export function benchCluster(size: SizeName | ClusterShape, seed = 1): SyntheticCluster {
  const shape: ClusterShape = typeof size === 'string' ? SIZES[size] : size;
  // Only the shape's own keys: syntheticCluster refuses others (a scenario's `name`).
  const c = syntheticCluster({
    pods: shape.pods,
    policies: shape.policies,
    dualStack: shape.dualStack,
    clusterPolicies: shape.clusterPolicies,
    seed: shape.seed ?? seed,
  });
  const seen = new Set<bigint>();
  const unique = c.nodes.every((n) => n.ips.every((ip) => !seen.has(ip.value) && (seen.add(ip.value), true)));
  if (unique) return c;
  const base = (172n << 24n) | (18n << 16n);
  return { ...c, nodes: c.nodes.map((n, i) => ({ ...n, ips: [{ family: 4, value: base + BigInt(i + 1) }] })) };
}

export interface BenchTraceShape {
  readonly count: number;
  readonly seed?: number;
  /** 4 (default): one u32 per address, no `family` array. 6: four words per address, `family` all 6. */
  readonly family?: 4 | 6;
  /** Shares of the flow kinds; the rest (1 - sum) are misses: addresses no pod or node holds. */
  readonly mix?: Partial<TraceMix>;
  /** Zipf exponent over endpoints (default 0.9). */
  readonly zipf?: number;
}

export interface TraceMix {
  /** pod → pod (default 0.6) */
  readonly podToPod: number;
  /** pod → external address (default 0.15) */
  readonly podToExternal: number;
  /** external address → pod (default 0.15) */
  readonly externalToPod: number;
  /** node address → pod (kubelet probes, hostNetwork; default 0.03) */
  readonly nodeToPod: number;
}

export const DEFAULT_MIX: TraceMix = { podToPod: 0.6, podToExternal: 0.15, externalToPod: 0.15, nodeToPod: 0.03 };

/** A FlowBatch that knows how it was made (the generator's figures go into the report). */
export interface BenchTrace extends FlowBatch {
  readonly family?: Uint8Array;
  readonly shape: Required<Pick<BenchTraceShape, 'count' | 'seed' | 'family' | 'zipf'>> & { readonly mix: TraceMix };
}

/** Ports clients often use (a destination's own ports aside). */
export const COMMON_PORTS = [53, 80, 443, 5432, 6379, 8080, 8125, 9090, 30080, 50051];
/** IP protocol numbers of the container port protocols. */
export const PROTO: Record<string, number> = { TCP: 6, UDP: 17, SCTP: 132 };

const u32 = (v: bigint): number => Number(v & 0xffffffffn);

/** A batch of `count` zeroed flows of one family (IPv6: four words per address and `family` all 6), for a generator to fill. */
export function zeroBatch(count: number, family: 4 | 6): FlowBatch & { readonly family?: Uint8Array } {
  const words = family === 4 ? 1 : 4;
  return {
    count,
    src: new Uint32Array(count * words),
    dst: new Uint32Array(count * words),
    protocol: new Uint8Array(count),
    port: new Uint16Array(count),
    ...(family === 6 && { family: new Uint8Array(count).fill(6) }),
  };
}

/** Writes an address (bigint) as `words` big-endian u32s at a[i*words ..]. */
export function put(a: Uint32Array, i: number, words: number, v: bigint): void {
  if (words === 1) a[i] = u32(v);
  else for (let k = 0; k < 4; k++) a[4 * i + k] = u32(v >> BigInt(96 - 32 * k));
}

/**
 * A flow trace over `cluster`: Zipf-ranked pods (shuffled so rank is independent of
 * namespace), externals half inside the cluster's own ipBlock CIDRs (ipBlock hits, excepts
 * included) and half random public addresses, node addresses, and misses (unassigned
 * addresses inside the pod network). Ports are ones the destination serves 70% of the time,
 * common or random ports otherwise, and 3% ICMP echo. Deterministic for a seed.
 */
export function benchTrace(cluster: SyntheticCluster, shape: BenchTraceShape): BenchTrace {
  const seed = shape.seed ?? 7;
  const family = shape.family ?? 4;
  const zipfS = shape.zipf ?? 0.9;
  const mix: TraceMix = { ...DEFAULT_MIX, ...shape.mix };
  const r = new Random(seed);
  const words = family === 4 ? 1 : 4;
  const pods: Pod[] = cluster.pods.filter((p) => !p.hostNetwork && p.ips.some((ip) => ip.family === family));
  if (pods.length === 0) throw new RangeError(`the cluster has no IPv${family} pods`);
  for (let i = pods.length - 1; i > 0; i--) {
    const j = r.int(0, i);
    [pods[i], pods[j]] = [pods[j]!, pods[i]!];
  }
  const addr = pods.map((p) => p.ips.find((ip) => ip.family === family)!.value);
  const taken = new Set(cluster.pods.flatMap((p) => p.ips.filter((ip) => ip.family === family).map((ip) => ip.value)));
  const zipf = new Zipf(pods.length, zipfS);

  // Externals: inside the policies' ipBlocks (hits, some inside excepts) and random public ones.
  const blocks = cluster.policies.flatMap((p) =>
    [...p.ingress, ...p.egress].flatMap((rule) =>
      rule.peers.flatMap((peer) => (peer.kind === 'ipBlock' && peer.ipBlock.cidr.family === family ? [peer.ipBlock] : [])),
    ),
  );
  const width = family === 4 ? 32 : 128;
  const randomIn = (base: bigint, prefix: number): bigint => {
    const host = width - prefix;
    let v = 0n;
    for (let b = 0; b < host; b += 30) v = (v << 30n) | BigInt(r.int(0, (1 << 30) - 1));
    return base | (host === 0 ? 0n : v & ((1n << BigInt(host)) - 1n));
  };
  const publicAddress = (): bigint =>
    family === 4 ? BigInt(((r.int(11, 223) << 24) >>> 0) + r.int(0, 0xffffff)) : (0x2001n << 112n) | (BigInt(r.int(0, 0xffff)) << 96n) | randomIn(0n, 32);
  const externals: bigint[] = [];
  const specific = blocks.filter((b) => b.cidr.prefix >= 8);
  for (let i = 0; i < 512; i++) {
    if (i % 2 === 0 && specific.length > 0) {
      const b = specific[r.int(0, specific.length - 1)]!;
      const inner = b.except.length > 0 && r.chance(0.25) ? b.except[r.int(0, b.except.length - 1)]! : b.cidr;
      externals.push(randomIn(inner.base, inner.prefix));
    } else externals.push(publicAddress());
  }
  const extZipf = new Zipf(externals.length, 1.0);
  const nodes = cluster.nodes.flatMap((n) => n.ips.filter((ip) => ip.family === family).map((ip) => ip.value));
  // Misses: unassigned addresses next to the pod addresses (same /24 or /112, no pod holds them).
  const miss = (): bigint => {
    for (;;) {
      const near = addr[r.int(0, addr.length - 1)]!;
      const v = (near & ~0xffn) | BigInt(r.int(1, 254));
      if (!taken.has(v)) return v;
    }
  };

  const n = shape.count;
  const t = { ...zeroBatch(n, family), shape: { count: n, seed, family, zipf: zipfS, mix } };
  const c1 = mix.podToPod;
  const c2 = c1 + mix.podToExternal;
  const c3 = c2 + mix.externalToPod;
  const c4 = c3 + mix.nodeToPod;
  for (let i = 0; i < n; i++) {
    const u = r.next();
    const s = zipf.sample(r);
    const d = zipf.sample(r);
    const ext = externals[extZipf.sample(r)]!;
    let src: bigint;
    let dst: bigint;
    let dstPod: Pod | undefined;
    if (u < c1) [src, dst, dstPod] = [addr[s]!, addr[d]!, pods[d]];
    else if (u < c2) [src, dst] = [addr[s]!, ext];
    else if (u < c3) [src, dst, dstPod] = [ext, addr[d]!, pods[d]];
    else if (u < c4 && nodes.length > 0) [src, dst, dstPod] = [nodes[r.int(0, nodes.length - 1)]!, addr[d]!, pods[d]];
    else if (r.chance(0.5)) [src, dst] = [miss(), addr[d]!];
    else [src, dst] = [addr[s]!, miss()];
    put(t.src, i, words, src);
    put(t.dst, i, words, dst);
    const v = r.next();
    if (dstPod && dstPod.ports.length > 0 && v < 0.7) {
      const cp = r.pick(dstPod.ports);
      t.protocol[i] = PROTO[cp.protocol] ?? 6;
      t.port[i] = cp.port;
    } else if (v < 0.97) {
      t.protocol[i] = r.chance(0.85) ? 6 : 17;
      t.port[i] = r.chance(0.8) ? r.pick(COMMON_PORTS) : r.int(1, 65535);
    } else {
      t.protocol[i] = family === 4 ? 1 : 58; // ICMP / ICMPv6 echo request
      t.port[i] = family === 4 ? 8 : 128;
    }
  }
  return t;
}

/** Flows i .. i+count-1 of a batch as a view (no copy). */
export function sliceBatch(b: FlowBatch, start: number, count: number): FlowBatch {
  const w = b.family ? 4 : 1;
  return {
    count,
    src: b.src.subarray(start * w, (start + count) * w),
    dst: b.dst.subarray(start * w, (start + count) * w),
    protocol: b.protocol.subarray(start, start + count),
    port: b.port.subarray(start, start + count),
    ...(b.family && { family: b.family.subarray(start, start + count) }),
    ...(b.flags && { flags: b.flags.subarray(start, start + count) }),
  };
}

const hasPorts = (p: number): boolean => p === 6 || p === 17 || p === 132;

/** Flow i of a batch as the library's Flow object (what the reference evaluator takes). */
export function flowAt(b: FlowBatch, i: number): Flow {
  const addrAt = (a: Uint32Array): Flow['src'] => {
    if (!b.family) return { family: 4, value: BigInt(a[i]!) };
    if (b.family[i] === 4) return { family: 4, value: BigInt(a[4 * i]!) };
    let v = 0n;
    for (let k = 0; k < 4; k++) v = (v << 32n) | BigInt(a[4 * i + k]!);
    return { family: 6, value: v };
  };
  const protocol = b.protocol[i]!;
  const port = b.port[i]!;
  return {
    src: addrAt(b.src),
    dst: addrAt(b.dst),
    protocol,
    ...(hasPorts(protocol) ? { port } : { icmpType: port }),
    ...(b.flags && (b.flags[i]! & 1) === 1 && { established: true }),
  };
}

// ---- CIDR sub-benchmark inputs ----

export interface PrefixSet {
  readonly count: number;
  /** Network address (masked) as u32, and prefix length, per prefix. */
  readonly base: Uint32Array;
  readonly length: Uint8Array;
  /** The same prefixes as "a.b.c.d/n" strings, in the same order. */
  readonly cidrs: readonly string[];
}

export const formatIPv4 = (a: number): string => `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
const mask = (len: number): number => (len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0);

/**
 * `count` distinct IPv4 prefixes shaped like an allow/deny list: mostly /24../32 with some
 * /16../23 and a few /8../15, clustered in a few hundred /8../12 regions so that prefixes
 * nest and overlap as real lists do. Deterministic for a seed.
 */
export function cidrPrefixes(count: number, seed = 11): PrefixSet {
  const r = new Random(seed);
  const regions = Array.from({ length: 256 }, () => ((r.int(1, 223) << 24) | (r.int(0, 15) << 20)) >>> 0);
  const seen = new Set<string>();
  const base = new Uint32Array(count);
  const length = new Uint8Array(count);
  const cidrs: string[] = [];
  while (cidrs.length < count) {
    const u = r.next();
    const len = u < 0.03 ? r.int(8, 15) : u < 0.25 ? r.int(16, 23) : u < 0.85 ? r.int(24, 29) : r.int(30, 32);
    const region = regions[r.int(0, regions.length - 1)]!;
    const a = ((region | r.int(0, 0xfffff)) & mask(len)) >>> 0;
    const s = `${formatIPv4(a)}/${len}`;
    if (seen.has(s)) continue;
    seen.add(s);
    base[cidrs.length] = a;
    length[cidrs.length] = len;
    cidrs.push(s);
  }
  return { count, base, length, cidrs };
}

/** `count` IPv4 addresses: `hitShare` inside a random prefix of the set, the rest uniform (mostly misses). */
export function cidrAddresses(set: PrefixSet, count: number, seed = 13, hitShare = 0.5): Uint32Array {
  const r = new Random(seed);
  const out = new Uint32Array(count);
  for (let i = 0; i < count; i++) {
    if (r.chance(hitShare)) {
      const k = r.int(0, set.count - 1);
      const host = 32 - set.length[k]!;
      out[i] = (set.base[k]! | (host === 0 ? 0 : Math.floor(r.next() * 2 ** host))) >>> 0;
    } else out[i] = Math.floor(r.next() * 2 ** 32) >>> 0;
  }
  return out;
}

/** Is `a` inside any prefix of the set? (a plain scan: the ground truth for the CIDR check) */
export function containsScan(set: PrefixSet, a: number): boolean {
  for (let k = 0; k < set.count; k++) if ((a & mask(set.length[k]!)) >>> 0 === set.base[k]) return true;
  return false;
}
