/**
 * Selection checks of NetworkPolicies: a policy whose podSelector selects no pod, and a from/to
 * peer that matches no namespace or no pod. Both judge only what the input shows: a namespace
 * with no pod or workload in the input may simply not have been given, so nothing is said about
 * pods there (manifests of policies alone cannot tell whether a selector will match).
 */
import { NAMESPACE_NAME_LABEL } from '../../load/workloads.js';
import { closestKey } from '../../model/check-options.js';
import { isEmptySelector, selectorMatches } from '../../model/selector.js';
import { policyRef } from '../objects.js';
import type { Direction, Labels, Namespace, NetworkPolicy, Selector } from '../../model/types.js';
import type { CheckFinding, LintCheck, LintContext } from '../types.js';
import { endpointLabels, namespacesByName } from './endpoint-labels.js';
import { selectorHint } from './selector-hint.js';

const matchesAny = (s: Selector, sets: readonly Labels[] | undefined): boolean => sets?.some((l) => selectorMatches(s, l)) === true;

/** Was `metadata.namespace` written? True when the source is unknown (say nothing rather than guess). */
function namespaceWritten(ctx: LintContext, p: NetworkPolicy): boolean {
  if (!ctx.source) return true;
  const meta = ctx.source(policyRef(p))?.['metadata'];
  return typeof meta !== 'object' || meta === null || typeof (meta as Record<string, unknown>)['namespace'] === 'string';
}

/** `policy-selects-no-pods`: see the check's description. */
function* selectsNoPods(ctx: LintContext): Iterable<CheckFinding> {
  const byNamespace = endpointLabels(ctx);
  if (byNamespace.size === 0) return; // no pod or workload in the input: nothing to judge against
  for (const p of ctx.cluster.policies) {
    const own = byNamespace.get(p.namespace);
    if (own) {
      const hint = selectorHint(p.podSelector, own, 'pod');
      if (hint)
        yield {
          object: policyRef(p),
          path: ['spec', 'podSelector', ...hint.path],
          message: `selects none of the pods and workloads of namespace ${p.namespace}, so it isolates and allows nothing: ${hint.why}`,
          fix: hint.fix,
        };
      continue;
    }
    // No endpoint in its namespace: say something only when metadata.namespace was not written
    // and the selector picks pods elsewhere (a forgotten namespace, defaulted by -n).
    if (isEmptySelector(p.podSelector) || namespaceWritten(ctx, p)) continue;
    const elsewhere = [...byNamespace].filter(([, sets]) => matchesAny(p.podSelector, sets)).map(([ns]) => ns);
    if (elsewhere.length === 0) continue;
    yield {
      object: policyRef(p),
      path: ['metadata', 'namespace'],
      severity: 'warning',
      message: `namespace ${p.namespace} has no pod or workload in the input, but the podSelector matches pods in ${elsewhere.slice(0, 3).join(', ')}${elsewhere.length > 3 ? ', ...' : ''}: a policy only selects pods of its own namespace`,
      fix: `set metadata.namespace: ${elsewhere[0]} (a manifest without it goes to the namespace of kubectl -n, here ${p.namespace})`,
    };
  }
}

/** The namespace names a selector pins with kubernetes.io/metadata.name (matchLabels, or In). */
function pinnedNames(s: Selector): string[] {
  const names = Object.hasOwn(s.matchLabels, NAMESPACE_NAME_LABEL) ? [s.matchLabels[NAMESPACE_NAME_LABEL]!] : [];
  for (const r of s.matchExpressions) if (r.key === NAMESPACE_NAME_LABEL && r.operator === 'In') names.push(...r.values);
  return names;
}

/**
 * Can the input tell that a namespaceSelector matching none of its namespaces matches nothing?
 * A namespace named by kubernetes.io/metadata.name that the input does not hold may exist
 * (kube-system): only a name one typo from a namespace of the input is judged. Other labels are
 * judged when the input declares its Namespace objects (their labels are known), or when the
 * selector's value is the name of a namespace of the input (the classic `name: x`).
 */
function namespaceMissJudged(ctx: LintContext, s: Selector, namespaces: ReadonlyMap<string, Namespace>): boolean {
  const unknown = pinnedNames(s).filter((n) => !namespaces.has(n));
  if (unknown.length > 0) return unknown.some((n) => closestKey(n, [...namespaces.keys()]) !== undefined);
  if (Object.values(s.matchLabels).some((v) => namespaces.has(v))) return true;
  return !ctx.source || [...namespaces.keys()].some((name) => ctx.source!({ kind: 'Namespace', name }) !== undefined);
}

const PEERS_FIELD: Readonly<Record<Direction, 'from' | 'to'>> = { ingress: 'from', egress: 'to' };

/** `peer-matches-nothing`: see the check's description. */
function* peerMatchesNothing(ctx: LintContext): Iterable<CheckFinding> {
  const namespaces = namespacesByName(ctx);
  const byNamespace = endpointLabels(ctx);
  const nsLabels = [...namespaces.values()].map((n) => n.labels);
  for (const p of ctx.cluster.policies) {
    for (const dir of ['ingress', 'egress'] as const) {
      if (!p.affects[dir]) continue; // ignored rules: policy-types-missing-direction says so
      const side = dir === 'ingress' ? 'from' : 'to';
      for (const [i, rule] of p[dir].entries()) {
        for (const [j, peer] of rule.peers.entries()) {
          if (peer.kind !== 'selector') continue;
          const at = ['spec', dir, i, PEERS_FIELD[dir], j] as const;
          let reach: readonly string[] = [p.namespace];
          if (peer.namespaceSelector) {
            const nsSelector = peer.namespaceSelector;
            const hint = selectorHint(nsSelector, nsLabels, 'namespace', namespaces);
            if (hint && namespaceMissJudged(ctx, nsSelector, namespaces)) {
              yield {
                object: policyRef(p),
                path: [...at, 'namespaceSelector', ...hint.path],
                message: `${side} peer ${j} of ${dir} rule ${i} matches no namespace, so the rule allows nothing through it: ${hint.why}`,
                fix: hint.fix,
              };
              continue;
            }
            if (hint) continue; // matches none of the namespaces the input shows, but others may exist
            reach = [...namespaces.values()].filter((n) => selectorMatches(nsSelector, n.labels)).map((n) => n.name);
          }
          if (!peer.podSelector) continue;
          // Only namespaces whose pods the input shows: elsewhere nothing can be told.
          const candidates = reach.flatMap((ns) => byNamespace.get(ns) ?? []);
          if (candidates.length === 0) continue;
          const hint = selectorHint(peer.podSelector, candidates, 'pod');
          if (!hint) continue;
          const where = peer.namespaceSelector ? `the ${reach.length} namespace(s) its namespaceSelector selects` : `namespace ${p.namespace}`;
          yield {
            object: policyRef(p),
            path: [...at, 'podSelector', ...hint.path],
            message: `${side} peer ${j} of ${dir} rule ${i} matches no pod or workload in ${where}, so the rule allows nothing through it: ${hint.why}`,
            fix: hint.fix,
          };
        }
      }
    }
  }
}

/** The selection checks, in report order. */
export const POLICY_SELECTION_CHECKS: readonly LintCheck[] = [
  {
    id: 'policy-selects-no-pods',
    severity: 'error',
    title: 'NetworkPolicy selects no pod',
    description:
      "The podSelector matches none of the pods and workloads the input holds in the policy's namespace, so the policy isolates nothing and its rules allow nothing: usually a label typo or a selector copied from another app. Only judged when the namespace has pods or workloads in the input; when it has none, the manifest gives no metadata.namespace and the selector matches pods of another namespace, a warning says so (such a manifest lands in the namespace of kubectl -n).",
    run: selectsNoPods,
  },
  {
    id: 'peer-matches-nothing',
    severity: 'warning',
    title: 'From/to peer matches no namespace or pod',
    description:
      'A namespaceSelector that matches no namespace of the input (including those objects only refer to), or a podSelector that matches no pod or workload in the namespaces it reaches, allows nothing: the traffic meant to pass is denied. The classic case is namespaceSelector matchLabels name: x, where namespace x carries only kubernetes.io/metadata.name: x. Since the input may not hold every namespace and pod: a namespace named by kubernetes.io/metadata.name that the input lacks (kube-system) is judged only when the name is one typo from a namespace of the input; other namespace labels only when the input declares Namespace objects or the value names one of its namespaces; pod selectors only in namespaces whose pods or workloads the input holds.',
    run: peerMatchesNothing,
  },
];
