/**
 * Why a rule's peer or port does not match a flow, as data (model/flow.ts `RuleMiss`). The
 * reference evaluator matches with these (a peer or port matches when it has no miss); the
 * compiled and live dataplanes match with their tables and ask these only for the why, so a
 * table that says "no match" where these find none is caught as an internal error.
 */
import { formatIP, type IPAddress } from '../ip/address.js';
import { cidrContains, formatCIDR } from '../ip/cidr.js';
import { describePort } from './describe.js';
import type { Flow, PeerMiss, PeerMisses, PortMiss, PortMisses, RuleMiss, RuleRef } from './flow.js';
import { PROTOCOL_NUMBERS, protocolName } from './protocol.js';
import { selectorMiss } from './selector.js';
import type { Direction, Labels, Peer, Pod, PolicyPort, PolicyProtocol, Rule } from './types.js';

/** What a peer is matched against: the remote end of the flow, seen from one policy. */
export interface PeerTarget {
  readonly policyNamespace: string;
  /** undefined: a pod without an address (ipBlocks never match it). */
  readonly address: IPAddress | undefined;
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
    if (address === undefined) return { kind: 'no-address', cidr: formatCIDR(cidr) };
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
    address: target.address ? formatIP(target.address) : '',
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
export function portMiss(port: PolicyPort, flow: Pick<Flow, 'protocol' | 'port'>, resolve: NamedPortResolver): PortMiss | undefined {
  if (flow.protocol !== PROTOCOL_NUMBERS[port.protocol] || flow.port === undefined) return { kind: 'protocol', port: describePort(port) };
  if (port.port === undefined) return undefined;
  if (typeof port.port === 'number')
    return flow.port >= port.port && flow.port <= (port.endPort ?? port.port) ? undefined : { kind: 'range', port: describePort(port) };
  const resolved = resolve(port.port, port.protocol);
  return resolved?.includes(flow.port) ? undefined : { kind: 'named', port: describePort(port), resolved };
}

/** The flow's protocol and port and why each of `ports` misses it (all of them do). */
export function portMisses(ports: readonly PolicyPort[], flow: Pick<Flow, 'protocol' | 'port'>, resolve: NamedPortResolver): PortMisses {
  return { protocol: protocolName(flow.protocol), port: flow.port ?? null, misses: ports.map((p) => portMiss(p, flow, resolve) ?? unexpectedMatch('port')) };
}

/** A named port's numbers on the flow's destination (null: the destination is not a pod). */
export type NamedPortResolver = (name: string, protocol: PolicyProtocol) => readonly number[] | null;

/** The rules step's two lists, filled by `recordRule`. */
export interface RuleOutcomes {
  readonly allowedBy: RuleRef[];
  readonly rejected: RuleMiss[];
}

/** What explaining a miss of one policy's rules needs. */
export interface MissContext {
  readonly target: PeerTarget;
  readonly flow: Pick<Flow, 'protocol' | 'port'>;
  readonly resolve: NamedPortResolver;
}

/** The miss of an isolating policy with no rules for the direction. */
export const onlyIsolates = (policy: string, direction: Direction): RuleMiss => ({
  policy,
  direction,
  ruleIndex: null,
  peerMatched: false,
  portMatched: false,
});

/**
 * Records one rule's outcome, for every engine alike. `peerIndex`/`portIndex`: the first
 * matching peer and port, null when the list is empty (it matches all), -1 when none matches.
 * Both found: a RuleRef in `allowedBy`. Otherwise, when `why` is given (the engine explains), a
 * RuleMiss in `rejected` with the failed side's misses as data.
 */
export function recordRule(
  out: RuleOutcomes,
  r: {
    readonly policy: string;
    readonly direction: Direction;
    readonly ruleIndex: number;
    readonly rule: Rule;
    readonly peerIndex: number | null;
    readonly portIndex: number | null;
  },
  why: MissContext | undefined,
): void {
  const { policy, direction, ruleIndex, rule, peerIndex, portIndex } = r;
  if (peerIndex !== -1 && portIndex !== -1) out.allowedBy.push({ policy, direction, ruleIndex, peerIndex, portIndex });
  else if (why) {
    out.rejected.push({
      policy,
      direction,
      ruleIndex,
      peerMatched: peerIndex !== -1,
      portMatched: portIndex !== -1,
      ...(peerIndex === -1 && { peers: peerMisses(direction, rule.peers, why.target) }),
      ...(portIndex === -1 && { ports: portMisses(rule.ports, why.flow, why.resolve) }),
    });
  }
}

function unexpectedMatch(what: string): never {
  throw new Error(`internal error: the ${what} tables say no match, but the rule's own terms match`);
}
