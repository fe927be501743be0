/**
 * Model → Kubernetes objects, for the update benchmark: LiveDataplane takes objects as
 * `kubectl get -o yaml` prints them, not model values. A port of core's fuzz/to-yaml.ts
 * (not exported by @netpol/core) without the YAML text, which would only cost time. The
 * round trip is checked when the benchmark starts (loadObjects over these objects must give
 * back the generator's cluster, object for object).
 */
import { cidrContains, formatCIDR, formatIP, loadObjects, type ContainerPort, type Namespace, type NetworkPolicy, type Node, type Peer, type Pod, type PolicyPort, type RawObject, type Rule, type Selector } from '@netpol/core';

export type Doc = Record<string, unknown>;

const IMAGE = 'registry.k8s.io/pause:3.10';

/** An object as the reader would hand it over (no source text, so no line numbers). */
export const rawObject = (value: Doc, document = 0): RawObject => ({ file: '<bench>', document, value, locate: () => undefined });

export function namespaceDoc(ns: Namespace): Doc {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns.name, labels: { ...ns.labels } } };
}

export function nodeDoc(node: Node): Doc {
  // The first address of each family is the InternalIP, the others ExternalIPs.
  const seen = new Set<number>();
  const addresses = node.ips.map((ip) => {
    const type = seen.has(ip.family) ? 'ExternalIP' : 'InternalIP';
    seen.add(ip.family);
    return { type, address: formatIP(ip) };
  });
  return { apiVersion: 'v1', kind: 'Node', metadata: { name: node.name }, status: { addresses } };
}

const containerPort = (cp: ContainerPort): Doc => ({ ...(cp.name !== undefined && { name: cp.name }), containerPort: cp.port, protocol: cp.protocol });

export function podDoc(pod: Pod): Doc {
  // One container per port: port names are unique only within a container.
  const regular = pod.ports.filter((p) => !p.init);
  const init = pod.ports.filter((p) => p.init);
  const containers = regular.length === 0 ? [{ name: 'main', image: IMAGE }] : regular.map((p, i) => ({ name: `c${i}`, image: IMAGE, ports: [containerPort(p)] }));
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: pod.name, namespace: pod.namespace, ...(Object.keys(pod.labels).length > 0 && { labels: { ...pod.labels } }) },
    spec: {
      ...(pod.nodeName !== undefined && { nodeName: pod.nodeName }),
      ...(pod.hostNetwork && { hostNetwork: true }),
      containers,
      ...(init.length > 0 && { initContainers: init.map((p, i) => ({ name: `init${i}`, image: IMAGE, ports: [containerPort(p)] })) }),
    },
    status: { phase: pod.phase, ...(pod.ips.length > 0 && { podIP: formatIP(pod.ips[0]!), podIPs: pod.ips.map((ip) => ({ ip: formatIP(ip) })) }) },
  };
}

const selector = (s: Selector): Doc => ({
  ...(Object.keys(s.matchLabels).length > 0 && { matchLabels: { ...s.matchLabels } }),
  ...(s.matchExpressions.length > 0 && { matchExpressions: s.matchExpressions.map((e) => ({ key: e.key, operator: e.operator, ...(e.values.length > 0 && { values: [...e.values] }) })) }),
});

const peer = (p: Peer): Doc =>
  p.kind === 'ipBlock'
    ? { ipBlock: { cidr: formatCIDR(p.ipBlock.cidr), ...(p.ipBlock.except.length > 0 && { except: p.ipBlock.except.map(formatCIDR) }) } }
    : { ...(p.podSelector && { podSelector: selector(p.podSelector) }), ...(p.namespaceSelector && { namespaceSelector: selector(p.namespaceSelector) }) };

const policyPort = (p: PolicyPort): Doc => ({ protocol: p.protocol, ...(p.port !== undefined && { port: p.port }), ...(p.endPort !== undefined && { endPort: p.endPort }) });

const rule = (r: Rule, field: 'from' | 'to'): Doc => ({ ...(r.ports.length > 0 && { ports: r.ports.map(policyPort) }), ...(r.peers.length > 0 && { [field]: r.peers.map(peer) }) });

export function policyDoc(p: NetworkPolicy): Doc {
  const policyTypes = [...(p.affects.ingress ? ['Ingress'] : []), ...(p.affects.egress ? ['Egress'] : [])];
  if (policyTypes.length === 0) throw new RangeError(`NetworkPolicy ${p.namespace}/${p.name} affects neither direction: no manifest says that`);
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: p.name, namespace: p.namespace },
    spec: {
      podSelector: selector(p.podSelector),
      policyTypes,
      ...(p.ingress.length > 0 && { ingress: p.ingress.map((r) => rule(r, 'from')) }),
      ...(p.egress.length > 0 && { egress: p.egress.map((r) => rule(r, 'to')) }),
    },
  };
}

/**
 * The policy with every ipBlock except outside its cidr dropped. The generator (core's
 * synthetic/cluster.ts, "partner network" policies) writes a.(b+1).0.0/24 as the except of
 * a.b.0.0/20, outside it, which validation rejects (check B7); such an except never changes
 * a verdict (an address outside the cidr does not match anyway), so dropping it keeps the
 * semantics and makes the policy loadable.
 */
export function loadablePolicy(p: NetworkPolicy): NetworkPolicy {
  let changed = false;
  const fix = (rules: readonly Rule[]): Rule[] =>
    rules.map((r) => ({
      ...r,
      peers: r.peers.map((x) => {
        if (x.kind !== 'ipBlock') return x;
        const { cidr, except } = x.ipBlock;
        const inside = except.filter((e) => e.family === cidr.family && e.prefix > cidr.prefix && cidrContains(cidr, { family: e.family, value: e.base }));
        if (inside.length === except.length) return x;
        changed = true;
        return { ...x, ipBlock: { cidr, except: inside } };
      }),
    }));
  const fixed = { ...p, ingress: fix(p.ingress), egress: fix(p.egress) };
  return changed ? fixed : p;
}

/** What one object loads to, alone: the model the reference evaluator gets for it. */
export type Loaded = { kind: 'Namespace'; value: Namespace } | { kind: 'Pod'; value: Pod } | { kind: 'Node'; value: Node } | { kind: 'NetworkPolicy'; value: NetworkPolicy };

/**
 * Loads one object exactly as LiveDataplane validates it (alone; the implicit namespace a
 * lone Pod or policy brings is dropped). Throws on any error: the benchmark only makes valid
 * objects, so an error here is a bug in the benchmark.
 */
export function loadOne(doc: Doc): Loaded {
  const r = loadObjects([rawObject(doc)]);
  const errors = r.issues.filter((i) => i.severity === 'error');
  if (!r.cluster || errors.length > 0) throw new Error(`invalid ${String(doc['kind'])}: ${errors.map((i) => i.message).join('; ')}`);
  const c = r.cluster;
  switch (doc['kind']) {
    case 'Namespace':
      return { kind: 'Namespace', value: c.namespaces[0]! };
    case 'Pod':
      return { kind: 'Pod', value: c.pods[0]! };
    case 'Node':
      return { kind: 'Node', value: c.nodes[0]! };
    case 'NetworkPolicy':
      return { kind: 'NetworkPolicy', value: c.policies[0]! };
    default:
      throw new Error(`unexpected kind ${String(doc['kind'])}`);
  }
}
