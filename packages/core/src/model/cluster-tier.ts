/**
 * One cluster-scoped tier (Admin or Baseline) for one direction of one flow, spec-direct: which
 * policies select the pod, every Pass on the way, the Accept or Deny that decides, and the
 * same-priority policies whose order is implementation-defined. Inputs are model objects and a
 * `ClusterPeerTarget`, so the reference evaluator and the image explain share it; matching is
 * cluster-match.ts's, never a second copy.
 */
import { clusterRuleMatch, subjectSelects, type ClusterPeerTarget } from './cluster-match.js';
import type { ClusterRuleRef, Flow } from './flow.js';
import { clusterPolicyKey, type ClusterPolicy, type Direction, type Labels, type Pod, type Tier } from './types.js';

/** What a tier says about one direction of one flow. */
export interface TierOutcome {
  /** Some policy of the tier has the pod as subject and rules in this direction. */
  readonly selected: boolean;
  /** The Pass rules taken (at most one: a Pass skips the rest of its tier). */
  readonly passes: readonly ClusterRuleRef[];
  /** The Accept or Deny rule that decided; undefined: the tier did not decide. */
  readonly decided?: ClusterRuleRef;
  /**
   * Other policies (clusterPolicyKey) of the same tier and priority as the one whose rule was
   * taken (Pass or decision), whose rules also match this flow: their relative order is
   * implementation-defined upstream.
   */
  readonly ties: readonly string[];
}

/** A tier in which no policy selects the pod: what an engine without cluster-scoped policies reports. */
export const NO_TIER: TierOutcome = Object.freeze({ selected: false, passes: Object.freeze([]), ties: Object.freeze([]) });

/** One direction of one flow, as a tier sees it. */
export interface TierQuery {
  /** Every cluster-scoped policy, in `orderClusterPolicies` order (other tiers are skipped). */
  readonly policies: readonly ClusterPolicy[];
  readonly tier: Tier;
  readonly direction: Direction;
  /** The pod on this direction's side (the source for egress): a pod-network pod. */
  readonly subject: Pod;
  readonly subjectNamespaceLabels: Labels;
  /** The other end of the flow. */
  readonly remote: ClusterPeerTarget;
  readonly flow: Pick<Flow, 'protocol' | 'port'>;
  /** The flow's destination pod, where named ports resolve (both directions). */
  readonly dstPod: Pod | undefined;
  /** EvaluationOptions.initContainerPorts. */
  readonly initContainerPorts: boolean;
}

const TIER_NAME = { Admin: 'admin', Baseline: 'baseline' } as const;

/**
 * Evaluates `q.tier` for one direction: policies in order, in each the rules in written order,
 * the first matching rule of the first policy with one decides (Accept, Deny) or skips the rest
 * of the tier (Pass). A policy without a matching rule hands on to the next.
 */
export function evaluateTier(q: TierQuery): TierOutcome {
  const selecting = q.policies.filter((p) => p.tier === q.tier && p[q.direction].length > 0 && subjectSelects(p.subject, q.subject, q.subjectNamespaceLabels));
  if (selecting.length === 0) return NO_TIER;
  const firstMatch = (p: ClusterPolicy): ClusterRuleRef | undefined => {
    const rules = p[q.direction];
    for (let ruleIndex = 0; ruleIndex < rules.length; ruleIndex++) {
      const rule = rules[ruleIndex]!;
      const m = clusterRuleMatch(rule, q.remote, q.flow, q.dstPod, q.initContainerPorts);
      if (m) {
        return {
          tier: TIER_NAME[q.tier],
          policy: clusterPolicyKey(p),
          priority: p.priority,
          direction: q.direction,
          ruleIndex,
          ruleName: rule.name ?? null,
          action: rule.action,
          ...m,
        };
      }
    }
    return undefined;
  };
  for (const [i, policy] of selecting.entries()) {
    const taken = firstMatch(policy);
    if (!taken) continue;
    // Policies before this one of equal priority had no matching rule; only later ones can tie.
    const ties = selecting
      .slice(i + 1)
      .filter((p) => p.priority === policy.priority && firstMatch(p) !== undefined)
      .map(clusterPolicyKey);
    return taken.action === 'Pass' ? { selected: true, passes: [taken], ties } : { selected: true, passes: [], decided: taken, ties };
  }
  return { selected: true, passes: [], ties: [] };
}
