/** Pod-to-pod connectivity matrices: one grid of verdicts per protocol/port. */
import type { IPAddress } from '../ip/address.js';
import { templatePods } from '../model/endpoints.js';
import { decidingTier, isDenying, type DecidingTier, type FlowEnd, type Verdict } from '../model/flow.js';
import { hasPorts, parseProtocol, protocolName, PROTOCOL_NUMBERS } from '../model/protocol.js';
import type { Pod } from '../model/types.js';
import type { BetweenEngine, Engine } from './engine.js';

/** A protocol number and, for TCP, UDP and SCTP, a destination port (parsePortSpec reads `TCP/80`, `53`, `ICMP`). */
export interface PortSpec {
  readonly protocol: number;
  readonly port?: number;
}

/** `80`, `TCP/80`, `udp/53`, `ICMP`, `132/9`: a protocol (default TCP) and a port where it has ports. */
export function parsePortSpec(text: string): PortSpec | undefined {
  const [a, b] = text.split('/');
  const numeric = (s: string | undefined): number | undefined => (s !== undefined && /^[0-9]{1,5}$/.test(s) && Number(s) <= 65535 ? Number(s) : undefined);
  if (b === undefined && numeric(a) !== undefined) return { protocol: PROTOCOL_NUMBERS.TCP, port: numeric(a)! };
  const protocol = parseProtocol(a);
  if (protocol === undefined) return undefined;
  if (hasPorts(protocol)) {
    const port = numeric(b);
    return port === undefined ? undefined : { protocol, port };
  }
  return b === undefined ? { protocol } : undefined;
}

export const formatPortSpec = (p: PortSpec): string => (p.port === undefined ? protocolName(p.protocol) : `${protocolName(p.protocol)}/${p.port}`);

/**
 * Who may open a connection to whom, for one protocol and port: a grid over the pods, square
 * unless the rows are of some namespaces only (MatrixNamespaces.rows: then `columns`).
 */
export interface Matrix {
  readonly port: string;
  /**
   * `namespace/name` of each pod, the rows (sources), and the columns (destinations) too unless
   * `columns` is given; a workload with no pod in the input is one row and column,
   * `namespace/name[Kind]` (its template pod).
   */
  readonly pods: readonly string[];
  /** The columns (destinations), when they are not `pods`: rows of some namespaces, columns of all. */
  readonly columns?: readonly string[];
  /** allowed[i][j]: pods[i] may open a connection to columns[j] (pods[j] without `columns`). */
  readonly allowed: readonly (readonly boolean[])[];
  /**
   * decidedBy[i][j]: the tier that decided allowed[i][j] (`verdictTier`); null when none did.
   * Present only when an Admin or Baseline rule decided some cell.
   */
  readonly decidedBy?: readonly (readonly (DecidingTier | null)[])[];
}

/**
 * The tier that decided a flow: for a denied flow, the one that denied it (egress first); for an
 * allowed one, an Admin Accept, else a NetworkPolicy rule, else a Baseline Accept; null when no
 * tier had anything to say (both ends not isolated or not pods, or always allowed).
 */
export function verdictTier(v: Verdict): DecidingTier | null {
  const tiers = [v.egress, v.ingress].filter((d) => isDenying(d) === !v.allowed).map(decidingTier);
  if (!v.allowed) return tiers[0]!;
  return (['admin', 'networkpolicy', 'baseline'] as const).find((t) => tiers.includes(t)) ?? null;
}

/** Pods that can be endpoints: pod-network, not finished, with an IP. */
export function matrixPods(engine: Engine, namespaces?: readonly string[]): Pod[] {
  return engine.index.cluster.pods
    .filter((p) => !p.hostNetwork && p.ips.length > 0 && p.phase !== 'Succeeded' && p.phase !== 'Failed')
    .filter((p) => !namespaces || namespaces.length === 0 || namespaces.includes(p.namespace))
    .sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`));
}

/** The template pods of workloads without pods (pod network), optionally of `namespaces`, by name. */
function matrixTemplates(engine: Engine, namespaces?: readonly string[]): Pod[] {
  return templatePods(engine.index.cluster)
    .filter((p) => !p.hostNetwork && (!namespaces || namespaces.length === 0 || namespaces.includes(p.namespace)))
    .sort((a, b) => matrixName(a).localeCompare(matrixName(b)));
}

/** A row's name: `namespace/name` for a pod, `namespace/name[Kind]` for a workload's template pod. */
const matrixName = (p: Pod): string => (p.ips.length === 0 && p.owner ? `${p.namespace}/${p.owner.name}[${p.owner.kind}]` : `${p.namespace}/${p.name}`);

function commonPair(a: Pod, b: Pod): [IPAddress, IPAddress] | undefined {
  for (const family of [4, 6]) {
    const x = a.ips.find((ip) => ip.family === family);
    const y = b.ips.find((ip) => ip.family === family);
    if (x && y) return [x, y];
  }
  return undefined;
}

/** Whether two namespace filters (absent or empty: all) pick the same pods. */
const sameNamespaces = (a: readonly string[] | undefined, b: readonly string[] | undefined): boolean =>
  (a?.length ?? 0) === 0 ? (b?.length ?? 0) === 0 : (b?.length ?? 0) !== 0 && a!.length === b!.length && a!.every((n) => b!.includes(n));

/** The ends a pair is judged on when one of them has no address: the other's IPv4 address, else its IPv6 one. */
const end = (p: Pod): FlowEnd => {
  const address = p.ips.find((ip) => ip.family === 4) ?? p.ips[0];
  return address ? { pod: p, address } : { pod: p };
};

/**
 * The namespaces a matrix's rows (sources) and columns (destinations) are taken from; each
 * absent or empty: every namespace. `netpol matrix --in NS` is `{ rows: [NS] }`: the connections
 * NS's pods may open to every pod, cross-namespace ones included.
 */
export interface MatrixNamespaces {
  readonly rows?: readonly string[];
  readonly columns?: readonly string[];
}

/**
 * One Matrix per port spec over the pods that can be endpoints (pod network, an IP, not
 * finished), sorted by `namespace/name`, then the workloads without pods in the input (their
 * template pods, which no ipBlock matches: engine.verdictBetween judges them; an engine without
 * it throws a TypeError), optionally only those of `namespaces` (a list: rows and columns
 * alike; MatrixNamespaces: each its own, and the matrix has `columns` when they differ). Pods
 * with no address family in common are not connected. Costs rows × columns verdicts per port.
 *
 * @example
 * const [tcp80] = connectivityMatrix(new CompiledDataplane(cluster), [parsePortSpec('TCP/80')!]);
 * console.log(tcp80.pods[0], tcp80.allowed[0]);
 */
export function connectivityMatrix(
  // an engine that judges ends without an address too (CompiledDataplane, ReferenceEvaluator) for workloads without pods
  engine: Engine & Partial<Pick<BetweenEngine, 'verdictBetween'>>,
  ports: readonly PortSpec[],
  namespaces?: readonly string[] | MatrixNamespaces,
): Matrix[] {
  const { rows: rowNs, columns: columnNs } = Array.isArray(namespaces) ? { rows: namespaces, columns: namespaces } : ((namespaces ?? {}) as MatrixNamespaces);
  const ends = (ns: readonly string[] | undefined): Pod[] => {
    const templates = matrixTemplates(engine, ns);
    if (templates.length > 0 && !engine.verdictBetween) throw new TypeError('this engine cannot judge workloads without pods (no verdictBetween)');
    return [...matrixPods(engine, ns), ...templates];
  };
  const pods = ends(rowNs);
  const square = sameNamespaces(rowNs, columnNs);
  const columns = square ? pods : ends(columnNs);
  return ports.map((spec) => {
    const verdicts = pods.map((src) =>
      columns.map((dst) => {
        if (src.ips.length === 0 || dst.ips.length === 0) return engine.verdictBetween!(end(src), end(dst), spec.protocol, spec.port);
        const pair = commonPair(src, dst);
        if (!pair) return undefined; // no common family: no connection is possible
        return engine.verdict({ src: pair[0], dst: pair[1], protocol: spec.protocol, ...(spec.port !== undefined && { port: spec.port }) });
      }),
    );
    const decidedBy = verdicts.map((row) => row.map((v) => (v ? verdictTier(v) : null)));
    const tiered = decidedBy.some((row) => row.some((t) => t === 'admin' || t === 'baseline'));
    return {
      port: formatPortSpec(spec),
      pods: pods.map(matrixName),
      ...(!square && { columns: columns.map(matrixName) }),
      allowed: verdicts.map((row) => row.map((v) => v?.allowed ?? false)),
      ...(tiered && { decidedBy }),
    };
  });
}
