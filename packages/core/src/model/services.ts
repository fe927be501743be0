/**
 * Services as kube-proxy applies them, before policy sees a packet: which Service (and which of
 * its ports) a destination hits, and the backends it is translated (DNAT) to, each with the
 * port the connection arrives on.
 *
 * - A destination hits a Service on a ClusterIP, an external IP or a load-balancer IP with one
 *   of the Service's ports (protocol and number), or on any node address with a nodePort.
 * - Backends: the ready endpoints of the Service's EndpointSlices when the input holds any for
 *   it (their ports give the numbers, as kube-proxy reads them); else the Service's selector over
 *   the pods (pod-network or not, Succeeded and Failed excluded) and the template pods of
 *   workloads without pods (model/endpoints.ts), with a named targetPort looked up on each pod's
 *   container ports, then its init containers' (podutil.FindPort): a pod without a port of that
 *   name and protocol is no backend for that Service port, as the EndpointSlice controller
 *   leaves it out.
 * - Headless Services have no virtual address: nothing hits them by address; by name they
 *   stand for their backends (what their DNS name resolves to), at the resolved target ports.
 * - ExternalName Services are a DNS alias (CNAME): no address, no DNAT, no backends.
 */
import { formatIP, ipKey, type Family, type IPAddress } from '../ip/address.js';
import { isTerminal } from './cluster-index.js';
import type { FlowEnd } from './flow.js';
import { templatePods } from './endpoints.js';
import { selectorMatches } from './selector.js';
import type { Cluster, EndpointSlice, Labels, Pod, PolicyProtocol, Service, ServicePort } from './types.js';

/** One end of a flow and how verdicts name it (`ns/pod`, `ns/name[Kind]`, an address). */
export interface NamedEnd {
  readonly name: string;
  readonly end: FlowEnd;
}

/** How a flow reached a Service: one of its virtual addresses, a node address with a nodePort, or its name. */
export type ServiceVia = 'cluster-ip' | 'external-ip' | 'node-port' | 'name';

/** A Service port a destination hits. */
export interface ServiceTarget {
  readonly service: Service;
  readonly port: ServicePort;
  readonly via: ServiceVia;
  /** The address the client connected to; absent when the Service was named (`svc:ns/name:port`). */
  readonly address?: IPAddress;
}

/** Where a Service's backends came from. */
export type BackendSource = 'endpoint-slices' | 'selector' | 'none';

/**
 * One backend of a Service port: a pod (with its address when it has one; a workload's template
 * pod and a pod not yet given an IP have none) or a bare EndpointSlice address, and the port the
 * connection arrives on after DNAT.
 */
export interface ServiceBackend {
  /** `namespace/pod` for a pod, `namespace/name[Kind]` for a template pod, the address for an endpoint naming no known pod. */
  readonly name: string;
  readonly pod?: Pod;
  readonly address?: IPAddress;
  readonly port: number;
  /** Why this backend cannot be judged (it then counts as denying: fail closed). */
  readonly unjudgeable?: string;
}

/** The backends of a Service port for one address family, and what was left out and why. */
export interface ServiceBackends {
  readonly source: BackendSource;
  readonly backends: readonly ServiceBackend[];
  /** Endpoints and pods left out (not ready, no port of that name, another family), in words. */
  readonly notes: readonly string[];
}

const protocolOf = (n: number): PolicyProtocol | undefined => (n === 6 ? 'TCP' : n === 17 ? 'UDP' : n === 132 ? 'SCTP' : undefined);

/**
 * A named target port on one pod, as podutil.FindPort resolves it: the first container port of
 * that name and protocol, app containers before init containers.
 */
export function namedTargetPort(pod: Pod, name: string, protocol: PolicyProtocol): number | undefined {
  const match = (init: boolean) => pod.ports.find((p) => p.init === init && p.name === name && p.protocol === protocol);
  return (match(false) ?? match(true))?.port;
}

/** The Service port a `svc:` flow names: by number, or by the port's name. */
export function servicePortBySpec(service: Service, spec: number | string): ServicePort | undefined {
  return service.ports.find((p) => (typeof spec === 'number' ? p.port === spec : p.name === spec));
}

/** `namespace/name` of a Service. */
export const serviceKey = (s: { namespace: string; name: string }): string => `${s.namespace}/${s.name}`;

/** What a destination address hits when it is a Service address but no port of it matches. */
export interface ServiceMiss {
  readonly service: Service;
  readonly via: ServiceVia;
  readonly address: IPAddress;
}

/**
 * Lookups over a Cluster's Services: by address (virtual addresses and node addresses with
 * nodePorts), by name, and the backends of a port. Built once per cluster.
 */
export class ServiceIndex {
  readonly cluster: Cluster;
  private readonly byAddr = new Map<number | string, { service: Service; via: ServiceVia }[]>();
  private readonly nodeAddrs = new Set<number | string>();
  private readonly byKey = new Map<string, Service>();
  private readonly slices = new Map<string, EndpointSlice[]>();
  private readonly podsByName = new Map<string, Pod>();
  private readonly podsByIP = new Map<number | string, Pod>();
  /** backends() answers, as many as the cluster has Service ports (times three families). */
  private readonly found = new Map<string, ServiceBackends>();

  constructor(cluster: Cluster) {
    this.cluster = cluster;
    const services = cluster.services ?? [];
    for (const s of services) {
      this.byKey.set(serviceKey(s), s);
      const add = (ip: IPAddress, via: ServiceVia): void => {
        const list = this.byAddr.get(ipKey(ip)) ?? [];
        list.push({ service: s, via });
        this.byAddr.set(ipKey(ip), list);
      };
      for (const ip of s.clusterIPs) add(ip, 'cluster-ip');
      for (const ip of s.externalIPs) add(ip, 'external-ip');
    }
    if (services.some((s) => s.ports.some((p) => p.nodePort !== undefined)))
      for (const node of cluster.nodes) for (const ip of node.ips) this.nodeAddrs.add(ipKey(ip));
    for (const slice of cluster.endpointSlices ?? []) {
      if (slice.service === '') continue;
      const key = `${slice.namespace}/${slice.service}`;
      this.slices.set(key, [...(this.slices.get(key) ?? []), slice]);
    }
    for (const pod of cluster.pods) {
      this.podsByName.set(`${pod.namespace}/${pod.name}`, pod);
      if (!isTerminal(pod)) for (const ip of pod.ips) if (!this.podsByIP.has(ipKey(ip))) this.podsByIP.set(ipKey(ip), pod);
    }
  }

  /** Whether the cluster has any Service (callers skip every lookup otherwise). */
  get empty(): boolean {
    return this.byKey.size === 0;
  }

  /** The Service `namespace/name`, if the input holds it. */
  service(namespace: string, name: string): Service | undefined {
    return this.byKey.get(`${namespace}/${name}`);
  }

  /**
   * The Service port a connection to `address` (`protocol` number, destination `port`) hits:
   * a virtual address with a port of that protocol and number, or a node address with such a
   * nodePort. A Service address with no such port gives a ServiceMiss (kube-proxy translates
   * nothing, and the connection reaches no backend); any other address gives undefined.
   */
  at(address: IPAddress, protocol: number, port: number | undefined): ServiceTarget | ServiceMiss | undefined {
    const proto = protocolOf(protocol);
    const hits = this.byAddr.get(ipKey(address));
    for (const { service, via } of hits ?? []) {
      const p = proto && service.ports.find((sp) => sp.protocol === proto && sp.port === port);
      if (p) return { service, port: p, via, address };
    }
    if (proto && port !== undefined && this.nodeAddrs.has(ipKey(address))) {
      for (const service of this.cluster.services ?? []) {
        const p = service.ports.find((sp) => sp.protocol === proto && sp.nodePort === port);
        if (p) return { service, port: p, via: 'node-port', address };
      }
    }
    const first = hits?.[0];
    return first && { service: first.service, via: first.via, address };
  }

  /**
   * The backends of `target`'s Service port in `family` (undefined: IPv4 endpoints when the
   * Service has any, else IPv6; pods without an address either way). EndpointSlices when the
   * input holds any for the Service, else the selector (module comment).
   */
  backends(target: Pick<ServiceTarget, 'service' | 'port'>, family?: Family): ServiceBackends {
    // Remembered per Service port and family: a flow file or a capture asks again and again.
    const key = `${serviceKey(target.service)}|${target.port.protocol}|${target.port.port}|${family ?? ''}`;
    let found = this.found.get(key);
    if (!found) this.found.set(key, (found = this.resolve(target.service, target.port, family)));
    return found;
  }

  private resolve(service: Service, port: ServicePort, family: Family | undefined): ServiceBackends {
    if (service.type === 'ExternalName')
      return { source: 'none', backends: [], notes: [`ExternalName: a DNS alias of ${service.externalName ?? '?'}; kube-proxy translates nothing`] };
    const slices = this.slices.get(serviceKey(service));
    if (slices) return this.sliceBackends(slices, port, family);
    if (!service.selector) return { source: 'none', backends: [], notes: ['no selector and no EndpointSlice in the input: no backends'] };
    return this.selectorBackends(service, service.selector, port, family);
  }

  private sliceBackends(slices: readonly EndpointSlice[], port: ServicePort, family?: Family): ServiceBackends {
    const notes: string[] = [];
    const usable = slices.filter((s) => s.addressType !== 'FQDN');
    if (usable.length < slices.length) notes.push(`${slices.length - usable.length} FQDN EndpointSlice(s) not used (kube-proxy ignores them)`);
    const fam = family ?? (usable.some((s) => s.addressType === 'IPv4') ? 4 : 6);
    const type = fam === 4 ? 'IPv4' : 'IPv6';
    const other = usable.filter((s) => s.addressType !== type).length;
    if (other > 0) notes.push(`${other} EndpointSlice(s) of the other address family not used`);
    const backends: ServiceBackend[] = [];
    const seen = new Set<string>();
    let notReady = 0;
    for (const slice of usable) {
      if (slice.addressType !== type) continue;
      const sp = slice.ports.find((p) => p.name === (port.name ?? '') && p.protocol === port.protocol);
      if (!sp) {
        if (slice.endpoints.length > 0)
          notes.push(`EndpointSlice ${slice.namespace}/${slice.name} has no port ${portLabel(port)}: none of its endpoints is a backend of it`);
        continue;
      }
      for (const ep of slice.endpoints) {
        if (!ep.ready) {
          notReady++;
          continue;
        }
        // kube-proxy uses an endpoint's first address.
        const address = ep.addresses[0];
        if (!address) continue;
        const key = `${ipKey(address)}|${sp.port}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const pod = (ep.pod !== undefined ? this.podsByName.get(ep.pod) : undefined) ?? this.podsByIP.get(ipKey(address));
        backends.push({ name: pod ? `${pod.namespace}/${pod.name}` : (ep.pod ?? formatIP(address)), ...(pod && { pod }), address, port: sp.port });
      }
    }
    if (notReady > 0) notes.push(`${notReady} endpoint(s) not ready: not backends (kube-proxy sends them nothing)`);
    return { source: 'endpoint-slices', backends, notes };
  }

  private selectorBackends(service: Service, selector: Labels, port: ServicePort, family?: Family): ServiceBackends {
    const notes: string[] = [];
    const backends: ServiceBackend[] = [];
    const templates = templatePods(this.cluster);
    const isTemplate = new Set(templates);
    const matches = { matchLabels: selector, matchExpressions: [] };
    for (const pod of [...this.cluster.pods.filter((p) => !isTerminal(p)), ...templates]) {
      if (pod.namespace !== service.namespace || !selectorMatches(matches, pod.labels)) continue;
      const name = isTemplate.has(pod) ? `${pod.namespace}/${pod.owner!.name}[${pod.owner!.kind}]` : `${pod.namespace}/${pod.name}`;
      const target = typeof port.targetPort === 'number' ? port.targetPort : namedTargetPort(pod, port.targetPort, port.protocol);
      if (target === undefined) {
        notes.push(`${name} has no ${port.protocol} container port named ${port.targetPort}: not a backend of port ${portLabel(port)}`);
        continue;
      }
      if (pod.ips.length > 0) {
        const address = family === undefined ? (pod.ips.find((ip) => ip.family === 4) ?? pod.ips[0]) : pod.ips.find((ip) => ip.family === family);
        if (!address) {
          notes.push(`${name} has no IPv${family} address: not a backend for IPv${family} clients`);
          continue;
        }
        backends.push({ name, pod, address, port: target });
      } else if (pod.hostNetwork) {
        // Its traffic is its node's, and which node is unknown before it runs.
        backends.push({ name, pod, port: target, unjudgeable: 'a hostNetwork pod without an address: its node, and so the address policy sees, is unknown' });
      } else backends.push({ name, pod, port: target });
    }
    return { source: 'selector', backends, notes };
  }
}

/** A Service port as messages name it: `http (80/TCP)` or `80/TCP`. */
export function portLabel(p: ServicePort): string {
  return p.name !== undefined ? `${p.name} (${p.port}/${p.protocol})` : `${p.port}/${p.protocol}`;
}
