/**
 * Lookups every evaluator needs over a Cluster: which pod owns an IP, namespace labels,
 * node IPs, policies per namespace. Built once; plain Maps, no evaluation logic.
 */
import { ipKey, type IPAddress } from '../ip/address.js';
import type { Cluster, Labels, NetworkPolicy, Pod } from './types.js';

/** Succeeded and Failed pods take no part in policy (their IPs may be reused). */
export const isTerminal = (p: Pod): boolean => p.phase === 'Succeeded' || p.phase === 'Failed';

/**
 * Lookups over a Cluster that every engine shares: pods by IP and by name, namespaces' labels,
 * node addresses, policies per namespace. Engines expose theirs as `index` (parseFlow resolves
 * `namespace/pod` through it).
 */
export class ClusterIndex {
  readonly cluster: Cluster;
  private readonly podsByIP = new Map<number | string, { readonly ip: IPAddress; readonly pod: Pod }>();
  private readonly podsByName = new Map<string, Pod>();
  private readonly nsLabels = new Map<string, Labels>();
  private readonly nodeIPs = new Map<string, IPAddress[]>();
  private readonly nodeIPKeys = new Map<number | string, { readonly ip: IPAddress; readonly node: string }>();
  private readonly policiesByNs = new Map<string, NetworkPolicy[]>();
  private readonly nodeLabelsByName = new Map<string, Labels>();

  constructor(cluster: Cluster) {
    this.cluster = cluster;
    for (const ns of cluster.namespaces) this.nsLabels.set(ns.name, ns.labels);
    // Node addresses first, then hostNetwork pods' IPs: an address belongs to one node, the
    // first that claims it (two nodes behind one NAT may share an ExternalIP).
    for (const node of cluster.nodes) for (const ip of node.ips) this.addNodeIP(node.name, ip);
    for (const node of cluster.nodes) if (node.labels) this.nodeLabelsByName.set(node.name, node.labels);
    for (const pod of cluster.pods) {
      this.podsByName.set(`${pod.namespace}/${pod.name}`, pod);
      if (pod.hostNetwork) {
        // A hostNetwork pod's IPs are its node's IPs: its traffic is node traffic (§2.9).
        if (pod.nodeName) for (const ip of pod.ips) this.addNodeIP(pod.nodeName, ip);
        continue;
      }
      if (isTerminal(pod)) continue; // its IP may already belong to someone else
      for (const ip of pod.ips) {
        const k = ipKey(ip);
        const current = this.podsByIP.get(k)?.pod;
        // Several pods claim one IP: the Running one wins, then the first listed (KNP).
        if (!current || (current.phase !== 'Running' && pod.phase === 'Running')) this.podsByIP.set(k, { ip, pod });
      }
    }
    for (const p of cluster.policies) {
      const list = this.policiesByNs.get(p.namespace);
      if (list) list.push(p);
      else this.policiesByNs.set(p.namespace, [p]);
    }
  }

  private addNodeIP(node: string, ip: IPAddress): void {
    const k = ipKey(ip);
    if (this.nodeIPKeys.has(k)) return; // claimed already (by this node or another)
    this.nodeIPKeys.set(k, { ip, node });
    const list = this.nodeIPs.get(node);
    if (list) list.push(ip);
    else this.nodeIPs.set(node, [ip]);
  }

  /** The pod-network pod that owns this IP, if any (hostNetwork and finished pods never do). */
  podByIP(ip: IPAddress): Pod | undefined {
    return this.podsByIP.get(ipKey(ip))?.pod;
  }

  /** The pod `namespace/name`, if the cluster has it. */
  podByName(namespace: string, name: string): Pod | undefined {
    return this.podsByName.get(`${namespace}/${name}`);
  }

  /** A namespace's labels; a namespace the input lacks has only `kubernetes.io/metadata.name`. */
  namespaceLabels(name: string): Labels {
    return this.nsLabels.get(name) ?? { 'kubernetes.io/metadata.name': name };
  }

  /**
   * Known IPs of a node: its Node addresses plus the IPs of hostNetwork pods on it, less any
   * that another node claimed first.
   */
  ipsOfNode(name: string): readonly IPAddress[] {
    return this.nodeIPs.get(name) ?? [];
  }

  /** The node this IP belongs to, if it is a known node IP. */
  nodeByIP(ip: IPAddress): string | undefined {
    return this.nodeIPKeys.get(ipKey(ip))?.node;
  }

  /** A Node's labels (what cluster-scoped `nodes` peers select); none for a node not listed. */
  nodeLabels(name: string): Labels {
    return this.nodeLabelsByName.get(name) ?? {};
  }

  /** Every IP owned by a pod-network pod, with its owner (the same choice podByIP makes). */
  podAddresses(): IterableIterator<{ readonly ip: IPAddress; readonly pod: Pod }> {
    return this.podsByIP.values();
  }

  /** Every known node IP with its node name. */
  nodeAddresses(): IterableIterator<{ readonly ip: IPAddress; readonly node: string }> {
    return this.nodeIPKeys.values();
  }

  /** The NetworkPolicies of a namespace, in input order. */
  policiesIn(namespace: string): readonly NetworkPolicy[] {
    return this.policiesByNs.get(namespace) ?? [];
  }
}
