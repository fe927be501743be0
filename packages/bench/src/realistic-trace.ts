/**
 * The realistic trace: what a cluster's pods mostly do, which is talk to each other on the
 * ports they serve, with the policies allowing it. The mixed trace (generators.ts) is mostly
 * denied (externals, misses, random ports), and the cost of a verdict varies several-fold
 * with the flow mix, so a benchmark on it alone says little about a cluster in production.
 *
 * Sampling: candidate connections pod → pod, the client by Zipf rank over all pods, the
 * server in the client's namespace three times out of four (Zipf over that namespace's pods)
 * and anywhere otherwise, on one of the server's container ports (a common TCP port for a
 * pod that declares none). Each distinct candidate is judged by the **reference evaluator**
 * (the oracle, not an engine under test) until `pool` allowed and `pool / 4` denied ones are
 * found or the candidate budget is spent. The trace then draws `allowedShare` of its flows
 * from the allowed pool and the rest from the denied one, by Zipf rank over each pool (hot
 * connections), so the trace is "sampled from what the policies allow". The synthetic
 * clusters have no Services: traffic to a Service's backends is pod → pod traffic on the
 * backend's target port once kube-proxy has translated it, which is what this trace holds.
 * Deterministic for a seed.
 */
import type { Flow, FlowBatch, IPAddress, Pod, ReferenceEvaluator } from '@netpol/core';
import { COMMON_PORTS, PROTO, put, Random, Zipf, zeroBatch, type SyntheticCluster } from './generators.js';

export interface RealisticTraceOptions {
  readonly count: number;
  readonly seed?: number;
  readonly family?: 4 | 6;
  /** Share of the flows drawn from allowed connections (default 0.9). */
  readonly allowedShare?: number;
  /** Allowed connections to find (default 2048); denied ones: a quarter of it. */
  readonly pool?: number;
  /** Candidates the reference judges at most, per pool entry wanted (default 40). */
  readonly candidatesPerEntry?: number;
  /** Zipf exponent over pods and over each pool (default 1.0). */
  readonly zipf?: number;
}

/** How the trace was made, for the report. */
export interface RealisticShape {
  readonly kind: 'realistic';
  readonly count: number;
  readonly seed: number;
  readonly family: 4 | 6;
  readonly zipf: number;
  /** The share asked for; the trace's measured share is in the scenario's results. */
  readonly allowedTarget: number;
  /** Distinct allowed and denied connections found, and candidates the reference judged. */
  readonly allowedConnections: number;
  readonly deniedConnections: number;
  readonly candidates: number;
}

export interface RealisticTrace extends FlowBatch {
  readonly family?: Uint8Array;
  readonly shape: RealisticShape;
}

interface Conn {
  readonly src: IPAddress;
  readonly dst: IPAddress;
  readonly protocol: number;
  readonly port: number;
}

/** Pods of a family with an address of it, shuffled so that Zipf rank is independent of namespace. */
function rankedPods(cluster: SyntheticCluster, family: 4 | 6, r: Random): Pod[] {
  const pods = cluster.pods.filter((p) => !p.hostNetwork && p.ips.some((ip) => ip.family === family));
  for (let i = pods.length - 1; i > 0; i--) {
    const j = r.int(0, i);
    [pods[i], pods[j]] = [pods[j]!, pods[i]!];
  }
  return pods;
}

/**
 * A realistic trace over `cluster` (see the file comment); `ref` judges the candidates. Throws
 * a RangeError when the cluster has no pod of the family.
 */
export function realisticTrace(cluster: SyntheticCluster, ref: ReferenceEvaluator, o: RealisticTraceOptions): RealisticTrace {
  const seed = o.seed ?? 7;
  const family = o.family ?? 4;
  const zipfS = o.zipf ?? 1.0;
  const allowedTarget = o.allowedShare ?? 0.9;
  const wantAllowed = o.pool ?? 2048;
  const wantDenied = Math.max(1, wantAllowed >> 2);
  const r = new Random(seed);
  const pods = rankedPods(cluster, family, r);
  if (pods.length === 0) throw new RangeError(`the cluster has no IPv${family} pods`);
  const addrOf = (p: Pod): IPAddress => p.ips.find((ip) => ip.family === family)!;
  const zipf = new Zipf(pods.length, zipfS);
  const byNamespace = new Map<string, Pod[]>();
  for (const p of pods) {
    const list = byNamespace.get(p.namespace);
    if (list) list.push(p);
    else byNamespace.set(p.namespace, [p]);
  }
  const nsZipf = new Map<string, Zipf>([...byNamespace].map(([ns, list]) => [ns, new Zipf(list.length, zipfS)]));

  const allowed: Conn[] = [];
  const denied: Conn[] = [];
  const seen = new Set<string>();
  const budget = (wantAllowed + wantDenied) * (o.candidatesPerEntry ?? 40);
  let candidates = 0;
  for (let tries = 0; tries < budget * 4 && candidates < budget && (allowed.length < wantAllowed || denied.length < wantDenied); tries++) {
    const client = pods[zipf.sample(r)]!;
    const local = byNamespace.get(client.namespace)!;
    const server = r.chance(0.75) ? local[nsZipf.get(client.namespace)!.sample(r)]! : pods[zipf.sample(r)]!;
    if (server === client) continue;
    let protocol = 6;
    let port = r.pick(COMMON_PORTS);
    if (server.ports.length > 0) {
      const cp = r.pick(server.ports);
      protocol = PROTO[cp.protocol] ?? 6;
      port = cp.port;
    }
    const key = `${client.namespace}/${client.name}>${server.namespace}/${server.name}:${protocol}/${port}`;
    if (seen.has(key)) continue;
    seen.add(key);
    candidates++;
    const conn: Conn = { src: addrOf(client), dst: addrOf(server), protocol, port };
    const flow: Flow = { src: conn.src, dst: conn.dst, protocol, port };
    if (ref.verdict(flow).allowed) {
      if (allowed.length < wantAllowed) allowed.push(conn);
    } else if (denied.length < wantDenied) denied.push(conn);
  }
  if (allowed.length === 0 && denied.length === 0) throw new RangeError('no pod-to-pod connection to sample');
  const allowedZipf = allowed.length > 0 ? new Zipf(allowed.length, zipfS) : null;
  const deniedZipf = denied.length > 0 ? new Zipf(denied.length, zipfS) : null;

  const n = o.count;
  const words = family === 4 ? 1 : 4;
  const t = zeroBatch(n, family);
  for (let i = 0; i < n; i++) {
    const fromAllowed = allowedZipf !== null && (deniedZipf === null || r.next() < allowedTarget);
    const c = fromAllowed ? allowed[allowedZipf.sample(r)]! : denied[deniedZipf!.sample(r)]!;
    put(t.src, i, words, c.src.value);
    put(t.dst, i, words, c.dst.value);
    t.protocol[i] = c.protocol;
    t.port[i] = c.port;
  }
  return {
    ...t,
    shape: {
      kind: 'realistic',
      count: n,
      seed,
      family,
      zipf: zipfS,
      allowedTarget,
      allowedConnections: allowed.length,
      deniedConnections: denied.length,
      candidates,
    },
  };
}
