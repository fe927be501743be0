/**
 * `policy-changes-nothing` and `shadowed-rule`: NetworkPolicies and rules that can be removed
 * without changing any verdict (rule-coverage.ts says how that is decided, exactly over the
 * input, never reporting one whose removal would change a verdict).
 */
import type { Direction, NetworkPolicy } from '../../model/types.js';
import { policyKey } from '../../model/types.js';
import type { CheckFinding, LintCheck, LintContext } from '../types.js';
import { ruleCoverage, type Coverage, type RuleAt } from './rule-coverage.js';
import { ruleScope } from './rule-remotes.js';

const coverage = (ctx: LintContext): Coverage => ctx.memo('rule-coverage', () => ruleCoverage(ruleScope(ctx)));

const ref = (p: NetworkPolicy) => ({ kind: 'NetworkPolicy', namespace: p.namespace, name: p.name });

/** `ns/name ingress[0]`, or `ingress[0] of this policy` when `from` is the same policy. */
const ruleName = (r: RuleAt, from: NetworkPolicy): string =>
  r.policy === from ? `${r.direction}[${r.ruleIndex}]` : `${policyKey(r.policy)} ${r.direction}[${r.ruleIndex}]`;

/** A few names, then how many more. */
export function someOf(names: readonly string[], max = 3): string {
  return names.length <= max ? names.join(', ') : `${names.slice(0, max).join(', ')} and ${names.length - max} more`;
}

export const POLICY_CHANGES_NOTHING: LintCheck = {
  id: 'policy-changes-nothing',
  severity: 'warning',
  title: 'NetworkPolicy whose removal changes no verdict',
  description:
    'Removing this NetworkPolicy changes no verdict for any pair of endpoints of the input or external address: the pods it selects stay isolated by other policies whose rules already allow everything it allows (or it allows everything and nothing else isolates them). It is dead weight, or it was meant to restrict traffic that the other policies open (rules of the policies selecting a pod add up). Delete it, or narrow the policies that cover it.',
  *run(ctx) {
    for (const { policy, coveredBy } of coverage(ctx).policies) {
      const dirs = Object.entries(coveredBy) as [Direction, readonly NetworkPolicy[]][];
      const why = dirs
        .map(([d, others]) =>
          others.length === 0
            ? `for ${d} it allows everything and nothing else isolates its pods`
            : `for ${d} its pods stay isolated by ${someOf(others.map(policyKey))}, whose rules already allow all it allows`,
        )
        .join('; ');
      const pods = ruleScope(ctx).subjects(policy).length;
      const covering = [...new Set(dirs.flatMap(([, others]) => others.map(policyKey)))];
      yield {
        object: ref(policy),
        path: [],
        message: `removing it changes no verdict for the ${pods} pod${pods === 1 ? '' : 's'} it selects: ${why}`,
        fix:
          covering.length > 0
            ? `delete the policy, or, if it was meant to restrict, narrow ${someOf(covering)} (rules of the policies selecting a pod add up)`
            : 'delete the policy (allowing everything to pods nothing else isolates is what no policy does), or give it the rules meant',
      };
    }
  },
};

export const SHADOWED_RULE: LintCheck = {
  id: 'shadowed-rule',
  severity: 'warning',
  title: 'Rule whose every connection another rule already allows',
  description:
    'Everything this rule allows, for every pod its policy selects, is already allowed by another rule of the policies selecting those pods (same namespace, same direction), e.g. TCP 80 from app=web next to a rule allowing every port from the whole namespace. Removing it changes no verdict. Often the broader rule is the mistake: the narrower one was meant to be the limit, but rules of the policies selecting a pod add up.',
  *run(ctx) {
    for (const r of coverage(ctx).rules) {
      const names = r.coveredBy.map((c) => ruleName(c, r.policy));
      const by = r.single ? `by ${names[0]}` : `by ${someOf(names)} together`;
      const finding: CheckFinding = {
        object: ref(r.policy),
        path: ['spec', r.direction, r.ruleIndex],
        message: `every connection it allows is already allowed ${by}: removing it changes no verdict`,
        fix: `remove this rule, or narrow ${someOf(names)} if this rule was meant to be the limit (rules of the policies selecting a pod add up)`,
      };
      yield finding;
    }
  },
};
