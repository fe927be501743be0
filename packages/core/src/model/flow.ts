/** Flows and the verdicts every engine returns for them. */
import type { IPAddress } from '../ip/address.js';
import type { Direction } from './types.js';

/**
 * One connection attempt, post-DNAT and pre-SNAT (the addresses policy sees).
 * `protocol` is an IP protocol number; `port` is the destination port for TCP/UDP/SCTP.
 */
export interface Flow {
  readonly src: IPAddress;
  readonly dst: IPAddress;
  readonly protocol: number;
  readonly port?: number;
  /** ICMP/ICMPv6 type, used only by the ICMPv6 neighbour-discovery option. */
  readonly icmpType?: number;
  /** A reply on an allowed connection (conntrack said so): always allowed (§2.7). */
  readonly established?: boolean;
}

/** Per direction: allowed or denied by policy, not isolated, or no pod on that end. */
export type Decision = 'allowed' | 'denied' | 'not-isolated' | 'not-applicable';

export type DecisionReason =
  | 'rule' // a rule of an isolating policy matched
  | 'no-rule-matched' // isolated and nothing matched: the deny of default isolation
  | 'no-policy' // no policy selects the pod for this direction
  | 'not-a-pod' // this end is not a pod (external, node, hostNetwork)
  | 'self' // a pod talking to itself
  | 'local-node' // ingress from (or, by option, egress to) the pod's own node
  | 'reply' // established connection
  | 'icmpv6-nd'; // neighbour discovery, allowed by option

export interface Verdict {
  readonly allowed: boolean;
  readonly egress: Decision;
  readonly ingress: Decision;
}

/** A rule that matched: indexes into the policy's ingress/egress, from/to and ports lists. */
export interface RuleRef {
  readonly policy: string;
  readonly direction: Direction;
  readonly ruleIndex: number;
  /** null: the rule has no peers (matches anyone). */
  readonly peerIndex: number | null;
  /** null: the rule has no ports (matches every port and protocol). */
  readonly portIndex: number | null;
}

/** Why one candidate rule of an isolating policy did not allow the flow. */
export interface RuleMiss {
  readonly policy: string;
  readonly direction: Direction;
  /** null: the policy has no rules for this direction (it only isolates). */
  readonly ruleIndex: number | null;
  readonly peerMatched: boolean;
  readonly portMatched: boolean;
  readonly reason: string;
}

export interface DirectionExplanation {
  readonly direction: Direction;
  /** `namespace/name` of the pod on this direction's side, or null. */
  readonly endpoint: string | null;
  readonly decision: Decision;
  readonly reason: DecisionReason;
  /** Policies that select the pod for this direction. */
  readonly isolatedBy: readonly string[];
  /** Every rule that allows the flow (empty unless reason is 'rule'). */
  readonly allowedBy: readonly RuleRef[];
  /** For a deny: each candidate rule and why it failed. */
  readonly rejected: readonly RuleMiss[];
}

export interface Explanation extends Verdict {
  readonly src: string;
  readonly dst: string;
  readonly protocol: string;
  readonly port?: number;
  readonly egressDetail: DirectionExplanation;
  readonly ingressDetail: DirectionExplanation;
}
