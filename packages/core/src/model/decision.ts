/**
 * A direction's decision as an ordered list of steps, each answering allow, deny or next
 * (kube-network-policies' Accept | Deny | Next): the first answer that is not 'next' decides.
 * Written once, here; every engine supplies the facts (`DirectionFacts`) from what it has — the
 * reference evaluator from the model, the compiled and live dataplanes from their image and its
 * provenance — so every engine reports the same chain, and a tier is one more step kind.
 */
import type { Decision, DecisionReason, DirectionExplanation, RuleMiss, RuleRef, Step, StepKind } from './flow.js';
import type { Direction } from './types.js';

/**
 * What the steps ask an engine about one direction of one flow, asked lazily and in step order
 * (a plain object: `decideDirection` wraps it to ask `isolatedBy` once).
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
  /** undefined: 'next'. */
  run(facts: DirectionFacts): Outcome | undefined;
}

const allow = (decision: Decision, reason: DecisionReason): Outcome => ({ answer: 'allow', decision, reason });

/**
 * The steps, in order (spec/semantics.md §2.7-§2.12). A tier would be one more entry. The
 * endpoint and isolation steps answer 'allow' with the decisions 'not-applicable' and
 * 'not-isolated': NetworkPolicy has nothing to say about this end, which lets the flow through.
 */
export const DECISION_STEPS: readonly StepRule[] = [
  { step: 'reply', flowWide: true, run: (f) => (f.reply() ? allow('allowed', 'reply') : undefined) },
  { step: 'self', flowWide: true, run: (f) => (f.self() ? allow('allowed', 'self') : undefined) },
  { step: 'icmpv6-nd', flowWide: true, run: (f) => (f.neighborDiscovery() ? allow('allowed', 'icmpv6-nd') : undefined) },
  { step: 'endpoint', flowWide: false, run: (f) => (f.endpoint === null ? allow('not-applicable', 'not-a-pod') : undefined) },
  { step: 'isolation', flowWide: false, run: (f) => (f.isolatedBy().length === 0 ? allow('not-isolated', 'no-policy') : undefined) },
  // "Ingress from the pod's own node is always allowed" (API field doc, §2.9).
  { step: 'local-node', flowWide: false, run: (f) => (f.localNode() ? allow('allowed', 'local-node') : undefined) },
  {
    step: 'rules',
    flowWide: false,
    run: (f) => {
      const { allowedBy, rejected } = f.rules();
      return allowedBy.length > 0 ? { answer: 'allow', decision: 'allowed', reason: 'rule', allowedBy } : { answer: 'deny', decision: 'denied', reason: 'no-rule-matched', rejected };
    },
  },
];

/** Whether `step` is one of the always-allowed steps taken before any policy (the kernel's "special"). */
export const isFlowWideStep = (step: StepKind): boolean => DECISION_STEPS.some((s) => s.step === step && s.flowWide);

/** Runs the steps over one engine's facts: the direction's decision, its reason and the chain. */
export function decideDirection(given: DirectionFacts): DirectionExplanation {
  let isolating: readonly string[] | undefined;
  const facts: DirectionFacts = { ...given, isolatedBy: () => (isolating ??= given.isolatedBy()) };
  const steps: Step[] = [];
  for (const rule of DECISION_STEPS) {
    const out = rule.run(facts);
    if (out === undefined) {
      steps.push({ step: rule.step, answer: 'next' });
      continue;
    }
    steps.push({ step: rule.step, answer: out.answer });
    // The isolating policies are named once the isolation step has passed the flow on.
    const isolatedBy = steps.some((s) => s.step === 'isolation' && s.answer === 'next') ? facts.isolatedBy() : [];
    return {
      direction: facts.direction,
      endpoint: facts.endpoint,
      decision: out.decision,
      reason: out.reason,
      isolatedBy,
      allowedBy: out.allowedBy ?? [],
      rejected: out.rejected ?? [],
      steps,
      clusterRules: [],
      ties: [],
    };
  }
  // The rules step always answers; a list whose last step can say 'next' needs a default here.
  throw new Error('internal error: no decision step answered');
}
