/**
 * `meaningless-policy-name`: a policy name made only of generic words (`my-network-policy`,
 * `policy1`, `test`, `np-1`), which says nothing in `kubectl get netpol`, in explanations and in
 * denials, where the name is all a reader sees.
 */
import type { LintCheck, LintContext, CheckFinding } from '../types.js';

/**
 * Words that say nothing about what a policy does or whom it is for. A name is meaningless when
 * every word of it (split on `-`, `_` and `.`, digits and version suffixes such as `1`, `v2` set
 * aside) is one of these or a single letter.
 */
export const GENERIC_NAME_WORDS: ReadonlySet<string> = new Set([
  'my',
  'the',
  'new',
  'copy',
  'network',
  'net',
  'networkpolicy',
  'networkpolicies',
  'netpol',
  'netpols',
  'np',
  'nwp',
  'pol',
  'policy',
  'policies',
  'rule',
  'rules',
  'test',
  'tests',
  'testing',
  'example',
  'examples',
  'sample',
  'demo',
  'foo',
  'bar',
  'baz',
  'tmp',
  'temp',
  'untitled',
  'k8s',
  'kubernetes',
  'cnp',
  'anp',
]);

/** The name's words without numbers and version suffixes (`policy1` → `policy`, `np-v2` → `np`). */
function nameWords(name: string): string[] {
  return name
    .toLowerCase()
    .split(/[-_.]+/)
    .map((w) => w.replace(/v?\d+$/, ''))
    .filter((w) => w !== '');
}

/** Is the name made of generic words and single letters only (or of nothing but numbers)? */
export const meaninglessName = (name: string): boolean => nameWords(name).every((w) => w.length === 1 || GENERIC_NAME_WORDS.has(w));

function* meaninglessNames(ctx: LintContext): Iterable<CheckFinding> {
  const named = [
    ...ctx.cluster.policies.map((p) => ({ kind: 'NetworkPolicy', namespace: p.namespace, name: p.name })),
    // The BaselineAdminNetworkPolicy must be named `default`: not a choice, not flagged.
    ...(ctx.cluster.clusterPolicies ?? []).filter((p) => p.kind !== 'BaselineAdminNetworkPolicy').map((p) => ({ kind: p.kind, name: p.name })),
  ];
  for (const object of named) {
    if (!meaninglessName(object.name)) continue;
    yield {
      object,
      path: ['metadata', 'name'],
      message: `the name ${object.name} says nothing about what the policy does: explanations, denials and kubectl get show only the name`,
      fix: 'name it for whom and what it allows or denies, e.g. allow-frontend-to-api or default-deny-egress',
    };
  }
}

/** The naming check. */
export const POLICY_NAME_CHECKS: readonly LintCheck[] = [
  {
    id: 'meaningless-policy-name',
    severity: 'info',
    title: 'Policy name that says nothing about the policy',
    description:
      'A name made only of generic words (my, network, policy, netpol, np, test, example, demo, foo, tmp, ...; single letters, numbers and version suffixes such as 1 or v2 set aside), as my-network-policy, policy1, test or np-1, tells a reader of kubectl get, of an explanation or of a denial nothing. Name the policy for whom and what it allows or denies. Covers NetworkPolicies and the cluster-scoped policies (the BaselineAdminNetworkPolicy must be named default).',
    run: meaninglessNames,
  },
];
