/**
 * Connectivity reports (netpol-analyzer's `list`): for every ordered pair of endpoints
 * (workloads or pods, and the external address blocks the policies cut the address space
 * into), the connections one may open to the other, taken from the compiled image's port sets.
 *
 * Two views:
 * - the dataplane's (default): what a cluster running these objects enforces. Pods with
 *   addresses are judged on them (ipBlocks match pod IPs unless ipBlockMatchesPods is false);
 *   workloads without pods in the input stand as template pods without an address, which
 *   ipBlocks never match; hostNetwork pods are node traffic and no endpoint.
 * - netpol-analyzer's (`compat: 'netpol-analyzer'`): every pod is taken without its address
 *   (ipBlocks never match a pod, no local-node exemption), hostNetwork pods and workloads are
 *   ordinary endpoints, and protocols without ports are left out of connection sets.
 */
import { compile } from '../compile/compile.js';
import type { Family, IPAddress } from '../ip/address.js';
import { endpointGroups, type EndpointGroup } from '../model/endpoints.js';
import type { FlowEnd } from '../model/flow.js';
import type { EvaluationOptions } from '../model/options.js';
import type { Cluster, Pod } from '../model/types.js';
import { intersectBlocks, type AddressBlock } from './address-blocks.js';
import { intersectConnections, isNoConnections, NO_CONNECTIONS, type ConnectionSet } from './connection-set.js';
import type { FormattedConnection, FormattedEndpoint } from './connlist-format.js';
import { externalBlocks, ruleAddressBlocks, type ExternalBlock } from './external-endpoints.js';
import { ImageConnections } from './pair-connections.js';

/** Options of connectivity(). */
export interface ConnectivityOptions extends EvaluationOptions {
  /** `workload` (default): pods grouped under their top-level owner; `pod`: every pod its own endpoint. */
  readonly level?: 'workload' | 'pod';
  /**
   * Only pairs with one of these endpoints on at least one side, named as netpol-analyzer's
   * `--focusworkload` takes them: `name` (the workload's, or the pod's at pod level) or `namespace/name`.
   */
  readonly focusWorkload?: readonly string[];
  /** With focusWorkload: the other side must be one of these (netpol-analyzer's `--focusworkload-peer`). */
  readonly focusWorkloadPeer?: readonly string[];
  /** Only pairs with an endpoint of one of these namespaces on at least one side. */
  readonly focusNamespace?: readonly string[];
  /** `netpol-analyzer`: that tool's semantics where they differ from a dataplane's (see the module comment). */
  readonly compat?: 'netpol-analyzer';
  /** Include the external address blocks (default true). */
  readonly external?: boolean;
}

/** An end of connections in a report. */
export interface Endpoint extends FormattedEndpoint {
  readonly kind: 'workload' | 'pod' | 'external';
  /** `namespace/name[Kind]`, or `first-last[External]`. */
  readonly name: string;
  readonly namespace?: string;
  /** Workload and pod endpoints: their pods. */
  readonly group?: EndpointGroup;
  /** External endpoints: the addresses they stand for. */
  readonly block?: ExternalBlock;
}

/** The connections allowed from one endpoint to another. */
export interface Connection extends FormattedConnection {
  readonly src: Endpoint;
  readonly dst: Endpoint;
  readonly conns: ConnectionSet;
}

/** A connectivity report. */
export interface Connectivity {
  /** Workload or pod endpoints (sorted by name), then the external blocks of both sides. */
  readonly endpoints: readonly Endpoint[];
  /** The workload or pod endpoints the focus keeps (all of them without focus options): what a graph draws even without connections. */
  readonly drawn: readonly Endpoint[];
  /** Endpoints whose pods are not all allowed the same (the workload-level result is what all of them are allowed), focus names that match nothing. */
  readonly warnings: readonly string[];
  /** Protocols without ports are not part of the sets' meaning (compat). */
  readonly ignoreOtherProtocols: boolean;
  /**
   * The pairs with some connection, sorted by source name, then destination name (as txt lists
   * them), computed as they are asked for. Omitted: pairs with no connection, an endpoint to
   * itself, external to external, pairs outside the focus.
   */
  connections(): IterableIterator<Connection>;
  /** The connections from one endpoint (or endpoint name) to another, whatever the focus. */
  between(src: Endpoint | string, dst: Endpoint | string): ConnectionSet;
}

/** The cluster as netpol-analyzer sees it: pods without addresses, hostNetwork pods and workloads as ordinary ones. */
function netpolAnalyzerView(cluster: Cluster): Cluster {
  return {
    ...cluster,
    pods: cluster.pods.map((p) => (p.ips.length > 0 || p.hostNetwork ? { ...p, ips: [], hostNetwork: false } : p)),
    ...(cluster.workloads && { workloads: cluster.workloads.map((w) => (w.hostNetwork ? { ...w, hostNetwork: false } : w)) }),
  };
}

const byName = (a: { name: string }, b: { name: string }): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** The part of an endpoint name focus options match: the workload's (or pod's) name. */
const shortName = (e: Endpoint): string => e.name.slice(e.name.indexOf('/') + 1, e.name.lastIndexOf('['));

const matchesFocus = (e: Endpoint, names: readonly string[]): boolean =>
  e.kind !== 'external' && names.some((f) => f === shortName(e) || f === `${e.namespace}/${shortName(e)}`);

/** One end of a pod pair: the pod and the entry of the address (or of the pod, without one) it is judged on. */
interface PodEnd {
  readonly pod: Pod;
  /** Entries by family; `any` for a pod without an address. */
  readonly v4?: number;
  readonly v6?: number;
  readonly any?: number;
}

/**
 * The connectivity report of a cluster. The image is compiled once; every connection set is
 * the image's port sets for an entry pair (ImageConnections), intersected over the pods of an
 * endpoint (a workload's connections are those every pod pair is allowed: fail closed) and over
 * the address regions of an external block.
 *
 * @example
 * const report = connectivity(cluster);
 * for (const c of report.connections()) console.log(`${c.src.name} => ${c.dst.name}`);
 * console.log(formatConnlist(report.connections(), 'txt', { ignoreOtherProtocols: report.ignoreOtherProtocols }));
 */
export function connectivity(cluster: Cluster, options: ConnectivityOptions = {}): Connectivity {
  const { level = 'workload', focusWorkload = [], focusWorkloadPeer = [], focusNamespace = [], compat, external = true, ...evaluation } = options;
  const isCompat = compat === 'netpol-analyzer';
  const view = isCompat ? netpolAnalyzerView(cluster) : cluster;
  const image = new ImageConnections(compile(view, isCompat ? { ...evaluation, ipBlockMatchesPods: false } : evaluation));
  const groups = endpointGroups(view, level, { hostNetworkAsPods: isCompat });
  const members: Endpoint[] = groups.map((g) => ({ kind: level, name: g.name, namespace: g.namespace, group: g }));
  const blockEndpoints = (direction: 'ingress' | 'egress'): Endpoint[] =>
    external ? externalBlocks(view, direction, { ipv4Only: isCompat }).map((b) => ({ kind: 'external' as const, name: b.name, block: b })) : [];
  const sources = [...members, ...blockEndpoints('ingress')].sort(byName);
  const destinations = [...members, ...blockEndpoints('egress')].sort(byName);
  const endpoints = [
    ...members,
    ...[...sources, ...destinations].filter((e, i, all) => e.kind === 'external' && all.findIndex((x) => x.name === e.name) === i),
  ];
  const warnings: string[] = [];

  const podEnds = new Map<EndpointGroup, PodEnd[]>();
  const endsOf = (g: EndpointGroup): PodEnd[] => {
    let ends = podEnds.get(g);
    if (!ends) {
      ends = g.pods.map((pod) => {
        const at = (family: Family): number | undefined => {
          const address = pod.ips.find((ip: IPAddress) => ip.family === family);
          return address && image.entryOf({ pod, address });
        };
        return pod.ips.length === 0 ? { pod, any: image.entryOf({ pod } as FlowEnd) } : { pod, v4: at(4), v6: at(6) };
      });
      podEnds.set(g, ends);
    }
    return ends;
  };
  // The entry pair a pod pair is judged on: IPv4 when both have it, else IPv6; a pod without an address pairs with either.
  const entryPair = (a: PodEnd, b: PodEnd): [number, number] | undefined => {
    if (a.any !== undefined && b.any !== undefined) return [a.any, b.any];
    if (a.any !== undefined) return [a.any, (b.v4 ?? b.v6)!];
    if (b.any !== undefined) return [(a.v4 ?? a.v6)!, b.any];
    if (a.v4 !== undefined && b.v4 !== undefined) return [a.v4, b.v4];
    if (a.v6 !== undefined && b.v6 !== undefined) return [a.v6, b.v6];
    return undefined; // no family in common: no connection possible
  };

  const regions = image.externalRegions();
  const regionEntries = new Map<ExternalBlock, { family: Family; entries: number[] }>();
  /** The entries of the address regions inside a block (host addresses, pods' and nodes', are no external region). */
  const entriesOf = (block: ExternalBlock): { family: Family; entries: number[] } => {
    let r = regionEntries.get(block);
    if (!r) {
      const entries = new Set<number>();
      for (const region of regions) {
        if (region.family !== block.family) continue;
        const shared: AddressBlock = intersectBlocks(block, { family: block.family, ranges: [{ first: region.first, last: region.last }] });
        if (shared.ranges.length > 0) entries.add(region.entry);
      }
      r = { family: block.family, entries: [...entries] };
      regionEntries.set(block, r);
    }
    return r;
  };
  const familyEntry = (end: PodEnd, family: Family): number | undefined => end.any ?? (family === 4 ? end.v4 : end.v6);

  const intersectAll = (sets: Iterable<ConnectionSet>): ConnectionSet => {
    let acc: ConnectionSet | undefined;
    for (const s of sets) {
      acc = acc === undefined || acc === s ? s : intersectConnections(acc, s);
      if (isNoConnections(acc)) return NO_CONNECTIONS;
    }
    return acc ?? NO_CONNECTIONS; // nothing to judge on (no address region, no pod): nothing allowed
  };

  function* pairSets(src: Endpoint, dst: Endpoint): Generator<ConnectionSet> {
    if (src.group && dst.group) {
      const ds = endsOf(dst.group);
      for (const a of endsOf(src.group)) {
        for (const b of ds) {
          const pair = entryPair(a, b);
          yield pair ? image.connections(pair[0], pair[1]) : NO_CONNECTIONS;
        }
      }
    } else if (src.group && dst.block) {
      const { family, entries } = entriesOf(dst.block);
      for (const a of endsOf(src.group)) {
        const e = familyEntry(a, family);
        if (e === undefined || entries.length === 0) yield NO_CONNECTIONS;
        else for (const x of entries) yield image.connections(e, x);
      }
    } else if (src.block && dst.group) {
      const { family, entries } = entriesOf(src.block);
      for (const b of endsOf(dst.group)) {
        const e = familyEntry(b, family);
        if (e === undefined || entries.length === 0) yield NO_CONNECTIONS;
        else for (const x of entries) yield image.connections(x, e);
      }
    }
  }
  const between = (src: Endpoint, dst: Endpoint): ConnectionSet => intersectAll(pairSets(src, dst));

  // Endpoints whose pods are not alike for policy: the intersection hides what some of them may open.
  const addressBlocks = isCompat ? [] : [...ruleAddressBlocks(view, 'ingress'), ...ruleAddressBlocks(view, 'egress')];
  for (const g of groups) {
    if (g.pods.length < 2) continue;
    const profile = (p: Pod): string =>
      JSON.stringify([
        Object.entries(p.labels).sort(),
        p.ports,
        addressBlocks.map((b) => p.ips.some((ip) => ip.family === b.family && b.ranges.some((r) => ip.value >= r.first && ip.value <= r.last))),
      ]);
    if (new Set(g.pods.map(profile)).size > 1) {
      warnings.push(
        `${g.name}: its pods differ in labels, container ports or the ipBlocks their addresses are in; the connections listed are those every pod is allowed (see each pod with level pod)`,
      );
    }
  }

  const focusing = focusWorkload.length > 0;
  for (const f of focusWorkload) {
    if (!members.some((m) => matchesFocus(m, [f]))) warnings.push(`focus workload ${f}: no such workload in the input`);
  }
  const includes = (src: Endpoint, dst: Endpoint): boolean => {
    if (src.kind === 'external' && dst.kind === 'external') return false;
    if (src.name === dst.name) return false;
    if (focusNamespace.length > 0 && !focusNamespace.some((ns) => ns === src.namespace || ns === dst.namespace)) return false;
    if (!focusing) return true;
    const peer = (e: Endpoint): boolean => focusWorkloadPeer.length === 0 || matchesFocus(e, focusWorkloadPeer);
    return (matchesFocus(src, focusWorkload) && peer(dst)) || (matchesFocus(dst, focusWorkload) && peer(src));
  };
  const resolve = (e: Endpoint | string, side: readonly Endpoint[]): Endpoint => {
    if (typeof e !== 'string') return e;
    const found = side.find((x) => x.name === e);
    if (!found) throw new Error(`no endpoint named ${JSON.stringify(e)}`);
    return found;
  };

  const drawn = members.filter(
    (m) =>
      (focusNamespace.length === 0 || focusNamespace.includes(m.namespace!)) &&
      (!focusing || matchesFocus(m, focusWorkload) || (focusWorkloadPeer.length > 0 && matchesFocus(m, focusWorkloadPeer))),
  );
  return {
    endpoints,
    drawn,
    warnings,
    ignoreOtherProtocols: isCompat,
    *connections() {
      for (const src of sources) {
        for (const dst of destinations) {
          if (!includes(src, dst)) continue;
          const conns = between(src, dst);
          if (!isNoConnections(conns, { ignoreOtherProtocols: isCompat })) yield { src, dst, conns };
        }
      }
    },
    between: (src, dst) => between(resolve(src, sources), resolve(dst, destinations)),
  };
}
