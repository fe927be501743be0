/**
 * Flow records with every kind of end netpol judges: what parseFlow reads (IPs, `namespace/pod`
 * with an IP), plus
 * - `svc:namespace/name:port` as `dst` (the Service port by number or name), or a Service
 *   address (ClusterIP, external or load-balancer IP, a node address with a nodePort) with a
 *   port of it: judged after kube-proxy's DNAT, per backend (analysis/service-verdict.ts);
 * - `namespace/name[Kind]`: an endpoint (model/endpoints.ts), every pod of it, or a workload's
 *   template pod when none of its pods is in the input;
 * - `namespace/pod` naming a pod without an address (not yet given one): judged as such;
 * - a pod or endpoint named without its namespace (`client`, `web[Deployment]`): looked up in
 *   FlowRecordOptions.namespace (the CLI's -n; bare-names.ts);
 * - `"port": "http"`: a named port, resolved on the destination pod's containers
 *   (named-port.ts), or for a `svc:namespace/name` destination the Service port of that name.
 * A record with only addresses and pods with IPs, to no Service address, is exactly what
 * parseFlow makes of it (once names are resolved).
 */
import { parseIP, type Family, type IPAddress } from '../ip/address.js';
import { truncate } from '../load/issues.js';
import { isTerminal, type ClusterIndex } from '../model/cluster-index.js';
import { endpointGroups, type EndpointGroup } from '../model/endpoints.js';
import type { Flow } from '../model/flow.js';
import { PROTOCOL_NUMBERS, parseProtocol } from '../model/protocol.js';
import { servicePortBySpec, type NamedEnd, type ServiceIndex, type ServiceMiss, type ServiceTarget } from '../model/services.js';
import type { Cluster, Pod, PolicyProtocol } from '../model/types.js';
import { BareNames } from './bare-names.js';
import { resolveNamedPort } from './named-port.js';
import { candidates, flowFields, parseFlow, terminalPod } from './parse.js';

/** What a flow record is: a plain flow, a flow to a Service, or a flow between endpoints; or why it is none. */
export type FlowRecordParse =
  | { readonly ok: true; readonly kind: 'flow'; readonly flow: Flow }
  | { readonly ok: true; readonly kind: 'service'; readonly src: readonly NamedEnd[]; readonly target: ServiceTarget | ServiceMiss }
  | {
      readonly ok: true;
      readonly kind: 'ends';
      readonly src: readonly NamedEnd[];
      readonly dst: readonly NamedEnd[];
      readonly protocol: number;
      readonly port?: number;
    }
  | { readonly ok: false; readonly error: string };

/** One end before a family is chosen: addresses (an IP, a pod's IPs) or pods (an endpoint's). */
type End =
  | { readonly kind: 'addresses'; readonly name: string; readonly ips: readonly IPAddress[] }
  | { readonly kind: 'pods'; readonly pods: readonly { readonly name: string; readonly pod: Pod }[] }
  | { readonly kind: 'service'; readonly namespace: string; readonly name: string; readonly port?: number | string };

const ENDPOINT = /^([^/[\]]+)\/([^/[\]]+)\[([A-Za-z]+)\]$/;
const SERVICE = /^svc:([^/:]+)\/([^/:]+)(?::([^/:]+))?$/;
const PROTOCOLS: Readonly<Record<number, PolicyProtocol>> = { [PROTOCOL_NUMBERS.TCP]: 'TCP', [PROTOCOL_NUMBERS.UDP]: 'UDP', [PROTOCOL_NUMBERS.SCTP]: 'SCTP' };

const groups = new WeakMap<Cluster, ReadonlyMap<string, EndpointGroup>>();

/** The workload-level endpoints by name, made once per cluster (a flow file names them line after line). */
function groupsOf(cluster: Cluster): ReadonlyMap<string, EndpointGroup> {
  let byName = groups.get(cluster);
  if (!byName) groups.set(cluster, (byName = new Map(endpointGroups(cluster, 'workload').map((g) => [g.name, g]))));
  return byName;
}

const bareNames = new WeakMap<Cluster, BareNames>();

/** The pods and endpoints a name without a namespace may stand for, indexed once per cluster. */
function bareNamesOf(cluster: Cluster): BareNames {
  let names = bareNames.get(cluster);
  if (!names) bareNames.set(cluster, (names = new BareNames(cluster.pods, groupsOf(cluster).keys())));
  return names;
}

/** A pod's name in verdicts: `ns/pod`, or its endpoint's for a template pod (`ns/name[Kind]`). */
function podEnd(pod: Pod, template: boolean): { name: string; pod: Pod } {
  return { name: template && pod.owner ? `${pod.namespace}/${pod.owner.name}[${pod.owner.kind}]` : `${pod.namespace}/${pod.name}`, pod };
}

function resolveEnd(field: 'src' | 'dst', value: unknown, index: ClusterIndex): End | string {
  if (typeof value === 'string') {
    const svc = SERVICE.exec(value);
    if (svc) {
      if (field === 'src') return `"src": a Service is not a source (connections to it come from pods or addresses)`;
      const spec = svc[3];
      return { kind: 'service', namespace: svc[1]!, name: svc[2]!, ...(spec !== undefined && { port: /^[0-9]+$/.test(spec) ? Number(spec) : spec }) };
    }
    if (value.startsWith('svc:'))
      return `"${field}": ${JSON.stringify(truncate(value))} is no Service reference: write svc:namespace/name:port (the port by number or name)`;
    const ep = ENDPOINT.exec(value);
    if (ep) {
      const group = groupsOf(index.cluster).get(value);
      if (group) return { kind: 'pods', pods: group.pods.map((p) => podEnd(p, group.template)) };
      const pod = ep[3] === 'Pod' ? index.podByName(ep[1]!, ep[2]!) : undefined;
      if (pod && isTerminal(pod)) return terminalPod(field, pod);
      if (pod && !pod.hostNetwork) return { kind: 'pods', pods: [podEnd(pod, false)] };
      return `"${field}": no endpoint ${truncate(value)} in the input (endpoints are namespace/name[Kind]: a workload, or a pod as namespace/pod[Pod])`;
    }
    const slash = value.indexOf('/');
    if (!parseIP(value) && slash > 0 && !value.includes('/', slash + 1)) {
      const pod = index.podByName(value.slice(0, slash), value.slice(slash + 1));
      // A pod not yet given an address is judged as such (address-less ends).
      if (pod && pod.ips.length === 0 && !pod.hostNetwork && !isTerminal(pod)) return { kind: 'pods', pods: [podEnd(pod, false)] };
      // `ns/name` of a workload (manifests have no pods): point at the endpoint name that works.
      const workload = pod ? undefined : [...groupsOf(index.cluster).keys()].find((n) => n.startsWith(`${value}[`));
      if (workload) return `"${field}": no pod ${truncate(value)} in the input, but an endpoint ${truncate(workload)}: name it so`;
    }
  }
  const ips = candidates(field, value, index);
  return typeof ips === 'string' ? ips : { kind: 'addresses', name: value as string, ips };
}

/** The ends in `family` (undefined: any): an address of it for each address or pod with IPs, the pod itself for one without. */
function named(end: End, family: Family | undefined, field: 'src' | 'dst'): NamedEnd[] | string {
  if (end.kind === 'service') return [];
  if (end.kind === 'addresses') {
    const ip = family === undefined ? end.ips[0]! : end.ips.find((x) => x.family === family);
    return ip ? [{ name: end.name, end: { address: ip } }] : `"${field}": ${truncate(end.name)} has no IPv${family} address`;
  }
  const out: NamedEnd[] = [];
  for (const { name, pod } of end.pods) {
    if (pod.ips.length === 0) {
      out.push({ name, end: { pod } });
      continue;
    }
    const ip = family === undefined ? (pod.ips.find((x) => x.family === 4) ?? pod.ips[0]!) : pod.ips.find((x) => x.family === family);
    if (!ip) return `"${field}": pod ${truncate(name)} has no IPv${family} address`;
    out.push({ name, end: { address: ip } });
  }
  return out;
}

/** Every address an end has (address-less pods have none). */
const addressesOf = (end: End): readonly IPAddress[] => (end.kind === 'addresses' ? end.ips : end.kind === 'pods' ? end.pods.flatMap((p) => p.pod.ips) : []);

/** The family every addressed end can use (IPv4 first); undefined when no end has an address; null when none fits. */
function commonFamily(ends: readonly End[]): Family | undefined | null {
  const constrained = ends.filter((e) => addressesOf(e).length > 0);
  if (constrained.length === 0) return undefined;
  const has = (e: End, f: Family): boolean =>
    e.kind === 'addresses'
      ? e.ips.some((x) => x.family === f)
      : e.kind === 'pods'
        ? e.pods.every((p) => p.pod.ips.length === 0 || p.pod.ips.some((x) => x.family === f))
        : true;
  for (const f of [4, 6] as const) if (constrained.every((e) => has(e, f))) return f;
  return null;
}

const NO_FAMILY = `"src" and "dst" have no address family in common (policy matching is family-strict)`;

/** `svc:ns/name[:port]` → the Service port it names, with the record's protocol. */
function namedService(end: Extract<End, { kind: 'service' }>, rec: Record<string, unknown>, services: ServiceIndex): Omit<ServiceTarget, 'address'> | string {
  const service = services.service(end.namespace, end.name);
  const key = `${end.namespace}/${end.name}`;
  if (!service) return `"dst": no Service ${truncate(key)} in the input`;
  if (service.type === 'ExternalName')
    return `"dst": Service ${truncate(key)} is ExternalName, a DNS alias of ${service.externalName}: kube-proxy translates nothing; judge a flow to the address that name resolves to (with "dstName": "${service.externalName}")`;
  if (end.port !== undefined && rec['port'] !== undefined) return `"dst" names the Service port; leave "port" out`;
  // "port" beside svc:ns/name: the Service port by number or name, as after the colon.
  const given = rec['port'];
  const spec =
    end.port ?? (typeof given === 'number' ? given : typeof given === 'string' && given !== '' ? (/^[0-9]+$/.test(given) ? Number(given) : given) : undefined);
  if (spec === undefined) return `"dst": give the Service port as svc:${truncate(key)}:<port number or name>`;
  const protocol = rec['protocol'] === undefined ? undefined : parseProtocol(rec['protocol']);
  if (rec['protocol'] !== undefined && (protocol === undefined || PROTOCOLS[protocol] === undefined))
    return `"protocol" must be TCP, UDP or SCTP for a Service port`;
  const wanted = protocol === undefined ? undefined : PROTOCOLS[protocol];
  const port = typeof spec === 'number' ? service.ports.find((p) => p.port === spec && p.protocol === (wanted ?? 'TCP')) : servicePortBySpec(service, spec);
  const known = truncate(service.ports.map((p) => `${p.name ?? p.port} (${p.port}/${p.protocol})`).join(', ') || 'none');
  if (!port)
    return `"dst": Service ${truncate(key)} has no ${typeof spec === 'number' ? `port ${spec}/${wanted ?? 'TCP'}` : `port named ${truncate(spec)}`}; its ports: ${known}`;
  if (wanted !== undefined && port.protocol !== wanted)
    return `"dst": port ${truncate(String(spec))} of Service ${truncate(key)} is ${port.protocol}, not ${wanted}`;
  return { service, port, via: 'name' };
}

/** Options of parseFlowRecord. */
export interface FlowRecordOptions {
  /**
   * Where a pod or endpoint named without its namespace (`"src": "client"`,
   * `"dst": "web[Deployment]"`) is looked up, like `kubectl -n` (the CLI passes every `-n`
   * given); default `['default']`. A name found in several of them is an error.
   */
  readonly namespaces?: readonly string[];
}

/**
 * `"port": "http"` → the number and protocol it names on the destination's pods (the pod an
 * address or `ns/pod` names, or an endpoint's pods), with the record's protocol if it gives one.
 */
function namedPort(
  rec: Record<string, unknown>,
  dst: Exclude<End, { kind: 'service' }>,
  index: ClusterIndex,
): { port: number; protocol: PolicyProtocol } | string {
  const name = rec['port'] as string;
  const number = rec['protocol'] === undefined ? undefined : parseProtocol(rec['protocol']);
  const protocol = number === undefined ? undefined : PROTOCOLS[number];
  if (rec['protocol'] !== undefined && protocol === undefined) return `"port" is a named port: "protocol" must be TCP, UDP or SCTP`;
  const pods = dst.kind === 'pods' ? dst.pods.map((p) => p.pod) : dst.ips.map((ip) => index.podByIP(ip));
  if (pods.length === 0 || pods.includes(undefined))
    return `"port": a named port (${JSON.stringify(truncate(name))}) is resolved on the destination pod, and ${truncate(String(rec['dst']))} is no pod (give the number)`;
  const resolved = resolveNamedPort(name, pods as Pod[], String(rec['dst']), protocol);
  return typeof resolved === 'string' ? resolved : { port: resolved.port, protocol: resolved.protocol };
}

/**
 * A flow record → a plain Flow, a flow to a Service, or a flow between endpoints (module
 * comment). `services` is the cluster's ServiceIndex: without one (or with no Service in the
 * cluster) `svc:` ends are refused and no address is taken for a Service's. Never throws.
 */
export function parseFlowRecord(input: unknown, index: ClusterIndex, services?: ServiceIndex, options: FlowRecordOptions = {}): FlowRecordParse {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return { ok: false, error: 'a flow must be a JSON object' };
  const given = input as Record<string, unknown>;
  const namespaces = options.namespaces?.length ? options.namespaces : ['default'];
  const names: Record<string, unknown> = {};
  for (const field of ['src', 'dst'] as const) {
    const q = bareNamesOf(index.cluster).qualify(field, given[field], namespaces);
    if (typeof q === 'string') return { ok: false, error: q };
    if (q) names[field] = q.name;
  }
  let rec: Record<string, unknown> = { ...given, ...names };
  const src = resolveEnd('src', rec['src'], index);
  if (typeof src === 'string') return { ok: false, error: src };
  const dst = resolveEnd('dst', rec['dst'], index);
  if (typeof dst === 'string') return { ok: false, error: dst };
  if (dst.kind !== 'service' && typeof rec['port'] === 'string' && !/^[0-9]*$/.test(rec['port'])) {
    const port = namedPort(rec, dst, index);
    if (typeof port === 'string') return { ok: false, error: port };
    rec = { ...rec, ...port };
  }
  const hasServices = services !== undefined && !services.empty;
  if (dst.kind === 'service') {
    if (!hasServices) return { ok: false, error: `"dst": no Service ${truncate(`${dst.namespace}/${dst.name}`)} in the input` };
    const target = namedService(dst, rec, services);
    if (typeof target === 'string') return { ok: false, error: target };
    const rest = flowFields({ ...rec, protocol: target.port.protocol, port: target.port.port });
    if (typeof rest === 'string') return { ok: false, error: rest };
    // The source's family: one the Service has an address of (any, for a headless one).
    const families = target.service.clusterIPs.map((ip) => ip.family);
    const addrs = addressesOf(src);
    const family =
      addrs.length === 0 ? undefined : ([4, 6] as const).find((f) => addrs.some((a) => a.family === f) && (families.length === 0 || families.includes(f)));
    if (addrs.length > 0 && family === undefined) return { ok: false, error: `"src" has no address of the Service's family` };
    const ends = named(src, family, 'src');
    return typeof ends === 'string' ? { ok: false, error: ends } : { ok: true, kind: 'service', src: ends, target };
  }
  if (src.kind === 'addresses' && dst.kind === 'addresses') {
    const parsed = parseFlow(rec, index);
    if (!parsed.ok || !hasServices || parsed.flow.established) return parsed.ok ? { ok: true, kind: 'flow', flow: parsed.flow } : parsed;
    const hit = services.at(parsed.flow.dst, parsed.flow.protocol, parsed.flow.port);
    if (!hit) return { ok: true, kind: 'flow', flow: parsed.flow };
    return { ok: true, kind: 'service', src: [{ name: src.name, end: { address: parsed.flow.src } }], target: hit };
  }
  const rest = flowFields(rec);
  if (typeof rest === 'string') return { ok: false, error: rest };
  const family = commonFamily([src, dst]);
  if (family === null) return { ok: false, error: NO_FAMILY };
  const srcEnds = named(src, family, 'src');
  if (typeof srcEnds === 'string') return { ok: false, error: srcEnds };
  if (dst.kind === 'addresses' && hasServices) {
    const ip = dst.ips.find((x) => family === undefined || x.family === family)!;
    const hit = services.at(ip, rest.protocol, rest.port);
    if (hit) return { ok: true, kind: 'service', src: srcEnds, target: hit };
  }
  const dstEnds = named(dst, family, 'dst');
  if (typeof dstEnds === 'string') return { ok: false, error: dstEnds };
  return { ok: true, kind: 'ends', src: srcEnds, dst: dstEnds, protocol: rest.protocol, ...(rest.port !== undefined && { port: rest.port }) };
}
