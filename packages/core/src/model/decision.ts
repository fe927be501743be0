/**
 * A direction's decision as an ordered list of steps, each answering allow, deny or next
 * (kube-network-policies' Accept | Deny | Next): the first answer that is not 'next' decides.
 * Written once, here; every engine supplies the facts (`DirectionFacts`) from what it has — the
 * reference evaluator from the model, the compiled and live dataplanes from their image and its
 * provenance — so every engine reports the same chain, and a tier is one more step kind.
 */
import { NO_TIER, type TierOutcome } from './cluster-tier.js';
import type { ClusterRuleRef, Decision, DecisionReason, DirectionExplanation, RuleMiss, RuleRef, Step, StepKind } from './flow.js';
import type { Direction } from './types.js';

/**
 * What the steps ask an engine about one direction of one flow, asked lazily and in step order
 * (a plain object: `decideDirection` wraps it to ask `isolatedBy`, `admin` and `baseline` once).
 */
export interface DirectionFacts {
  readonly direction: Direction;
  /** `namespace/name` of the pod on this direction's side (source for egress), or null. */
  readonly endpoint: string | null;
  /** A reply on an allowed connection (conntrack said so). */
  reply(): boolean;
  /** Both ends are the same pod. */
  self(): boolean;
  /** ICMPv6 neighbour discovery, allowed by option. */
  neighborDiscovery(): boolean;
  /** The policies (`namespace/name`) that select the endpoint for this direction. */
  isolatedBy(): readonly string[];
  /** The remote end is the endpoint's own node and the options let that through. */
  localNode(): boolean;
  /**
   * Every rule of the isolating policies that allows the flow and, when the engine explains,
   * every candidate that does not (with why). An engine that only wants the verdict may stop
   * at the first allowing rule and leave `rejected` empty.
   */
  rules(): { readonly allowedBy: readonly RuleRef[]; readonly rejected: readonly RuleMiss[] };
  /**
   * The Admin tier for this end (model/cluster-tier.ts `evaluateTier`). Absent: no cluster-scoped
   * policy selects it (an engine that has none).
   */
  admin?(): TierOutcome;
  /** The Baseline tier for this end, asked only when no NetworkPolicy isolates it. Absent: as `admin`. */
  baseline?(): TierOutcome;
}

/** The facts with the tiers and the isolating policies asked at most once each. */
interface Facts extends DirectionFacts {
  admin(): TierOutcome;
  baseline(): TierOutcome;
}

interface Outcome {
  readonly answer: 'allow' | 'deny';
  readonly decision: Decision;
  readonly reason: DecisionReason;
  readonly allowedBy?: readonly RuleRef[];
  readonly rejected?: readonly RuleMiss[];
}

interface StepRule {
  readonly step: StepKind;
  /** Whether the step concerns the flow as a whole (both directions answer alike) rather than one end. */
  readonly flowWide: boolean;
  /** Whether the step is taken at all (absent: always); a step not taken is not listed. */
  taken?(facts: Facts): boolean;
  /** undefined: 'next'. */
  run(facts: Facts): Outcome | undefined;
}

const allow = (decision: Decision, reason: DecisionReason): Outcome => ({ answer: 'allow', decision, reason });

const isolated = (f: Facts): boolean => f.isolatedBy().length > 0;

/** A tier's Accept or Deny as the step's outcome; undefined when the tier did not decide. */
function tierDecision(t: TierOutcome, tier: 'admin' | 'baseline'): Outcome | undefined {
  if (!t.decided) return undefined;
  const accept = t.decided.action === 'Accept';
  return { answer: accept ? 'allow' : 'deny', decision: `${tier}-${accept ? 'allowed' : 'denied'}`, reason: `${tier}-rule` };
}

/**
 * The steps, in order (docs/semantics.md §2.7-§2.12, with the cluster-scoped tiers around
 * NetworkPolicy as the issue-13 contract fixes them). The endpoint and isolation steps answer
 * 'allow' with the decisions 'not-applicable' and 'not-isolated': no tier has anything to say
 * about this end, which lets the flow through.
 *
 * The admin step is taken only when an Admin-tier policy selects the pod for this direction, the
 * baseline step only when a Baseline-tier one does and no NetworkPolicy isolates the pod; so
 * without cluster-scoped policies the chain is exactly NetworkPolicy's. The local-node exemption
 * belongs to the NetworkPolicy tier (taken only when isolated): it never overrides an Admin or
 * Baseline rule (the lead's decision: a cluster admin can deny node traffic with a `nodes` peer).
 */
export const DECISION_STEPS: readonly StepRule[] = [
  { step: 'reply', flowWide: true, run: (f) => (f.reply() ? allow('allowed', 'reply') : undefined) },
  { step: 'self', flowWide: true, run: (f) => (f.self() ? allow('allowed', 'self') : undefined) },
  { step: 'icmpv6-nd', flowWide: true, run: (f) => (f.neighborDiscovery() ? allow('allowed', 'icmpv6-nd') : undefined) },
  { step: 'endpoint', flowWide: false, run: (f) => (f.endpoint === null ? allow('not-applicable', 'not-a-pod') : undefined) },
  // An Accept or Deny decides; a Pass (or no matching rule) hands on to NetworkPolicy.
  { step: 'admin', flowWide: false, taken: (f) => f.admin().selected, run: (f) => tierDecision(f.admin(), 'admin') },
  // Not isolated: the Baseline tier has its say when one of its policies selects the pod.
  { step: 'isolation', flowWide: false, run: (f) => (isolated(f) || f.baseline().selected ? undefined : allow('not-isolated', 'no-policy')) },
  // "Ingress from the pod's own node is always allowed" (API field doc, §2.9).
  { step: 'local-node', flowWide: false, taken: isolated, run: (f) => (f.localNode() ? allow('allowed', 'local-node') : undefined) },
  {
    step: 'rules',
    flowWide: false,
    taken: isolated,
    run: (f) => {
      const { allowedBy, rejected } = f.rules();
      return allowedBy.length > 0
        ? { answer: 'allow', decision: 'allowed', reason: 'rule', allowedBy }
        : { answer: 'deny', decision: 'denied', reason: 'no-rule-matched', rejected };
    },
  },
  // Reached only when not isolated and a Baseline policy selects the pod: its rule, or nothing decided.
  {
    step: 'baseline',
    flowWide: false,
    taken: (f) => f.baseline().selected,
    run: (f) => tierDecision(f.baseline(), 'baseline') ?? allow('not-isolated', 'no-policy'),
  },
];

/** Whether `step` is one of the always-allowed steps taken before any policy (the kernel's "special"). */
export const isFlowWideStep = (step: StepKind): boolean => DECISION_STEPS.some((s) => s.step === step && s.flowWide);

/** Runs the steps over one engine's facts: the direction's decision, its reason and the chain. */
export function decideDirection(given: DirectionFacts): DirectionExplanation {
  let isolating: readonly string[] | undefined;
  let admin: TierOutcome | undefined;
  let baseline: TierOutcome | undefined;
  const facts: Facts = {
    ...given,
    isolatedBy: () => (isolating ??= given.isolatedBy()),
    admin: () => (admin ??= given.admin?.() ?? NO_TIER),
    baseline: () => (baseline ??= given.baseline?.() ?? NO_TIER),
  };
  const steps: Step[] = [];
  for (const rule of DECISION_STEPS) {
    if (rule.taken && !rule.taken(facts)) continue;
    const out = rule.run(facts);
    if (out === undefined) {
      steps.push({ step: rule.step, answer: 'next' });
      continue;
    }
    steps.push({ step: rule.step, answer: out.answer });
    // The isolating policies are named once the isolation step has passed the flow on.
    const isolatedBy = steps.some((s) => s.step === 'isolation' && s.answer === 'next') ? facts.isolatedBy() : [];
    // The tiers whose steps were taken: every Pass on the way, then the rule that decided.
    const tiers = [
      ...(admin && steps.some((s) => s.step === 'admin') ? [admin] : []),
      ...(baseline && steps.some((s) => s.step === 'baseline') ? [baseline] : []),
    ];
    const clusterRules: ClusterRuleRef[] = tiers.flatMap((t) => [...t.passes, ...(t.decided ? [t.decided] : [])]);
    return {
      direction: facts.direction,
      endpoint: facts.endpoint,
      decision: out.decision,
      reason: out.reason,
      isolatedBy,
      allowedBy: out.allowedBy ?? [],
      rejected: out.rejected ?? [],
      steps,
      clusterRules,
      ties: tiers.flatMap((t) => t.ties),
    };
  }
  // The rules and baseline steps always answer when taken, and when neither is, isolation does.
  throw new Error('internal error: no decision step answered');
}

/**
 * The policies that decided one direction: the cluster-scoped policy whose Accept or Deny
 * rule decided (`cnp/x`), else for a NetworkPolicy allow the policies whose rules allowed it,
 * for a NetworkPolicy deny the isolating policies; none when no policy decided.
 */
export function decidingPolicies(d: DirectionExplanation): readonly string[] {
  switch (d.decision) {
    case 'admin-allowed':
    case 'admin-denied':
    case 'baseline-allowed':
    case 'baseline-denied': {
      const rule = d.clusterRules[d.clusterRules.length - 1];
      return rule ? [rule.policy] : [];
    }
    case 'allowed':
      return [...new Set(d.allowedBy.map((r) => r.policy))];
    case 'denied':
      return d.isolatedBy;
    default:
      return [];
  }
}
