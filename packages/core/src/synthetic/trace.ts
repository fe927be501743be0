/**
 * Seeded flow traces over a cluster, as the batch kernels take them (typed arrays, IPv4).
 * Locality is Zipf over endpoints; the mix is pod→pod, pod→external and external→pod,
 * with ports the pods really serve most of the time and arbitrary ones otherwise.
 */
import { PROTOCOL_NUMBERS } from '../model/protocol.js';
import type { Cluster, Pod } from '../model/types.js';
import { Random, Zipf } from './random.js';
import { checkOptions, type OptionSpec } from '../model/check-options.js';

export interface Trace {
  readonly count: number;
  readonly src: Uint32Array;
  readonly dst: Uint32Array;
  readonly protocol: Uint8Array;
  readonly port: Uint16Array;
}

export interface TraceShape {
  readonly count: number;
  readonly seed?: number;
  /** Share of pod→pod flows (default 0.7); the rest splits between pod→external and external→pod. */
  readonly podToPod?: number;
}

const TRACE_SHAPE: OptionSpec<TraceShape> = { count: 'number', seed: 'number', podToPod: 'number' };

const COMMON_PORTS = [53, 80, 443, 5432, 6379, 8080, 8125, 9090, 30080, 50051];

export function syntheticTrace(cluster: Cluster, shape: TraceShape): Trace {
  checkOptions('syntheticTrace shape', shape, TRACE_SHAPE);
  const r = new Random(shape.seed ?? 7);
  const pods: Pod[] = cluster.pods.filter((p) => !p.hostNetwork && p.ips.some((ip) => ip.family === 4));
  // Shuffle so that Zipf rank is not correlated with namespace or deployment.
  for (let i = pods.length - 1; i > 0; i--) {
    const j = r.int(0, i);
    [pods[i], pods[j]] = [pods[j]!, pods[i]!];
  }
  const addr = pods.map((p) => Number(p.ips.find((ip) => ip.family === 4)!.value));
  const zipf = new Zipf(pods.length, 0.9);
  const externals = Array.from({ length: 512 }, () => (r.int(11, 223) << 24) + r.int(0, 0xffffff));
  const extZipf = new Zipf(externals.length, 1.0);
  const n = shape.count;
  const t: Trace = { count: n, src: new Uint32Array(n), dst: new Uint32Array(n), protocol: new Uint8Array(n), port: new Uint16Array(n) };
  const podShare = shape.podToPod ?? 0.7;
  for (let i = 0; i < n; i++) {
    const u = r.next();
    const s = zipf.sample(r);
    const d = zipf.sample(r);
    const ext = externals[extZipf.sample(r)]! >>> 0;
    let dstPod: Pod | undefined;
    if (u < podShare) {
      t.src[i] = addr[s]!;
      t.dst[i] = addr[d]!;
      dstPod = pods[d];
    } else if (u < podShare + (1 - podShare) / 2) {
      t.src[i] = addr[s]!;
      t.dst[i] = ext;
    } else {
      t.src[i] = ext;
      t.dst[i] = addr[d]!;
      dstPod = pods[d];
    }
    const v = r.next();
    if (dstPod && dstPod.ports.length > 0 && v < 0.7) {
      const cp = r.pick(dstPod.ports);
      t.protocol[i] = PROTOCOL_NUMBERS[cp.protocol];
      t.port[i] = cp.port;
    } else if (v < 0.97) {
      t.protocol[i] = r.chance(0.85) ? PROTOCOL_NUMBERS.TCP : PROTOCOL_NUMBERS.UDP;
      t.port[i] = r.chance(0.8) ? r.pick(COMMON_PORTS) : r.int(1, 65535);
    } else {
      t.protocol[i] = 1; // ICMP echo
      t.port[i] = 8;
    }
  }
  return t;
}
