/**
 * Model → manifests and flow records, the inverse of the loader and of parseFlow, so that
 * generated clusters and flows can be fed to anything that reads files (the CLI, other
 * engines, bug reports).
 *
 * `loadText(clusterToYaml(c))` gives back a cluster equal to `c` provided `c` is expressible
 * in manifests and its pods list regular-container ports before init-container ports (the
 * loader's order; every generated cluster does). Not expressible, so rejected with a
 * RangeError: a policy that affects neither direction (policyTypes cannot say that: an
 * empty list is defaulted to Ingress), a selector peer with neither selector (`{}` is an
 * invalid peer), and an IPv6 CIDR inside ::ffff:0:0/96 (its text is IPv4-mapped, which the
 * loader evaluates as IPv4). Cluster-scoped policies: an `unknown` peer (what only a lenient
 * load would make), a port range with start > end, a BaselineAdminNetworkPolicy not named
 * `default` or not of priority 1001, an AdminNetworkPolicy outside the Admin tier. Empty
 * labels (`{}` on a Node) and an empty rule name load as absent; `ignoredObjects` are not
 * written (they are objects of other APIs). Workloads and owners: a ReplicationController
 * without template labels (its selector would be empty); pods' owners must be top-level (the
 * loader follows an owner's own controller when it is in the input), and Services and
 * EndpointSlices are not written.
 */
import { stringify } from 'yaml';
import { formatIP } from '../ip/address.js';
import { formatCIDR, type CIDR } from '../ip/cidr.js';
import type { Flow } from '../model/flow.js';
import { protocolName } from '../model/protocol.js';
import {
  clusterPolicyKey,
  policyKey,
  type Cluster,
  type ClusterPeer,
  type ClusterPolicy,
  type ClusterPort,
  type ClusterRule,
  type ContainerPort,
  type Namespace,
  type NetworkPolicy,
  type Node,
  type Peer,
  type Pod,
  type PolicyPort,
  type Owner,
  type Rule,
  type Selector,
  type Workload,
} from '../model/types.js';
import { BANP_PRIORITY, CLUSTER_POLICY_API_VERSIONS } from '../load/cluster-policy.js';
import { WORKLOAD_API_VERSIONS } from '../load/workload.js';

/** One Kubernetes object as plain data (what the reader hands the loader). */
export type Doc = Record<string, unknown>;

const IMAGE = 'registry.k8s.io/pause:3.10';

export function namespaceDoc(ns: Namespace): Doc {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns.name, labels: { ...ns.labels } } };
}

export function nodeDoc(node: Node): Doc {
  // The first address of each family is the InternalIP, others ExternalIP; a Hostname entry is skipped by the loader.
  const seen = new Set<number>();
  const addresses = node.ips.map((ip) => {
    const type = seen.has(ip.family) ? 'ExternalIP' : 'InternalIP';
    seen.add(ip.family);
    return { type, address: formatIP(ip) };
  });
  const labels = node.labels && Object.keys(node.labels).length > 0 ? { labels: { ...node.labels } } : {};
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: node.name, ...labels },
    status: { addresses: [...addresses, { type: 'Hostname', address: node.name }] },
  };
}

function containerPort(cp: ContainerPort): Doc {
  return { ...(cp.name !== undefined && { name: cp.name }), containerPort: cp.port, protocol: cp.protocol };
}

/** A pod spec's containers for `ports`: one container per port (port names are unique only within a container). */
function containers(ports: readonly ContainerPort[]): Doc {
  const regular = ports.filter((p) => !p.init);
  const init = ports.filter((p) => p.init);
  const initContainers = init.map((p, i) => ({ name: `init${i}`, image: IMAGE, ports: [containerPort(p)] }));
  return {
    containers: regular.length === 0 ? [{ name: 'main', image: IMAGE }] : regular.map((p, i) => ({ name: `c${i}`, image: IMAGE, ports: [containerPort(p)] })),
    ...(initContainers.length > 0 && { initContainers }),
  };
}

/** `metadata.ownerReferences` naming `owner` as the controller (uid is not read, so not written). */
function ownerReferences(owner: Owner | undefined): Doc {
  if (!owner) return {};
  const apiVersion = Object.hasOwn(WORKLOAD_API_VERSIONS, owner.kind) ? WORKLOAD_API_VERSIONS[owner.kind as Workload['kind']] : 'v1';
  return { ownerReferences: [{ apiVersion, kind: owner.kind, name: owner.name, controller: true }] };
}

export function podDoc(pod: Pod): Doc {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: pod.name,
      namespace: pod.namespace,
      ...(Object.keys(pod.labels).length > 0 && { labels: { ...pod.labels } }),
      ...ownerReferences(pod.owner),
    },
    spec: {
      ...(pod.nodeName !== undefined && { nodeName: pod.nodeName }),
      ...(pod.hostNetwork && { hostNetwork: true }),
      ...containers(pod.ports),
    },
    status: {
      phase: pod.phase,
      ...(pod.ips.length > 0 && { podIP: formatIP(pod.ips[0]!), podIPs: pod.ips.map((ip) => ({ ip: formatIP(ip) })) }),
    },
  };
}

/** A selector that matches every label set without this key: an apps/v1 selector may not be empty. */
const NO_LABELS_KEY = 'netpol.invalid/no-template-labels';

/**
 * A workload's manifest: its pod template (labels, ports, hostNetwork) under the kind's path,
 * the selector the API server requires (the template labels; for a template without labels a
 * `DoesNotExist` on a key no label has), its owner as controller reference.
 */
export function workloadDoc(w: Workload): Doc {
  const labels = Object.keys(w.labels).length > 0 ? { labels: { ...w.labels } } : {};
  const batch = w.kind === 'Job' || w.kind === 'CronJob';
  const template = {
    metadata: labels,
    spec: { ...(w.hostNetwork && { hostNetwork: true }), ...(batch && { restartPolicy: 'Never' }), ...containers(w.ports) },
  };
  let spec: Doc;
  if (w.kind === 'ReplicationController') {
    if (!labels.labels) throw new RangeError(`ReplicationController ${w.namespace}/${w.name}: no template labels, so no selector (it may not be empty)`);
    spec = { selector: { ...w.labels }, template };
  } else if (w.kind === 'Job') spec = { template };
  else if (w.kind === 'CronJob') spec = { schedule: '0 * * * *', jobTemplate: { spec: { template } } };
  else {
    const sel = labels.labels ? { matchLabels: { ...w.labels } } : { matchExpressions: [{ key: NO_LABELS_KEY, operator: 'DoesNotExist' }] };
    spec = { selector: sel, template };
  }
  return {
    apiVersion: WORKLOAD_API_VERSIONS[w.kind],
    kind: w.kind,
    metadata: { name: w.name, namespace: w.namespace, ...ownerReferences(w.owner) },
    spec,
  };
}

function selector(s: Selector): Doc {
  return {
    ...(Object.keys(s.matchLabels).length > 0 && { matchLabels: { ...s.matchLabels } }),
    ...(s.matchExpressions.length > 0 && {
      matchExpressions: s.matchExpressions.map((e) => ({ key: e.key, operator: e.operator, ...(e.values.length > 0 && { values: [...e.values] }) })),
    }),
  };
}

function cidrText(c: CIDR, where: string): string {
  if (c.family === 6 && c.base >> 32n === 0xffffn) {
    throw new RangeError(`${where}: IPv6 CIDR ${formatCIDR(c)} is IPv4-mapped; no manifest text loads as this IPv6 CIDR`);
  }
  return formatCIDR(c);
}

/** A NetworkPolicy `from`/`to` entry as written. */
export function peer(p: Peer, where: string): Doc {
  if (p.kind === 'ipBlock') {
    const { cidr, except } = p.ipBlock;
    return { ipBlock: { cidr: cidrText(cidr, where), ...(except.length > 0 && { except: except.map((e) => cidrText(e, where)) }) } };
  }
  if (!p.podSelector && !p.namespaceSelector)
    throw new RangeError(`${where}: a selector peer with neither podSelector nor namespaceSelector is not a valid NetworkPolicyPeer`);
  return {
    ...(p.podSelector && { podSelector: selector(p.podSelector) }),
    ...(p.namespaceSelector && { namespaceSelector: selector(p.namespaceSelector) }),
  };
}

/** A NetworkPolicy `ports` entry. TCP is written by omission, so the loader's defaulting is exercised too. */
export function policyPort(p: PolicyPort): Doc {
  return {
    ...(p.protocol !== 'TCP' && { protocol: p.protocol }),
    ...(p.port !== undefined && { port: p.port }),
    ...(p.endPort !== undefined && { endPort: p.endPort }),
  };
}

/** A NetworkPolicy `ingress`/`egress` entry as written. */
export function rule(r: Rule, peersField: 'from' | 'to', where: string): Doc {
  return {
    ...(r.ports.length > 0 && { ports: r.ports.map(policyPort) }),
    ...(r.peers.length > 0 && { [peersField]: r.peers.map((p) => peer(p, where)) }),
  };
}

export function policyDoc(p: NetworkPolicy): Doc {
  const where = `NetworkPolicy ${policyKey(p)}`;
  const policyTypes = [...(p.affects.ingress ? ['Ingress'] : []), ...(p.affects.egress ? ['Egress'] : [])];
  if (policyTypes.length === 0) throw new RangeError(`${where} affects neither direction; policyTypes cannot express that (an empty list defaults to Ingress)`);
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: p.name, namespace: p.namespace },
    spec: {
      podSelector: selector(p.podSelector),
      policyTypes,
      ...(p.ingress.length > 0 && { ingress: p.ingress.map((r) => rule(r, 'from', where)) }),
      ...(p.egress.length > 0 && { egress: p.egress.map((r) => rule(r, 'to', where)) }),
    },
  };
}

/** v1alpha1 writes Accept as Allow. */
const v1alpha1 = (p: ClusterPolicy): boolean => p.kind !== 'ClusterNetworkPolicy';

/** `pods` of a subject or peer; v1alpha1 requires namespaceSelector, so it is always written. */
const namespacedPod = (p: { namespaceSelector: Selector; podSelector: Selector }): Doc => ({
  namespaceSelector: selector(p.namespaceSelector),
  podSelector: selector(p.podSelector),
});

function clusterPeer(p: ClusterPeer, where: string): Doc {
  switch (p.kind) {
    case 'namespaces':
      return { namespaces: selector(p.namespaceSelector) };
    case 'pods':
      return { pods: namespacedPod(p) };
    case 'nodes':
      return { nodes: selector(p.nodeSelector) };
    case 'networks':
      return { networks: p.networks.map((c) => cidrText(c, where)) };
    case 'domainNames':
      return { domainNames: [...p.domainNames] };
    case 'unknown':
      throw new RangeError(`${where}: an unknown peer (a field netpol does not know) has no manifest form`);
  }
}

/** v1alpha2 `protocols` entry: a number when start = end; TCP written by name (no defaulting there). */
function protocolEntry(port: ClusterPort, where: string): Doc {
  if (port.kind === 'named') return { destinationNamedPort: port.name };
  if (port.start > port.end) throw new RangeError(`${where}: port range ${port.start}-${port.end} has start > end`);
  const destinationPort = port.start === port.end ? { number: port.start } : { range: { start: port.start, end: port.end } };
  return { [port.protocol.toLowerCase()]: { destinationPort } };
}

/** v1alpha1 `ports` entry; TCP written by omission, so the CRD's defaulting is exercised. */
function portEntry(port: ClusterPort, where: string): Doc {
  if (port.kind === 'named') return { namedPort: port.name };
  if (port.start > port.end) throw new RangeError(`${where}: port range ${port.start}-${port.end} has start > end`);
  const protocol = port.protocol === 'TCP' ? {} : { protocol: port.protocol };
  return port.start === port.end ? { portNumber: { ...protocol, port: port.start } } : { portRange: { ...protocol, start: port.start, end: port.end } };
}

/** A rule of cluster-scoped policy `p`, in `p`'s API version (v1alpha1 `ports` and `Allow`, v1alpha2 `protocols`). */
export function clusterRule(p: ClusterPolicy, r: ClusterRule, peersField: 'from' | 'to', where: string): Doc {
  const old = v1alpha1(p);
  return {
    ...(r.name && { name: r.name }),
    action: old && r.action === 'Accept' ? 'Allow' : r.action,
    [peersField]: r.peers.map((peer) => clusterPeer(peer, where)),
    ...(r.ports.length > 0 && (old ? { ports: r.ports.map((x) => portEntry(x, where)) } : { protocols: r.ports.map((x) => protocolEntry(x, where)) })),
  };
}

/** A ClusterNetworkPolicy, AdminNetworkPolicy or BaselineAdminNetworkPolicy manifest. */
export function clusterPolicyDoc(p: ClusterPolicy): Doc {
  const where = clusterPolicyKey(p);
  if (p.kind === 'BaselineAdminNetworkPolicy' && (p.name !== 'default' || p.priority !== BANP_PRIORITY || p.tier !== 'Baseline')) {
    throw new RangeError(`${where}: the BaselineAdminNetworkPolicy is named default, of the Baseline tier and evaluated at priority ${BANP_PRIORITY}`);
  }
  if (p.kind === 'AdminNetworkPolicy' && p.tier !== 'Admin') throw new RangeError(`${where}: an AdminNetworkPolicy is of the Admin tier`);
  const subject = p.subject.kind === 'namespaces' ? { namespaces: selector(p.subject.namespaceSelector) } : { pods: namespacedPod(p.subject) };
  return {
    apiVersion: CLUSTER_POLICY_API_VERSIONS[p.kind],
    kind: p.kind,
    metadata: { name: p.name },
    spec: {
      ...(p.kind === 'ClusterNetworkPolicy' && { tier: p.tier }),
      ...(p.kind !== 'BaselineAdminNetworkPolicy' && { priority: p.priority }),
      subject,
      ...(p.ingress.length > 0 && { ingress: p.ingress.map((r) => clusterRule(p, r, 'from', where)) }),
      ...(p.egress.length > 0 && { egress: p.egress.map((r) => clusterRule(p, r, 'to', where)) }),
    },
  };
}

/** The cluster's objects: Namespaces, Nodes, Pods, workloads, NetworkPolicies, cluster-scoped policies, in the cluster's order. */
export function clusterObjects(cluster: Cluster): Doc[] {
  return [
    ...cluster.namespaces.map(namespaceDoc),
    ...cluster.nodes.map(nodeDoc),
    ...cluster.pods.map(podDoc),
    ...(cluster.workloads ?? []).map(workloadDoc),
    ...cluster.policies.map(policyDoc),
    ...(cluster.clusterPolicies ?? []).map(clusterPolicyDoc),
  ];
}

/** Multi-document YAML of objects, quoted for YAML 1.1: kubectl reads `on`, `y` or `0443` unquoted as a boolean or a number. */
export function docsToYaml(docs: readonly unknown[]): string {
  return docs.map((d) => stringify(d, { version: '1.1' })).join('---\n');
}

/** Multi-document YAML of clusterObjects. */
export function clusterToYaml(cluster: Cluster): string {
  return docsToYaml(clusterObjects(cluster));
}

/** A flow record as parseFlow reads it (one line of a JSON Lines flow file). */
export interface FlowRecord {
  src: string;
  dst: string;
  protocol: string;
  port?: number;
  icmpType?: number;
  established?: boolean;
  dstName?: string;
}

/**
 * The record parseFlow turns back into `flow`. Not expressible (parseFlow rejects it): a
 * TCP/UDP/SCTP flow without a port, or a port on any other protocol.
 */
export function flowToJson(flow: Flow): FlowRecord {
  return {
    src: formatIP(flow.src),
    dst: formatIP(flow.dst),
    protocol: protocolName(flow.protocol),
    ...(flow.port !== undefined && { port: flow.port }),
    ...(flow.icmpType !== undefined && { icmpType: flow.icmpType }),
    ...(flow.established !== undefined && { established: flow.established }),
    ...(flow.dstName !== undefined && { dstName: flow.dstName }),
  };
}
