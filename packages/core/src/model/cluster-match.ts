/**
 * The cluster-scoped tiers' order and matching predicates, written once: the reference
 * evaluator decides with them, the compilers classify endpoints with them, and explain names
 * what they found. Nothing here is on a hot path.
 */
import type { IPAddress } from '../ip/address.js';
import { cidrContains } from '../ip/cidr.js';
import type { Flow } from './flow.js';
import { PROTOCOL_NUMBERS } from './protocol.js';
import { selectorMatches } from './selector.js';
import type { ClusterAction, ClusterPeer, ClusterPolicy, ClusterPolicyKind, ClusterPort, ClusterRule, ClusterSubject, Labels, Pod, Selector } from './types.js';

const KIND_RANK: Readonly<Record<ClusterPolicyKind, number>> = { ClusterNetworkPolicy: 0, AdminNetworkPolicy: 1, BaselineAdminNetworkPolicy: 2 };

/**
 * Evaluation order: the Admin tier, then the Baseline tier; inside a tier ascending priority.
 * Equal priorities are implementation-defined upstream: netpol takes ClusterNetworkPolicies
 * before AdminNetworkPolicies, then names in code-point order, so every engine and every run
 * agrees (and the loader warns about ties that matter).
 */
export function compareClusterPolicies(a: ClusterPolicy, b: ClusterPolicy): number {
  if (a.tier !== b.tier) return a.tier === 'Admin' ? -1 : 1;
  if (a.priority !== b.priority) return a.priority - b.priority;
  if (a.kind !== b.kind) return KIND_RANK[a.kind] - KIND_RANK[b.kind];
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/**
 * selectorMatches for namespace selectors, remembered per (selector, labels) object pair: a
 * cluster has few namespaces and every pod of one shares its labels object, while the
 * compilers ask per identity and per peer. Model objects are never changed in place (the
 * live dataplane replaces them), so an answer cannot go stale; entries go with their objects.
 */
const nsAnswers = new WeakMap<Selector, WeakMap<Labels, boolean>>();
function namespaceSelects(selector: Selector, labels: Labels): boolean {
  let byLabels = nsAnswers.get(selector);
  if (!byLabels) nsAnswers.set(selector, (byLabels = new WeakMap()));
  let answer = byLabels.get(labels);
  if (answer === undefined) byLabels.set(labels, (answer = selectorMatches(selector, labels)));
  return answer;
}

/** The policies in evaluation order (a sorted copy). */
export const orderClusterPolicies = (policies: readonly ClusterPolicy[]): ClusterPolicy[] => [...policies].sort(compareClusterPolicies);

/**
 * Whether `subject` selects `pod` (a pod-network pod: callers never pass hostNetwork pods,
 * which are never subjects), given its namespace's labels.
 */
export function subjectSelects(subject: ClusterSubject, pod: Pod, namespaceLabels: Labels): boolean {
  if (pod.hostNetwork) return false;
  if (!namespaceSelects(subject.namespaceSelector, namespaceLabels)) return false;
  return subject.kind === 'namespaces' || selectorMatches(subject.podSelector, pod.labels);
}

/** The remote end of a flow as a cluster-scoped peer sees it. */
export interface ClusterPeerTarget {
  /** undefined: a pod without an address (no `networks` or `nodes` peer matches it). */
  readonly address: IPAddress | undefined;
  /** The pod-network pod owning the address (never a hostNetwork pod). */
  readonly pod: Pod | undefined;
  readonly namespaceLabels: (namespace: string) => Labels;
  /** The Node owning the address (its own addresses, and its hostNetwork pods' IPs), if any. */
  readonly node: string | undefined;
  readonly nodeLabels: (node: string) => Labels;
  /** Flow.dstName, for egress; undefined for ingress or when the flow carries none. */
  readonly dstName: string | undefined;
}

/**
 * Whether a domainNames entry matches `name`: an exact name, or `*.suffix` for any name with
 * one or more labels in front of the suffix. Both sides compare in lower case, without a
 * trailing dot.
 */
export function domainMatches(pattern: string, name: string): boolean {
  const p = pattern.toLowerCase().replace(/\.$/, '');
  const n = name.toLowerCase().replace(/\.$/, '');
  if (!p.startsWith('*.')) return p === n;
  const suffix = p.slice(1); // ".example.com"
  return n.length > suffix.length && n.endsWith(suffix);
}

/**
 * Whether `peer` matches the remote end. `action` matters only for the `unknown` peer (a field
 * netpol does not know, loaded leniently): it matches nothing in an Accept rule and everything
 * in a Deny or Pass rule, so not understanding it can only deny more.
 */
export function clusterPeerMatches(peer: ClusterPeer, action: ClusterAction, t: ClusterPeerTarget): boolean {
  switch (peer.kind) {
    case 'namespaces':
      return t.pod !== undefined && namespaceSelects(peer.namespaceSelector, t.namespaceLabels(t.pod.namespace));
    case 'pods':
      return (
        t.pod !== undefined && namespaceSelects(peer.namespaceSelector, t.namespaceLabels(t.pod.namespace)) && selectorMatches(peer.podSelector, t.pod.labels)
      );
    case 'nodes':
      return t.node !== undefined && namespaceSelects(peer.nodeSelector, t.nodeLabels(t.node));
    case 'networks':
      return t.address !== undefined && peer.networks.some((c) => cidrContains(c, t.address!));
    case 'domainNames':
      return t.dstName !== undefined && peer.domainNames.some((d) => domainMatches(d, t.dstName!));
    case 'unknown':
      return action !== 'Accept';
  }
}

/** The container ports named `name` on `pod` (init containers too, when `initContainerPorts`). */
const namedPorts = (pod: Pod, name: string, initContainerPorts: boolean) => pod.ports.filter((p) => p.name === name && (initContainerPorts || !p.init));

/**
 * Whether `port` matches the flow. A range needs the flow's protocol and a port inside; a
 * named port needs the destination pod to have a container port of that name with the flow's
 * protocol and port number. Flows without a port (ICMP, other protocols) match no entry.
 */
export function clusterPortMatches(port: ClusterPort, flow: Pick<Flow, 'protocol' | 'port'>, dstPod: Pod | undefined, initContainerPorts: boolean): boolean {
  if (flow.port === undefined) return false;
  if (port.kind === 'range') return PROTOCOL_NUMBERS[port.protocol] === flow.protocol && flow.port >= port.start && flow.port <= port.end;
  if (!dstPod) return false;
  return namedPorts(dstPod, port.name, initContainerPorts).some((c) => PROTOCOL_NUMBERS[c.protocol] === flow.protocol && c.port === flow.port);
}

/**
 * The first peer and first port entry of `rule` matching the flow, or undefined when the rule
 * does not match. `portIndex` null: the rule has no ports (all traffic).
 */
export function clusterRuleMatch(
  rule: ClusterRule,
  target: ClusterPeerTarget,
  flow: Pick<Flow, 'protocol' | 'port'>,
  dstPod: Pod | undefined,
  initContainerPorts: boolean,
): { readonly peerIndex: number; readonly portIndex: number | null } | undefined {
  const peerIndex = rule.peers.findIndex((p) => clusterPeerMatches(p, rule.action, target));
  if (peerIndex < 0) return undefined;
  if (rule.ports.length === 0) return { peerIndex, portIndex: null };
  const portIndex = rule.ports.findIndex((p) => clusterPortMatches(p, flow, dstPod, initContainerPorts));
  return portIndex < 0 ? undefined : { peerIndex, portIndex };
}
