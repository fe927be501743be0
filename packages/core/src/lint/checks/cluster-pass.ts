/**
 * `pass-reaches-nothing`: an Admin-tier Pass rule handing traffic to tiers that have nothing to
 * say about it. No NetworkPolicy isolates the subject pods for that direction and no Baseline
 * rule matches what the Pass hands down, so every such flow ends `not-isolated` (allowed): the
 * Pass means Accept, which is seldom what its author meant (a Pass is written to defer to
 * the namespace owners' NetworkPolicies). Decided by the reference evaluator on sample flows
 * (cluster-samples.ts) from every group of subject pods.
 */
import { ReferenceEvaluator } from '../../reference/evaluator.js';
import { selectorMatches } from '../../model/selector.js';
import { clusterPolicyKey, type ClusterPolicy, type Direction, type Pod } from '../../model/types.js';
import type { CheckFinding, LintCheck, LintContext } from '../types.js';
import { clusterIndex, clusterRef, orderedPolicies, podsText, rulePath, subjectPods } from './cluster-rules.js';
import { Budget, distinctSubjects, sampleFlows, subjectEnd } from './cluster-samples.js';

/** Whether some NetworkPolicy isolates `pod` for `direction` (then NetworkPolicy decides whatever a Pass hands down). */
function isolated(ctx: LintContext, pod: Pod, direction: Direction): boolean {
  return clusterIndex(ctx)
    .policiesIn(pod.namespace)
    .some((np) => np.affects[direction] && selectorMatches(np.podSelector, pod.labels));
}

/**
 * Whether the Pass `policy[direction][index]` is taken for some sample flow and every such flow
 * ends `not-isolated`; undefined when the budget ran out.
 */
function reachesNothing(
  ctx: LintContext,
  policy: ClusterPolicy,
  direction: Direction,
  index: number,
  subjects: readonly Pod[],
  budget: Budget,
): boolean | undefined {
  const reference = ctx.memo('cluster-lint:reference', () => new ReferenceEvaluator(ctx.cluster));
  const key = clusterPolicyKey(policy);
  const baseline = orderedPolicies(ctx).flatMap((p) => (p.tier === 'Baseline' ? p[direction] : []));
  let taken = false;
  for (const subject of subjects) {
    for (const s of sampleFlows(ctx, subject, direction, [...policy[direction], ...baseline], budget)) {
      const own = subjectEnd(subject, s.remote.end);
      if (!own) continue;
      const [src, dst] = direction === 'egress' ? [own, s.remote.end] : [s.remote.end, own];
      const e = reference.explainBetween(src, dst, s.protocol, s.port);
      const detail = direction === 'egress' ? e.egressDetail : e.ingressDetail;
      if (!detail.clusterRules.some((c) => c.tier === 'admin' && c.action === 'Pass' && c.policy === key && c.direction === direction && c.ruleIndex === index))
        continue;
      taken = true;
      if (detail.decision !== 'not-isolated') return false;
    }
    if (budget.exhausted) return undefined;
  }
  return taken;
}

/** The check. */
export const passReachesNothing: LintCheck = {
  id: 'pass-reaches-nothing',
  severity: 'warning',
  title: 'An Admin Pass rule that no lower tier decides: it allows, as Accept would',
  description:
    'A Pass skips the rest of the Admin tier so that NetworkPolicy, then the Baseline tier, decide. When no NetworkPolicy isolates the ' +
    'subject pods for that direction and no Baseline rule matches the traffic passed, nothing decides and the traffic is allowed by ' +
    'default: the Pass is an Accept in disguise. Write `action: Accept` if allowing is meant, or add the NetworkPolicy (or Baseline ' +
    'rule) the Pass is meant to hand the traffic to. Evaluated on the pods and workloads of the input.',
  *run(ctx: LintContext): Iterable<CheckFinding> {
    const budget = new Budget();
    for (const policy of orderedPolicies(ctx)) {
      if (policy.tier !== 'Admin') continue;
      const pods = subjectPods(ctx, policy);
      for (const direction of ['ingress', 'egress'] as const) {
        if (pods.length === 0 || pods.some((p) => isolated(ctx, p, direction))) continue;
        for (const [index, rule] of policy[direction].entries()) {
          if (rule.action !== 'Pass') continue;
          const nothing = reachesNothing(ctx, policy, direction, index, distinctSubjects(pods), budget);
          if (nothing === undefined) return;
          if (!nothing) continue;
          yield {
            object: clusterRef(policy),
            path: [...rulePath(direction, index), 'action'],
            message: `this Pass hands ${direction} of ${podsText(pods)} to the lower tiers, but no NetworkPolicy isolates them for ${direction} and no Baseline rule matches what it passes: the traffic is allowed by default, as if the rule said Accept`,
            fix: `write action: Accept to allow it explicitly, or add the NetworkPolicy (or Baseline rule) the Pass is meant to hand the traffic to`,
          };
        }
      }
    }
  },
};
