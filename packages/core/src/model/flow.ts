/** Flows and the verdicts every engine returns for them. */
import type { IPAddress } from '../ip/address.js';
import type { Suggestion } from './suggestion.js';
import type { Direction, Pod, SelectorOperator } from './types.js';

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
  /**
   * The DNS name the source resolved to reach `dst`, when known (lower case, no trailing dot).
   * Only cluster-scoped `domainNames` peers read it; without it they match nothing.
   */
  readonly dstName?: string;
}

/**
 * One end of a connection for `verdictBetween`: an address (judged exactly as `Flow.src`/`dst`
 * are), or a pod without an address (a workload's template pod, a pod not yet given an IP).
 * A pod without an address is a subject and a selector peer like any pod; ipBlock, `networks`
 * and `nodes` peers never match it, and the local-node exemptions never apply to it. With an
 * address, the address decides (the pod owning it, if any, is the end's pod, as for a Flow).
 */
export type FlowEnd = { readonly pod: Pod; readonly address?: IPAddress } | { readonly pod?: undefined; readonly address: IPAddress };

/**
 * Per direction, with the tier that decided: allowed or denied by NetworkPolicy, not isolated
 * (no tier had anything to say), no pod on that end, or accepted/denied by a rule of the Admin
 * or Baseline tier. The eight values are the verdict byte's three bits per direction.
 */
export type Decision = 'allowed' | 'denied' | 'not-isolated' | 'not-applicable' | 'admin-allowed' | 'admin-denied' | 'baseline-allowed' | 'baseline-denied';

/** Whether a direction's decision denies the flow (a flow is allowed iff neither direction's does). */
export const isDenying = (d: Decision): boolean => d === 'denied' || d === 'admin-denied' || d === 'baseline-denied';

/** Which tier a decision came from (null: none did: not isolated or not applicable). */
export type DecidingTier = 'admin' | 'networkpolicy' | 'baseline';

/** The tier a direction's decision came from; null when none did (not isolated, not applicable). */
export function decidingTier(d: Decision): DecidingTier | null {
  if (d === 'admin-allowed' || d === 'admin-denied') return 'admin';
  if (d === 'baseline-allowed' || d === 'baseline-denied') return 'baseline';
  return d === 'allowed' || d === 'denied' ? 'networkpolicy' : null;
}

/** Why a direction got its decision (DirectionExplanation.reason). */
export type DecisionReason =
  | 'rule' // a rule of an isolating policy matched
  | 'no-rule-matched' // isolated and nothing matched: the deny of default isolation
  | 'no-policy' // no policy selects the pod for this direction
  | 'not-a-pod' // this end is not a pod (external, node, hostNetwork)
  | 'self' // a pod talking to itself
  | 'local-node' // ingress from (or, by option, egress to) the pod's own node
  | 'reply' // established connection
  | 'icmpv6-nd' // neighbour discovery, allowed by option
  | 'admin-rule' // an Accept or Deny rule of an Admin-tier policy matched
  | 'baseline-rule'; // an Accept or Deny rule of a Baseline-tier policy matched

/**
 * What every engine answers for a flow: `allowed` unless a direction denies it, and each
 * direction's decision (`not-applicable` for an end that is not a pod).
 */
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

/**
 * A cluster-scoped rule that matched a flow: a Pass on the way, or the Accept/Deny that decided.
 * `policy` as clusterPolicyKey names it (`cnp/x`, `anp/x`, `banp/default`).
 */
export interface ClusterRuleRef {
  readonly tier: 'admin' | 'baseline';
  readonly policy: string;
  readonly priority: number;
  readonly direction: Direction;
  readonly ruleIndex: number;
  /** The rule's `name`, or null when it has none. */
  readonly ruleName: string | null;
  readonly action: 'Accept' | 'Deny' | 'Pass';
  /** The first peer (`from[i]` / `to[i]`) that matched. */
  readonly peerIndex: number;
  /** The first protocols/ports entry that matched; null: the rule has none (all traffic). */
  readonly portIndex: number | null;
}

/** Why one candidate rule of an isolating policy did not allow the flow: data, rendered by the CLI. */
export interface RuleMiss {
  readonly policy: string;
  readonly direction: Direction;
  /** null: the policy has no rules for this direction (it only isolates). */
  readonly ruleIndex: number | null;
  readonly peerMatched: boolean;
  readonly portMatched: boolean;
  /** When no peer of the rule matched: the remote end and why each peer failed. */
  readonly peers?: PeerMisses;
  /** When no port of the rule matched: the flow's protocol and port and why each port failed. */
  readonly ports?: PortMisses;
}

/** The remote end of a flow (the destination for egress, the source for ingress) and each peer's miss. */
export interface PeerMisses {
  readonly side: 'source' | 'destination';
  /** The remote end's address; '' for a pod without one (`pod` names it). */
  readonly address: string;
  /** `namespace/name` when the address is a pod's. */
  readonly pod: string | null;
  /** One entry per peer of the rule (`from[i]` / `to[i]`), in order. */
  readonly misses: readonly PeerMiss[];
}

/**
 * Why one peer does not match the remote end. ipBlock: the address is outside `cidr`, inside one
 * of its `except` blocks (the first that contains it: `except`, at `exceptIndex` in the list as
 * written), or (ipBlockMatchesPods: false) a pod's or node's address, or the end
 * is a pod without an address (`no-address`: a workload's template pod). Selector
 * peers: the address is not a pod's, the pod is in another namespace than the policy's (a
 * podSelector alone), or the first selector term its namespace's or its own labels fail.
 */
export type PeerMiss =
  | { readonly kind: 'outside-block'; readonly cidr: string }
  | { readonly kind: 'in-except'; readonly cidr: string; readonly except: string; readonly exceptIndex: number }
  | { readonly kind: 'pod-or-node-address'; readonly cidr: string }
  | { readonly kind: 'no-address'; readonly cidr: string }
  | { readonly kind: 'not-a-pod' }
  | { readonly kind: 'other-namespace'; readonly namespace: string; readonly policyNamespace: string }
  | { readonly kind: 'namespace-labels'; readonly namespace: string; readonly label: LabelMiss }
  | { readonly kind: 'pod-labels'; readonly label: LabelMiss };

/**
 * The first selector term that fails: a matchLabels entry (`operator` 'Equals', one value) or a
 * matchExpressions requirement. `actual`: the label's value, null when the label is missing.
 */
export interface LabelMiss {
  readonly key: string;
  readonly operator: 'Equals' | SelectorOperator;
  readonly values: readonly string[];
  readonly actual: string | null;
}

/** The flow's protocol (name) and port (null when it has none) and each port's miss. */
export interface PortMisses {
  readonly protocol: string;
  readonly port: number | null;
  /** One entry per port of the rule (`ports[i]`), in order. */
  readonly misses: readonly PortMiss[];
}

/**
 * Why one policy port does not match the flow. `port`: the policy port as written (`TCP 80`,
 * `TCP 8000-8080`, `TCP http`). 'protocol': another protocol, or the flow has no port (ICMP);
 * 'range': the number or range does not contain the flow's port; 'named': the name resolved on
 * the destination pod to `resolved` (ascending, distinct; null: the destination is not a pod),
 * which does not contain the flow's port. When it resolved to no number at all, `unresolved`
 * says why.
 */
export type PortMiss =
  | { readonly kind: 'protocol' | 'range'; readonly port: string }
  | { readonly kind: 'named'; readonly port: string; readonly resolved: readonly number[] | null; readonly unresolved?: UnresolvedPort };

/**
 * Why a named port resolved to no number on the flow's destination: it is not a pod; the pod
 * has no container port of that name; it has the name only with another protocol (`ports`:
 * those, as `UDP 53`); or only on an init (or sidecar) container while init-container ports are
 * not counted (`ports`: their numbers; the `--ignore-init-container-ports` option).
 */
export type UnresolvedPort =
  | { readonly reason: 'not-a-pod' | 'no-such-port' }
  | { readonly reason: 'other-protocol'; readonly ports: readonly string[] }
  | { readonly reason: 'init-container'; readonly ports: readonly number[] };

/**
 * The kinds of step a direction's decision takes, in order (model/decision.ts): the
 * always-allowed cases (a reply, a pod reaching itself, ICMPv6 neighbour discovery by option),
 * whether this end is a pod, whether a policy isolates it, its own node, then the rules.
 */
export type StepKind = 'reply' | 'self' | 'icmpv6-nd' | 'endpoint' | 'admin' | 'isolation' | 'local-node' | 'rules' | 'baseline';

/** A step's answer, as kube-network-policies' Accept | Deny | Next: the first that is not 'next' decides. */
export type StepAnswer = 'allow' | 'deny' | 'next';

/** One step of a direction's evaluation and what it answered (DirectionExplanation.steps). */
export interface Step {
  readonly step: StepKind;
  readonly answer: StepAnswer;
}

/** Why one direction (egress on the source, ingress on the destination) got its decision. */
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
  /** The steps taken, in order: every one answered 'next' but the last, which decided. */
  readonly steps: readonly Step[];
  /**
   * The cluster-scoped rules that matched, in evaluation order: every Pass taken, then the
   * Accept or Deny that decided (when a tier decided). Empty when no cluster-scoped policy
   * selects this end.
   */
  readonly clusterRules: readonly ClusterRuleRef[];
  /**
   * Policies of the same tier and priority as one in `clusterRules` whose rules also match this
   * flow: their order is implementation-defined (netpol takes them by kind, then name), so
   * another dataplane may decide differently. Empty almost always.
   */
  readonly ties: readonly string[];
}

/**
 * A verdict with its reasons: the flow as text (`src`/`dst` as `namespace/pod` or the address,
 * the protocol name, the port) and, per direction, the policies, rules and steps behind the
 * decision. The same for every engine (the compiled ones are checked against the reference).
 */
export interface Explanation extends Verdict {
  readonly src: string;
  readonly dst: string;
  readonly protocol: string;
  readonly port?: number;
  readonly egressDetail: DirectionExplanation;
  readonly ingressDetail: DirectionExplanation;
  /** Policies of other APIs the verdict ignores (loaded with the explicit opt-out); absent: none. */
  readonly ignoring?: readonly string[];
  /**
   * For a denied flow, the smallest changes found that would allow it, cheapest first, each
   * checked to do so (analysis/suggest.ts `suggestChanges`). Engines never fill it (their
   * explanations stay equal to the reference's); `withSuggestions` and `netpol explain` do.
   * Absent: not computed; empty: none found.
   */
  readonly suggestions?: readonly Suggestion[];
}
