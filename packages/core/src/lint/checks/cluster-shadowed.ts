/**
 * `deny-shadowed-by-accept` and `cluster-rule-shadowed`: a cluster-scoped rule that never
 * takes effect because rules evaluated before it match all of its traffic first. Proved from
 * the manifests (cluster-coverage.ts), so it holds for any pods the cluster may run: for each
 * peer and port entry of the rule, one earlier rule has a peer containing it and ports
 * containing it, for every subject the rule's policy selects.
 *
 * "Before" is netpol's and every implementation's order where the API fixes it: earlier rules
 * of the same policy; rules of same-tier policies of a strictly lower priority whose subject
 * contains this one's (equal priorities are implementation-defined: `equal-priority-overlap`);
 * for a Baseline rule, Admin Accept and Deny rules of policies whose subject contains this
 * one's, as long as no Admin policy has a Pass rule in that direction (a Pass could hand the
 * traffic down to the Baseline tier after all).
 */
import { formatPath } from '../../load/issues.js';
import { clusterPolicyKey, type ClusterPolicy, type ClusterRule } from '../../model/types.js';
import type { CheckFinding, LintCheck, LintContext } from '../types.js';
import { peerWithin, portWithin, subjectWithin } from './cluster-coverage.js';
import { Budget } from './cluster-samples.js';
import { clusterRef, orderedPolicies, placedRules, ruleLabel, rulePath, type PlacedRule } from './cluster-rules.js';

/** The rules evaluated before `r` for every pod `r` applies to, in evaluation order. */
function rulesBefore(ctx: LintContext, r: PlacedRule): PlacedRule[] {
  const { policy, direction } = r;
  const ordered = orderedPolicies(ctx);
  const adminPasses = ordered.some((q) => q.tier === 'Admin' && q[direction].some((x) => x.action === 'Pass'));
  const earlier: PlacedRule[] = [];
  const add = (q: ClusterPolicy, rules: readonly ClusterRule[], keep: (x: ClusterRule) => boolean): void =>
    rules.forEach((rule, index) => {
      if (keep(rule)) earlier.push({ policy: q, direction, index, rule });
    });
  for (const q of ordered) {
    if (q === policy) break;
    if (!subjectWithin(policy.subject, q.subject)) continue;
    if (q.tier === policy.tier && q.priority < policy.priority) add(q, q[direction], () => true);
    else if (q.tier === 'Admin' && policy.tier === 'Baseline' && !adminPasses) add(q, q[direction], (x) => x.action !== 'Pass');
  }
  add(policy, policy[direction].slice(0, r.index), () => true);
  return earlier;
}

/**
 * For each peer × port entry of `r.rule`, the first of `candidates` containing it; undefined
 * when some piece has none.
 */
function coverers(r: PlacedRule, candidates: readonly PlacedRule[], budget: Budget): PlacedRule[] | undefined {
  const ports = r.rule.ports.length === 0 ? (['all'] as const) : r.rule.ports;
  const found = new Set<PlacedRule>();
  for (const peer of r.rule.peers) {
    for (const port of ports) {
      const c = candidates.find((a) => budget.take() && peerWithin(peer, a.rule.peers) && portWithin(port, a.rule.ports));
      if (!c || budget.exhausted) return undefined;
      found.add(c);
    }
  }
  return [...found];
}

const names = (rules: readonly PlacedRule[]): string =>
  rules
    .slice(0, 2)
    .map((x) => `${ruleLabel(x.policy, x.direction, x.index)} (${x.rule.action})`)
    .join(' and ') + (rules.length > 2 ? ` and ${rules.length - 2} more` : '');

/** How to make `r` count again when `by` take its traffic first. */
function moveFix(r: PlacedRule, by: readonly PlacedRule[], what: string): string {
  const others = [...new Set(by.filter((x) => x.policy !== r.policy).map((x) => x.policy))];
  const where =
    others.length > 0
      ? `give ${clusterPolicyKey(r.policy)} a lower spec.priority than ${others.map(clusterPolicyKey).join(', ')}`
      : `move it before ${formatPath(rulePath(r.direction, by[0]!.index))}`;
  return `${where}, or ${what}`;
}

interface Shadowed {
  readonly r: PlacedRule;
  readonly byAccept: boolean;
  readonly by: readonly PlacedRule[];
}

/** Every shadowed rule, once per run (both checks read it). */
function shadowedRules(ctx: LintContext): readonly Shadowed[] {
  return ctx.memo('cluster-lint:shadowed', () => {
    const out: Shadowed[] = [];
    const budget = new Budget();
    for (const r of placedRules(orderedPolicies(ctx))) {
      if (budget.exhausted) break;
      if (r.rule.peers.some((p) => p.kind === 'unknown')) continue;
      const before = rulesBefore(ctx, r);
      if (before.length === 0) continue;
      const accepts =
        r.rule.action === 'Accept'
          ? undefined
          : coverers(
              r,
              before.filter((x) => x.rule.action === 'Accept'),
              budget,
            );
      const by = accepts ?? coverers(r, before, budget);
      if (by) out.push({ r, byAccept: accepts !== undefined, by });
    }
    return out;
  });
}

const ACTION_VERB: Readonly<Record<string, string>> = { Accept: 'accepted', Deny: 'denied', Pass: 'passed to the next tier' };

/** The check for a Deny or Pass that an Accept always pre-empts. */
export const denyShadowedByAccept: LintCheck = {
  id: 'deny-shadowed-by-accept',
  severity: 'warning',
  title: 'Cluster-scoped Deny or Pass rule an earlier Accept always pre-empts',
  description:
    'Every flow the rule matches is matched first by Accept rules evaluated before it (earlier rules of the same policy, or policies of a ' +
    'lower priority number selecting all of its subjects), so the rule never takes effect and the traffic it was written to deny is ' +
    'accepted. Proved from the selectors, CIDRs and ports, so it holds for pods added later. Move the rule before the Accept (or give ' +
    'its policy a lower priority), or narrow the Accept.',
  *run(ctx: LintContext): Iterable<CheckFinding> {
    for (const { r, by } of shadowedRules(ctx).filter((s) => s.byAccept)) {
      yield {
        object: clusterRef(r.policy),
        path: [...rulePath(r.direction, r.index), 'action'],
        message: `this ${r.rule.action} rule never takes effect: every ${r.direction} flow it matches is accepted first by ${names(by)}`,
        fix: moveFix(r, by, 'narrow the Accept so it leaves out what this rule should stop'),
      };
    }
  },
};

/** The check for any other cluster-scoped rule that earlier rules always pre-empt. */
export const clusterRuleShadowed: LintCheck = {
  id: 'cluster-rule-shadowed',
  severity: 'warning',
  title: 'Cluster-scoped rule earlier rules always pre-empt',
  description:
    'Every flow the rule matches is matched first by rules evaluated before it (earlier rules of the same policy, policies of a lower ' +
    'priority number selecting all of its subjects, or for a Baseline rule Admin Accept/Deny rules), so it never takes effect: an Accept ' +
    'behind a Deny (warning), or a rule behind rules of its own action (redundant, info). A Deny or Pass behind Accepts is ' +
    '`deny-shadowed-by-accept`. Remove the rule, or move it before the rules that take its traffic.',
  *run(ctx: LintContext): Iterable<CheckFinding> {
    for (const { r, by } of shadowedRules(ctx).filter((s) => !s.byAccept)) {
      const redundant = by.every((x) => x.rule.action === r.rule.action);
      yield {
        object: clusterRef(r.policy),
        path: [...rulePath(r.direction, r.index), 'action'],
        message: redundant
          ? `this ${r.rule.action} rule is redundant: every ${r.direction} flow it matches is ${ACTION_VERB[r.rule.action]} first by ${names(by)}`
          : `this ${r.rule.action} rule never takes effect: every ${r.direction} flow it matches is taken first by ${names(by)}`,
        fix: redundant ? 'remove the rule' : moveFix(r, by, 'remove the rule'),
        ...(redundant && { severity: 'info' as const }),
      };
    }
  },
};
