/**
 * The connectivity diff of two clusters (`netpol diff`), computed from the change set when the
 * clusters differ only by NetworkPolicies, as a pull request that edits policies does.
 *
 * Why that is exact: a pair's connections are what the egress policies selecting the source
 * allow, intersected with what the ingress policies selecting the destination allow (and the
 * cluster-scoped tiers around them). When the namespaces, pods, workloads, nodes and
 * cluster-scoped policies of both clusters are the same, the endpoints are the same, and a
 * pair can only change if a policy that differs between the clusters (added, removed or
 * edited: either version counts) selects its source for egress or its destination for ingress.
 * Every other pair has the same connections on both sides, external blocks included (an
 * endpoint's connections to or from addresses are the same function of the address; only the
 * cut into blocks may differ, and the diff compares addresses over both cuts). So only the rows
 * of the sources and the columns of the destinations those policies select are computed on
 * each side, instead of every pair of both maps.
 *
 * Anything else (a workload, pod, namespace, node or cluster-scoped policy differs, a focus
 * option, or the unchanged pairs asked for) compares the two full maps.
 */
import { isDeepStrictEqual } from 'node:util';
import { selectorMatches } from '../model/selector.js';
import type { Cluster, NetworkPolicy } from '../model/types.js';
import { isNoConnections } from './connection-set.js';
import { connectivity, type Connectivity, type ConnectivityOptions, type Endpoint } from './connectivity.js';
import { diffConnectivity, type ConnectionChange, type DiffConnection, type DiffOptions, type DiffSide } from './diff.js';
import { externalBlocks } from './external-endpoints.js';

/** Options of diffClusters: the connectivity options of both sides, and what diffConnectivity takes. */
export interface ClusterDiffOptions extends ConnectivityOptions, Pick<DiffOptions, 'unchanged'> {}

/** A policy as text (bigints, as in ipBlock CIDRs, included), to find the changed ones by name. */
const canonical = (x: unknown): string => JSON.stringify(x, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));

/** The clusters hold the same objects but for NetworkPolicies (in the same order: a reordered input takes the full path, which is as exact). */
function sameButPolicies(a: Cluster, b: Cluster): boolean {
  const rest = (c: Cluster): unknown[] => [c.namespaces, c.pods, c.nodes, c.workloads ?? [], c.clusterPolicies ?? []];
  return isDeepStrictEqual(rest(a), rest(b));
}

/** The policies present on one side only or different between the sides (both versions of an edited one). */
function changedPolicies(a: readonly NetworkPolicy[], b: readonly NetworkPolicy[]): NetworkPolicy[] {
  const key = (p: NetworkPolicy): string => `${p.namespace}/${p.name}`;
  const inB = new Map(b.map((p) => [key(p), canonical(p)]));
  const inA = new Map(a.map((p) => [key(p), canonical(p)]));
  return [...a.filter((p) => inB.get(key(p)) !== inA.get(key(p))), ...b.filter((p) => inA.get(key(p)) !== inB.get(key(p)))];
}

/** The diff of two clusters, and what each side's connectivity map warned about. */
export interface ClusterDiff {
  /** Sorted as netpol-analyzer prints them (changed, added, removed; unchanged last when asked for). */
  readonly changes: readonly ConnectionChange[];
  /** connectivity()'s warnings of ref1 and of ref2 (workloads whose pods differ, focus names matching nothing). */
  readonly warnings: readonly [readonly string[], readonly string[]];
  /** The connection sets leave protocols without ports out (compat): format them so. */
  readonly ignoreOtherProtocols: boolean;
}

/**
 * The changes from cluster `a` (ref1) to cluster `b` (ref2): diffConnectivity of their
 * connectivity maps. Computed on the pairs a NetworkPolicy change set can affect when that is
 * all that differs (see the module comment); on both full maps otherwise.
 *
 * @example
 * const { changes } = diffClusters(loadFilesOrThrow(['base/']), loadFilesOrThrow(['head/']));
 * process.stdout.write(formatDiff(changes, 'txt'));
 */
export function diffClusters(a: Cluster, b: Cluster, options: ClusterDiffOptions = {}): ClusterDiff {
  const { unchanged = false, ...connectivityOptions } = options;
  const ca = connectivity(a, connectivityOptions);
  const cb = connectivity(b, connectivityOptions);
  const result = (changes: readonly ConnectionChange[]): ClusterDiff => ({
    changes,
    warnings: [ca.warnings, cb.warnings],
    ignoreOtherProtocols: ca.ignoreOtherProtocols,
  });
  const diffOptions = { unchanged, ignoreOtherProtocols: ca.ignoreOtherProtocols };
  const focused = [options.focusWorkload, options.focusWorkloadPeer, options.focusNamespace].some((f) => f !== undefined && f.length > 0);
  if (unchanged || focused || !sameButPolicies(a, b)) return result(diffConnectivity(ca, cb, diffOptions));
  const changed = changedPolicies(a.policies, b.policies);
  if (changed.length === 0) return result([]);
  const members = (c: Connectivity): Endpoint[] => c.endpoints.filter((e) => e.kind !== 'external');
  const [ma, mb] = [members(ca), members(cb)];
  if (ma.length !== mb.length || ma.some((e, i) => e.name !== mb[i]!.name)) return result(diffConnectivity(ca, cb, diffOptions));
  // The endpoints whose rows (egress) and columns (ingress) the change set can touch.
  const egress = new Set<string>();
  const ingress = new Set<string>();
  for (const p of changed) {
    for (const e of ma) {
      if (!e.group!.pods.some((pod) => pod.namespace === p.namespace && selectorMatches(p.podSelector, pod.labels))) continue;
      if (p.affects.egress) egress.add(e.name);
      if (p.affects.ingress) ingress.add(e.name);
    }
  }
  const external = options.external !== false;
  const ipv4Only = options.compat === 'netpol-analyzer';
  return result(
    diffConnectivity(affectedPairs(ca, a, egress, ingress, external, ipv4Only), affectedPairs(cb, b, egress, ingress, external, ipv4Only), diffOptions),
  );
}

const byName = (x: { name: string }, y: { name: string }): number => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0);

/**
 * One side restricted to the rows of `egress` and the columns of `ingress`: those pairs'
 * connections (computed as they are read, in source then destination order, as connections()
 * yields them), every other pair left out.
 */
function affectedPairs(
  c: Connectivity,
  cluster: Cluster,
  egress: ReadonlySet<string>,
  ingress: ReadonlySet<string>,
  external: boolean,
  ipv4Only: boolean,
): DiffSide {
  const inCluster = c.endpoints.filter((e) => e.kind !== 'external');
  // The blocks each direction's rules cut the address space into, as connectivity() cuts them (same names, same objects for its caches).
  const blocks = (direction: 'ingress' | 'egress'): Endpoint[] => {
    if (!external) return [];
    const named = new Map(c.endpoints.filter((e) => e.kind === 'external').map((e) => [e.name, e]));
    return externalBlocks(cluster, direction, { ipv4Only }).map((block) => named.get(block.name) ?? { kind: 'external', name: block.name, block });
  };
  const sources = [...inCluster, ...blocks('ingress')].sort(byName);
  const destinations = [...inCluster, ...blocks('egress')].sort(byName);
  const columns = destinations.filter((d) => ingress.has(d.name));
  return {
    endpoints: c.endpoints,
    *connections(): Generator<DiffConnection> {
      for (const src of sources) {
        const row = src.kind !== 'external' && egress.has(src.name);
        for (const dst of row ? destinations : columns) {
          if (src.name === dst.name || (src.kind === 'external' && dst.kind === 'external')) continue;
          const conns = c.between(src, dst);
          if (!isNoConnections(conns, { ignoreOtherProtocols: c.ignoreOtherProtocols })) yield { src, dst, conns };
        }
      }
    },
  };
}
