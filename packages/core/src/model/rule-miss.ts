/**
 * Why a rule's peer or port does not match a flow, as data (model/flow.ts `RuleMiss`). The
 * reference evaluator matches with these (a peer or port matches when it has no miss); the
 * compiled and live dataplanes match with their tables and ask these only for the why, so a
 * table that says "no match" where these find none is caught as an internal error.
 */
import { formatIP, type IPAddress } from '../ip/address.js';
import { cidrContains, formatCIDR } from '../ip/cidr.js';
import { describePort } from './describe.js';
import type { Flow, PeerMiss, PeerMisses, PortMiss, PortMisses, RuleMiss, RuleRef, UnresolvedPort } from './flow.js';
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
    const exceptIndex = except.findIndex((e) => cidrContains(e, address));
    if (exceptIndex >= 0) return { kind: 'in-except', cidr: formatCIDR(cidr), except: formatCIDR(except[exceptIndex]!), exceptIndex };
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

/**
 * Why a named port resolved to no number on `destination` (see UnresolvedPort). Read from the
 * pod alone, so every engine says the same: a name its port profile does not hold, present on
 * an init container with this protocol, can only have been left out by initContainerPorts.
 */
export function unresolvedPort(destination: Pod | undefined, name: string, protocol: PolicyProtocol): UnresolvedPort {
  if (!destination) return { reason: 'not-a-pod' };
  const named = destination.ports.filter((cp) => cp.name === name);
  const init = named.filter((cp) => cp.protocol === protocol && cp.init);
  if (init.length > 0) return { reason: 'init-container', ports: [...new Set(init.map((cp) => cp.port))].sort((a, b) => a - b) };
  const other = named.filter((cp) => cp.protocol !== protocol);
  if (other.length > 0) return { reason: 'other-protocol', ports: [...new Set(other.map((cp) => `${cp.protocol} ${cp.port}`))].sort() };
  return { reason: 'no-such-port' };
}

/**
 * The flow's protocol and port and why each of `ports` misses it (all of them do); a named port
 * that resolved to nothing on `destination` (the flow's destination pod) says why.
 */
export function portMisses(
  ports: readonly PolicyPort[],
  flow: Pick<Flow, 'protocol' | 'port'>,
  resolve: NamedPortResolver,
  destination: Pod | undefined,
): PortMisses {
  const why = (p: PolicyPort): PortMiss => {
    const m = portMiss(p, flow, resolve) ?? unexpectedMatch('port');
    if (m.kind !== 'named' || (m.resolved !== null && m.resolved.length > 0)) return m;
    return { ...m, unresolved: unresolvedPort(destination, p.port as string, p.protocol) };
  };
  return { protocol: protocolName(flow.protocol), port: flow.port ?? null, misses: ports.map(why) };
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
  /** The flow's destination pod (where named ports resolve), undefined when it is not a pod. */
  readonly destination: Pod | undefined;
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
      ...(portIndex === -1 && { ports: portMisses(rule.ports, why.flow, why.resolve, why.destination) }),
    });
  }
}

function unexpectedMatch(what: string): never {
  throw new Error(`internal error: the ${what} tables say no match, but the rule's own terms match`);
}
