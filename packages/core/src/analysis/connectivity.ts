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
import { intersectConnections, isNoConnections, NO_CONNECTIONS, type ConnectionSet } from './connection-set.js';
import type { FormattedConnection, FormattedEndpoint } from './connlist-format.js';
import { externalBlocks, type ExternalBlock } from './external-endpoints.js';
import { ImageConnections } from './pair-connections.js';

/** Options of connectivity(). */
export interface ConnectivityOptions extends EvaluationOptions {
  /** `workload` (default): pods grouped under their top-level owner; `pod`: every pod its own endpoint. */
  readonly level?: 'workload' | 'pod';
  /**
   * Only pairs with one of these endpoints on at least one side, named as netpol-analyzer's
   * `--focusworkload` takes them: `name` (the workload's, or the pod's at pod level) or `namespace/name`;
   * also the endpoint's full name as a report prints it, `namespace/name[Kind]`.
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

/** A focus name matches an endpoint by its name, `namespace/name`, or the whole `namespace/name[Kind]` a report prints. */
const matchesFocus = (e: Endpoint, names: readonly string[]): boolean =>
  e.kind !== 'external' && names.some((f) => f === shortName(e) || f === `${e.namespace}/${shortName(e)}` || f === e.name);

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
  const externalNames = new Set<string>();
  const endpoints = [
    ...members,
    ...[...sources, ...destinations].filter((e) => e.kind === 'external' && !externalNames.has(e.name) && externalNames.add(e.name)),
  ];
  const warnings: string[] = [];

  // Pods of one endpoint that the image judges alike (equal keys of their entries in both roles,
  // equal address families) have equal sets: one of them stands for all. Pods that differ each
  // count, and the endpoint gets a warning.
  const podEnds = new Map<EndpointGroup, PodEnd[]>();
  const endOf = (pod: Pod): PodEnd => {
    const at = (family: Family): number | undefined => {
      const address = pod.ips.find((ip: IPAddress) => ip.family === family);
      return address && image.entryOf({ pod, address });
    };
    return pod.ips.length === 0 ? { pod, any: image.entryOf({ pod } as FlowEnd) } : { pod, v4: at(4), v6: at(6) };
  };
  // An address two pods claim (the image gives it to one of them) is one entry for both: a pair
  // of them is the pod-itself case, which no key captures. Such pods stand for nobody but
  // themselves, and their endpoints get signatures of their own.
  const claims = new Map<number, number>();
  for (const g of groups)
    for (const pod of g.pods) for (const e of Object.values(endOf(pod))) if (typeof e === 'number') claims.set(e, (claims.get(e) ?? 0) + 1);
  const contested = (e: number | undefined): boolean => e !== undefined && claims.get(e)! > 1;
  for (const g of groups) {
    const distinct = new Map<string, PodEnd>();
    for (const pod of g.pods) {
      const end = endOf(pod);
      const keys = [end.any, end.v4, end.v6].map((e) => (e === undefined ? '' : contested(e) ? '-1' : `${image.sourceKey(e)}/${image.destinationKey(e)}`));
      const key = keys.some((k) => k.includes('-1')) ? `own:${pod.name}` : keys.join(' ');
      if (!distinct.has(key)) distinct.set(key, end);
    }
    if (distinct.size > 1) {
      warnings.push(
        `${g.name}: its pods are not all judged alike (labels, container ports or the ipBlocks their addresses are in differ where a policy looks); the connections listed are those every pod is allowed (see each pod with level pod)`,
      );
    }
    podEnds.set(g, [...distinct.values()]);
  }
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
  const regionEntries = { source: new Map<ExternalBlock, number[]>(), destination: new Map<ExternalBlock, number[]>() };
  /**
   * The entries of the address regions inside a block (host addresses, pods' and nodes', are no
   * external region), one per image key of the block's role (entries of equal keys get equal
   * sets), every entry without a key.
   */
  const entriesOf = (block: ExternalBlock, role: 'source' | 'destination'): number[] => {
    let entries = regionEntries[role].get(block);
    if (!entries) {
      const keys = new Set<number>();
      const found = new Set<number>();
      for (const r of block.ranges) {
        // regions are in address order, IPv4 then IPv6: the first that ends at or after r.first
        let lo = 0;
        let hi = regions.length;
        while (lo < hi) {
          const mid = (lo + hi) >>> 1;
          const m = regions[mid]!;
          if (m.family < block.family || (m.family === block.family && m.last < r.first)) lo = mid + 1;
          else hi = mid;
        }
        for (let i = lo; i < regions.length && regions[i]!.family === block.family && regions[i]!.first <= r.last; i++) {
          const entry = regions[i]!.entry;
          const key = role === 'source' ? image.sourceKey(entry) : image.destinationKey(entry);
          if (key === -1 || !keys.has(key)) found.add(entry);
          keys.add(key);
        }
      }
      regionEntries[role].set(block, (entries = [...found]));
    }
    return entries;
  };
  const familyEntry = (end: PodEnd, family: Family): number | undefined => end.any ?? (family === 4 ? end.v4 : end.v6);

  /** What every pod pair (and every region of an external block) is allowed: the intersection; nothing when there is nothing to judge on. */
  const between = (src: Endpoint, dst: Endpoint): ConnectionSet => {
    let acc: ConnectionSet | undefined;
    const meet = (s: ConnectionSet): boolean => {
      acc = acc === undefined || acc === s ? s : intersectConnections(acc, s);
      return !isNoConnections(acc); // false: nothing left, stop
    };
    if (src.group && dst.group) {
      for (const a of podEnds.get(src.group)!) {
        for (const b of podEnds.get(dst.group)!) {
          const pair = entryPair(a, b);
          if (!pair || !meet(image.connections(pair[0], pair[1]))) return NO_CONNECTIONS;
        }
      }
      return acc ?? NO_CONNECTIONS;
    }
    const block = (src.block ?? dst.block)!;
    const group = (src.group ?? dst.group)!;
    const entries = entriesOf(block, src.block ? 'source' : 'destination');
    if (entries.length === 0) return NO_CONNECTIONS;
    for (const end of podEnds.get(group)!) {
      const e = familyEntry(end, block.family);
      if (e === undefined) return NO_CONNECTIONS;
      for (const x of entries) if (!meet(src.block ? image.connections(x, e) : image.connections(e, x))) return NO_CONNECTIONS;
    }
    return acc ?? NO_CONNECTIONS;
  };

  /**
   * Per endpoint, a small number standing for what its connections depend on in one role (the
   * image keys of its pods' entries, with their families, or of its regions' entries): equal
   * numbers, equal sets against any other endpoint. An entry without a key (a node address)
   * makes the endpoint its own.
   */
  const signatures = (side: readonly Endpoint[], role: 'source' | 'destination'): number[] => {
    const key = (e: number | undefined): number | string =>
      e === undefined ? '' : contested(e) ? -1 : role === 'source' ? image.sourceKey(e) : image.destinationKey(e);
    const ids = new Map<string, number>();
    return side.map((e) => {
      const parts: (number | string)[][] = e.group
        ? podEnds.get(e.group)!.map((p) => [key(p.any), key(p.v4), key(p.v6)])
        : [[`${e.block!.family}`, ...new Set(entriesOf(e.block!, role).map(key))].sort()];
      const sig = parts.some((p) => p.includes(-1)) ? `own:${e.name}` : `${e.kind === 'external' ? 'x' : 'g'}${JSON.stringify(parts)}`;
      let id = ids.get(sig);
      if (id === undefined) ids.set(sig, (id = ids.size));
      return id;
    });
  };

  const focusing = focusWorkload.length > 0;
  // A focus that matches nothing gives an empty (or narrower) report: say why rather than print nothing.
  if (members.length === 0) warnings.push('no workloads or pods in the input: there is no endpoint to report on');
  for (const f of focusWorkload) {
    if (!members.some((m) => matchesFocus(m, [f]))) warnings.push(`focus workload ${f}: no such workload in the input`);
  }
  for (const f of focusWorkloadPeer) {
    if (!members.some((m) => matchesFocus(m, [f]))) warnings.push(`focus workload peer ${f}: no such workload in the input`);
  }
  for (const ns of focusNamespace) {
    if (!members.some((m) => m.namespace === ns)) warnings.push(`focus namespace ${ns}: no workload or pod in this namespace`);
  }
  // Per endpoint, once: is it a focus workload, a focus peer, in a focus namespace.
  const focus = new Map<Endpoint, { workload: boolean; peer: boolean; namespace: boolean }>();
  for (const e of [...sources, ...destinations]) {
    focus.set(e, {
      workload: matchesFocus(e, focusWorkload),
      peer: focusWorkloadPeer.length === 0 || matchesFocus(e, focusWorkloadPeer),
      namespace: e.namespace !== undefined && focusNamespace.includes(e.namespace),
    });
  }
  const includes = (src: Endpoint, dst: Endpoint): boolean => {
    if (src === dst || (src.kind === 'external' && dst.kind === 'external')) return false;
    const s = focus.get(src)!;
    const d = focus.get(dst)!;
    if (focusNamespace.length > 0 && !s.namespace && !d.namespace) return false;
    return !focusing || (s.workload && d.peer) || (d.workload && s.peer);
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
      const filtering = focusing || focusNamespace.length > 0;
      const empty = { ignoreOtherProtocols: isCompat };
      // Endpoints whose pods (or regions) have the same image keys get the same sets: one
      // between() per pair of signatures, every other pair a table read.
      const srcSig = signatures(sources, 'source');
      const dstSig = signatures(destinations, 'destination');
      const width = Math.max(0, ...dstSig) + 1;
      const cells = (Math.max(0, ...srcSig) + 1) * width;
      const table = cells <= 1 << 24 ? new Int32Array(cells) : undefined;
      const map = new Map<number, number>();
      const sets: ConnectionSet[] = [];
      const listed: boolean[] = [];
      const dstExternal = destinations.map((d) => d.kind === 'external');
      for (let i = 0; i < sources.length; i++) {
        const src = sources[i]!;
        const srcExternal = src.kind === 'external';
        const row = srcSig[i]! * width;
        for (let j = 0; j < destinations.length; j++) {
          if (srcExternal && dstExternal[j]) continue;
          const dst = destinations[j]!;
          if (src === dst || (filtering && !includes(src, dst))) continue;
          const cell = row + dstSig[j]!;
          let id = table ? table[cell]! - 1 : (map.get(cell) ?? -1);
          if (id < 0) {
            // Without the table the map is a bounded cache (a Map holds at most 2^24 entries, and the sets with it).
            if (!table && map.size >= 1 << 20) {
              map.clear();
              sets.length = 0;
              listed.length = 0;
            }
            const conns = between(src, dst);
            id = sets.push(conns) - 1;
            listed.push(!isNoConnections(conns, empty));
            if (table) table[cell] = id + 1;
            else map.set(cell, id);
          }
          if (listed[id]) yield { src, dst, conns: sets[id]! };
        }
      }
    },
    between: (src, dst) => between(resolve(src, sources), resolve(dst, destinations)),
  };
}
