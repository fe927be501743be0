/**
 * What the cluster-policy checks share: how a finding names a cluster-scoped policy and the
 * fields of its rules as written (the loader keeps rules, peers and ports in manifest order,
 * so model indices are manifest indices), which endpoints a subject selects, and the policies
 * in evaluation order.
 */
import { formatPath, type PathSegments } from '../../load/issues.js';
import { ClusterIndex } from '../../model/cluster-index.js';
import { orderClusterPolicies, subjectSelects } from '../../model/cluster-match.js';
import { clusterPolicyKey, type ClusterPolicy, type ClusterRule, type Direction, type Pod } from '../../model/types.js';
import type { LintContext, LintObjectRef } from '../types.js';

/** The object a finding about `p` names: cluster-scoped, so no namespace. */
export const clusterRef = (p: ClusterPolicy): LintObjectRef => ({ kind: p.kind, name: p.name });

/** `spec.ingress[i]` / `spec.egress[i]` as segments. */
export const rulePath = (direction: Direction, i: number): PathSegments => ['spec', direction, i];

/** The peers list of a rule as written: `from` for ingress, `to` for egress. */
export const peersField = (direction: Direction): 'from' | 'to' => (direction === 'ingress' ? 'from' : 'to');

/** The ports list of a rule as written: v1alpha2 `protocols`, v1alpha1 `ports`. */
export const portsField = (p: ClusterPolicy): 'protocols' | 'ports' => (p.kind === 'ClusterNetworkPolicy' ? 'protocols' : 'ports');

/** `cnp/x spec.egress[1] ("name")`: how messages name a rule. */
export function ruleLabel(p: ClusterPolicy, direction: Direction, i: number): string {
  const name = p[direction][i]?.name;
  return `${clusterPolicyKey(p)} ${formatPath(rulePath(direction, i))}${name === undefined ? '' : ` ("${name}")`}`;
}

/** One rule with where it sits. */
export interface PlacedRule {
  readonly policy: ClusterPolicy;
  readonly direction: Direction;
  readonly index: number;
  readonly rule: ClusterRule;
}

/** Every rule of `policies` for both directions, policy by policy, rules in written order. */
export function* placedRules(policies: readonly ClusterPolicy[]): Generator<PlacedRule> {
  for (const policy of policies) {
    for (const direction of ['ingress', 'egress'] as const) {
      for (const [index, rule] of policy[direction].entries()) yield { policy, direction, index, rule };
    }
  }
}

/** The cluster-scoped policies in evaluation order (memoised per run). */
export const orderedPolicies = (ctx: LintContext): readonly ClusterPolicy[] =>
  ctx.memo('cluster-lint:ordered', () => orderClusterPolicies(ctx.cluster.clusterPolicies ?? []));

/** Lookups over the cluster (memoised per run). */
export const clusterIndex = (ctx: LintContext): ClusterIndex => ctx.memo('cluster-lint:index', () => new ClusterIndex(ctx.cluster));

/** The endpoints (pods and template pods) `p`'s subject selects. */
export function subjectPods(ctx: LintContext, p: ClusterPolicy): readonly Pod[] {
  const index = clusterIndex(ctx);
  return ctx.memo(`cluster-lint:subject:${clusterPolicyKey(p)}`, () =>
    ctx.endpoints.filter((pod) => subjectSelects(p.subject, pod, index.namespaceLabels(pod.namespace))),
  );
}

/** `prod/web` (and N more): how messages name a set of pods by its first. */
export function podsText(pods: readonly Pod[]): string {
  const first = pods[0];
  if (!first) return 'no pod';
  return `${first.namespace}/${first.name}${pods.length > 1 ? ` (and ${pods.length - 1} more)` : ''}`;
}
