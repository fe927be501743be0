/**
 * `pass-reaches-nothing`: an Admin-tier Pass rule handing traffic to tiers that have nothing to
 * say about it. No NetworkPolicy isolates the subject pods for that direction and no Baseline
 * rule matches what the Pass hands down, so every such flow ends `not-isolated` (allowed): the
 * Pass means Accept, which is seldom what its author meant (a Pass is written to defer to
 * the namespace owners' NetworkPolicies). Decided by the tiers' own evaluation
 * (model/cluster-tier.ts, what the evaluators run) on sample flows (cluster-samples.ts) from
 * every group of subject pods.
 */
import { subjectSelects } from '../../model/cluster-match.js';
import { evaluateTier } from '../../model/cluster-tier.js';
import { selectorMatches } from '../../model/selector.js';
import { clusterPolicyKey, type ClusterPolicy, type Direction, type Pod } from '../../model/types.js';
import type { CheckFinding, LintCheck, LintContext } from '../types.js';
import { clusterIndex, clusterRef, orderedPolicies, podsText, rulePath, subjectPods } from './cluster-rules.js';
import { Budget, distinctSubjects, sampleFlows } from './cluster-samples.js';

/** Whether some NetworkPolicy isolates `pod` for `direction` (then NetworkPolicy decides whatever a Pass hands down). */
function isolated(ctx: LintContext, pod: Pod, direction: Direction): boolean {
  return clusterIndex(ctx)
    .policiesIn(pod.namespace)
    .some((np) => np.affects[direction] && selectorMatches(np.podSelector, pod.labels));
}

/**
 * For one direction, every Admin Pass rule taken for some sample flow (`cnp/x#i`), with whether
 * every flow it took went undecided by the Baseline tier. The Admin tier is evaluated once per
 * group of subject pods and sample flow, for all policies together (model/cluster-tier.ts);
 * `candidates` are the policies with a Pass rule whose subjects NetworkPolicy leaves
 * unisolated. Undefined when the budget ran out.
 */
function passOutcomes(ctx: LintContext, direction: Direction, candidates: readonly ClusterPolicy[], budget: Budget): Map<string, boolean> | undefined {
  const index = clusterIndex(ctx);
  const policies = orderedPolicies(ctx);
  const keys = new Set(candidates.map(clusterPolicyKey));
  const rules = [...candidates.flatMap((p) => p[direction]), ...policies.flatMap((p) => (p.tier === 'Baseline' ? p[direction] : []))];
  const subjects = distinctSubjects(ctx, [...new Set(candidates.flatMap((p) => subjectPods(ctx, p)))]);
  const nothing = new Map<string, boolean>();
  for (const subject of subjects) {
    const subjectNamespaceLabels = index.namespaceLabels(subject.namespace);
    // The tiers skip policies not selecting the subject: leave them out once, not per flow.
    const selecting = policies.filter((p) => subjectSelects(p.subject, subject, subjectNamespaceLabels));
    for (const s of sampleFlows(ctx, subject, direction, rules, budget)) {
      const query = {
        policies: selecting,
        direction,
        subject,
        subjectNamespaceLabels,
        remote: s.remote.target,
        flow: s,
        dstPod: s.dstPod,
        initContainerPorts: true,
      };
      const pass = evaluateTier({ ...query, tier: 'Admin' }).passes[0];
      if (!pass || !keys.has(pass.policy)) continue;
      const decided = evaluateTier({ ...query, tier: 'Baseline' }).decided !== undefined;
      const rule = `${pass.policy}#${pass.ruleIndex}`;
      nothing.set(rule, (nothing.get(rule) ?? true) && !decided);
    }
    if (budget.exhausted) return undefined;
  }
  return nothing;
}

/** The check. */
export const passReachesNothing: LintCheck = {
  id: 'pass-reaches-nothing',
  severity: 'warning',
  title: 'Admin Pass rule that no lower tier decides (it allows, as Accept would)',
  description:
    'A Pass skips the rest of the Admin tier so that NetworkPolicy, then the Baseline tier, decide. When no NetworkPolicy isolates the ' +
    'subject pods for that direction and no Baseline rule matches the traffic passed, nothing decides and the traffic is allowed by ' +
    'default: the Pass is an Accept in disguise. Write `action: Accept` if allowing is meant, or add the NetworkPolicy (or Baseline ' +
    'rule) the Pass is meant to hand the traffic to. Evaluated on the pods and workloads of the input.',
  *run(ctx: LintContext): Iterable<CheckFinding> {
    const budget = new Budget();
    for (const direction of ['ingress', 'egress'] as const) {
      // A policy some of whose subjects NetworkPolicy isolates hands that pod's traffic to it: not this check's case.
      const candidates = orderedPolicies(ctx).filter((p) => {
        if (p.tier !== 'Admin' || !p[direction].some((r) => r.action === 'Pass')) return false;
        const pods = subjectPods(ctx, p);
        return pods.length > 0 && !pods.some((pod) => isolated(ctx, pod, direction));
      });
      if (candidates.length === 0) continue;
      const outcomes = passOutcomes(ctx, direction, candidates, budget);
      if (!outcomes) return;
      for (const policy of candidates) {
        for (const [index, rule] of policy[direction].entries()) {
          if (rule.action !== 'Pass' || outcomes.get(`${clusterPolicyKey(policy)}#${index}`) !== true) continue;
          const pods = subjectPods(ctx, policy);
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
