/**
 * `equal-priority-overlap`: two cluster-scoped policies of one tier and priority that select a
 * common pod and whose rules answer one flow differently. Upstream leaves their order to the
 * implementation, so the verdict depends on the dataplane.
 *
 * The loader's `priority-tie` warning names every same-priority pair selecting a common
 * running pod (or every pair when no pods were loaded); this check is the sharper half: it
 * reports only pairs whose order changes a verdict, with the pod and flow that show it, and
 * counts workloads' template pods as subjects too. Without any pod or workload it reports the
 * pairs it can prove: nested subjects and two rules of different actions, one's peer and port
 * inside the other's.
 */
import { formatIP } from '../../ip/address.js';
import { protocolName } from '../../model/protocol.js';
import { clusterRuleMatch } from '../../model/cluster-match.js';
import { clusterPolicyKey, type ClusterPolicy, type ClusterRule, type Direction } from '../../model/types.js';
import type { CheckFinding, LintCheck, LintContext } from '../types.js';
import { peersOverlap, portsOverlap, subjectsNest } from './cluster-coverage.js';
import { clusterRef, orderedPolicies, ruleLabel, subjectPods } from './cluster-rules.js';
import { Budget, distinctSubjects, sampleFlows, type SampleFlow } from './cluster-samples.js';

const DIRECTIONS: readonly Direction[] = ['ingress', 'egress'];

/** The index of the first rule of `rules` matching the sample, or -1. */
const firstMatch = (rules: readonly ClusterRule[], s: SampleFlow): number =>
  rules.findIndex((r) => clusterRuleMatch(r, s.remote.target, s, s.dstPod, true) !== undefined);

/** Why the order of `a` (first in netpol's order) and `b` matters, or undefined. */
function conflict(ctx: LintContext, a: ClusterPolicy, b: ClusterPolicy, budget: Budget): string | undefined {
  if (ctx.endpoints.length === 0) {
    if (!subjectsNest(a.subject, b.subject)) return undefined;
    for (const d of DIRECTIONS) {
      for (const [i, ra] of a[d].entries()) {
        for (const [j, rb] of b[d].entries()) {
          if (!budget.take()) return undefined;
          if (ra.action !== rb.action && peersOverlap(ra.peers, rb.peers) && portsOverlap(ra.ports, rb.ports)) {
            return `their subjects nest and ${ruleLabel(a, d, i)} (${ra.action}) and ${ruleLabel(b, d, j)} (${rb.action}) match common ${d} traffic`;
          }
        }
      }
    }
    return undefined;
  }
  const inB = new Set(subjectPods(ctx, b));
  const common = subjectPods(ctx, a).filter((p) => inB.has(p));
  for (const subject of distinctSubjects(ctx, common)) {
    for (const d of DIRECTIONS) {
      if (a[d].length === 0 || b[d].length === 0) continue;
      for (const s of sampleFlows(ctx, subject, d, [...a[d], ...b[d]], budget)) {
        const i = firstMatch(a[d], s);
        const j = i < 0 ? -1 : firstMatch(b[d], s);
        if (j < 0 || a[d][i]!.action === b[d][j]!.action) continue;
        const remote = s.remote.target.pod ? `${s.remote.target.pod.namespace}/${s.remote.target.pod.name}` : formatIP(s.remote.end.address!);
        // Two rules without ports conflict on all traffic; else name the flow that shows it.
        const portless = a[d][i]!.ports.length === 0 && b[d][j]!.ports.length === 0;
        const flow = portless ? 'traffic' : `${protocolName(s.protocol)}${s.port === undefined ? '' : ` ${s.port}`}`;
        return `both select pod ${subject.namespace}/${subject.name}: for its ${d} ${flow} ${d === 'egress' ? 'to' : 'from'} ${remote}, ${ruleLabel(a, d, i)} answers ${a[d][i]!.action} and ${ruleLabel(b, d, j)} ${b[d][j]!.action}`;
      }
    }
  }
  return undefined;
}

/** The check. */
export const equalPriorityOverlap: LintCheck = {
  id: 'equal-priority-overlap',
  severity: 'warning',
  title: 'Equal-priority cluster-scoped policies that answer a flow differently',
  description:
    'Two policies of the same tier and priority select a common pod and have rules of different actions (Accept, Deny, Pass) matching a ' +
    'common flow. Upstream leaves the order of equal priorities to the implementation: netpol takes ClusterNetworkPolicies before ' +
    'AdminNetworkPolicies, then names in order, but another dataplane may pick the other rule. Give the policies distinct priorities.',
  *run(ctx: LintContext): Iterable<CheckFinding> {
    const budget = new Budget();
    const ordered = orderedPolicies(ctx);
    for (const [i, a] of ordered.entries()) {
      for (const b of ordered.slice(i + 1)) {
        if (b.tier !== a.tier || b.priority !== a.priority) break;
        const why = conflict(ctx, a, b, budget);
        if (budget.exhausted) return;
        if (!why) continue;
        const [move, to] = b.priority < 1000 ? [b, b.priority + 1] : [a, a.priority - 1];
        yield {
          object: clusterRef(b),
          path: ['spec', 'priority'],
          message: `${clusterPolicyKey(a)} and ${clusterPolicyKey(b)} are both ${a.tier}-tier at priority ${a.priority} and ${why}: which decides is implementation-defined (netpol takes ${clusterPolicyKey(a)})`,
          fix: `give them distinct priorities, e.g. spec.priority: ${to} on ${clusterPolicyKey(move)} (the order netpol uses today)`,
        };
      }
    }
  },
};
