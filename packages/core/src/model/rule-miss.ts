/**
 * Why a rule's peer or port does not match a flow, as data (model/flow.ts `RuleMiss`). The
 * reference evaluator matches with these (a peer or port matches when it has no miss); the
 * compiled and live dataplanes match with their tables and ask these only for the why, so a
 * table that says "no match" where these find none is caught as an internal error.
 */
import { formatIP, type IPAddress } from '../ip/address.js';
import { cidrContains, formatCIDR } from '../ip/cidr.js';
import { describePort } from './describe.js';
import type { Flow, PeerMiss, PeerMisses, PortMiss, PortMisses } from './flow.js';
import { PROTOCOL_NUMBERS, protocolName } from './protocol.js';
import { selectorMiss } from './selector.js';
import type { Direction, Labels, Peer, Pod, PolicyPort, PolicyProtocol } from './types.js';

/** What a peer is matched against: the remote end of the flow, seen from one policy. */
export interface PeerTarget {
  readonly policyNamespace: string;
  readonly address: IPAddress;
  readonly pod: Pod | undefined;
  /** The address is a node's. */
  readonly isNode: boolean;
  readonly namespaceLabels: (namespace: string) => Labels;
  /** EvaluationOptions.ipBlockMatchesPods. */
  readonly ipBlockMatchesPods: boolean;
}

/** Why `peer` does not match `target`; undefined when it matches (spec §1.4, §2.3). */
export function peerMiss(peer: Peer, target: PeerTarget): PeerMiss | undefined {
  const { address, pod } = target;
  if (peer.kind === 'ipBlock') {
    const { cidr, except } = peer.ipBlock;
    if (!cidrContains(cidr, address)) return { kind: 'outside-block', cidr: formatCIDR(cidr) };
    const inside = except.find((e) => cidrContains(e, address));
    if (inside) return { kind: 'in-except', cidr: formatCIDR(cidr), except: formatCIDR(inside) };
    if (!target.ipBlockMatchesPods && (pod || target.isNode)) return { kind: 'pod-or-node-address', cidr: formatCIDR(cidr) };
    return undefined;
  }
  if (!pod) return { kind: 'not-a-pod' }; // selectors only ever match pods
  // A podSelector alone is scoped to the policy's namespace (§1.4).
  if (peer.namespaceSelector) {
    const label = selectorMiss(peer.namespaceSelector, target.namespaceLabels(pod.namespace));
    if (label) return { kind: 'namespace-labels', namespace: pod.namespace, label };
  } else if (pod.namespace !== target.policyNamespace) {
    return { kind: 'other-namespace', namespace: pod.namespace, policyNamespace: target.policyNamespace };
  }
  const label = peer.podSelector && selectorMiss(peer.podSelector, pod.labels);
  return label ? { kind: 'pod-labels', label } : undefined;
}

/** The remote end of a direction and why each of `peers` misses it (all of them do). */
export function peerMisses(direction: Direction, peers: readonly Peer[], target: PeerTarget): PeerMisses {
  return {
    side: direction === 'egress' ? 'destination' : 'source',
    address: formatIP(target.address),
    pod: target.pod ? `${target.pod.namespace}/${target.pod.name}` : null,
    misses: peers.map((p) => peerMiss(p, target) ?? unexpectedMatch(direction)),
  };
}

/** The port numbers a named port resolves to on `owner`, ascending and distinct; null when there is no pod. */
export function namedPortNumbers(owner: Pod | undefined, name: string, protocol: PolicyProtocol, initContainerPorts: boolean): number[] | null {
  if (!owner) return null;
  const found = owner.ports.filter((cp) => cp.name === name && cp.protocol === protocol && (initContainerPorts || !cp.init)).map((cp) => cp.port);
  return [...new Set(found)].sort((a, b) => a - b);
}

/**
 * Why `port` does not match `flow`; undefined when it matches (§2.5, §2.6). A rule with ports
 * never matches a flow without one (ICMP). `resolve` gives a named port's numbers on the
 * destination (null: not a pod); named ports always resolve there, for both directions.
 */
export function portMiss(port: PolicyPort, flow: Flow, resolve: (name: string, protocol: PolicyProtocol) => readonly number[] | null): PortMiss | undefined {
  if (flow.protocol !== PROTOCOL_NUMBERS[port.protocol] || flow.port === undefined) return { kind: 'protocol', port: describePort(port) };
  if (port.port === undefined) return undefined;
  if (typeof port.port === 'number') return flow.port >= port.port && flow.port <= (port.endPort ?? port.port) ? undefined : { kind: 'range', port: describePort(port) };
  const resolved = resolve(port.port, port.protocol);
  return resolved?.includes(flow.port) ? undefined : { kind: 'named', port: describePort(port), resolved };
}

/** The flow's protocol and port and why each of `ports` misses it (all of them do). */
export function portMisses(ports: readonly PolicyPort[], flow: Flow, resolve: (name: string, protocol: PolicyProtocol) => readonly number[] | null): PortMisses {
  return { protocol: protocolName(flow.protocol), port: flow.port ?? null, misses: ports.map((p) => portMiss(p, flow, resolve) ?? unexpectedMatch('port')) };
}

function unexpectedMatch(what: string): never {
  throw new Error(`internal error: the ${what} tables say no match, but the rule's own terms match`);
}
