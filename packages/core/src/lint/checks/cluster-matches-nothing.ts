/**
 * `cluster-subject-matches-nothing` and `cluster-peer-matches-nothing`: a cluster-scoped
 * subject, or a `namespaces`/`pods`/`nodes` peer, that selects none of the input's pods
 * (workloads' template pods included) or Nodes. Checked only when the input has some: a
 * policies-only input says nothing about what runs. The hint (which term fails, what was
 * probably meant) is the NetworkPolicy checks' (selector-hint.ts).
 */
import type { PathSegments } from '../../load/issues.js';
import { selectorMatches } from '../../model/selector.js';
import type { ClusterPeer, ClusterSubject, Labels } from '../../model/types.js';
import type { CheckFinding, LintCheck, LintContext } from '../types.js';
import { clusterIndex, clusterRef, peersField, placedRules, rulePath, subjectPods } from './cluster-rules.js';
import { endpointLabels, namespacesByName } from './endpoint-labels.js';
import { selectorHint, type SelectorHint } from './selector-hint.js';

/**
 * Why a namespaces/pods selection selects no endpoint, as a hint at the failing selector
 * (`path` relative to the selection), or undefined when it selects one.
 */
function selectionMiss(ctx: LintContext, s: ClusterSubject): SelectorHint | undefined {
  const index = clusterIndex(ctx);
  const byNamespace = endpointLabels(ctx);
  const namespaces = [...byNamespace.keys()];
  const nsLabels = namespaces.map((ns) => index.namespaceLabels(ns));
  const nsPath: PathSegments = s.kind === 'pods' ? ['namespaceSelector'] : [];
  const nsHint = selectorHint(s.namespaceSelector, nsLabels, 'namespace', namespacesByName(ctx));
  if (nsHint) return { ...nsHint, path: [...nsPath, ...nsHint.path] };
  if (s.kind === 'namespaces') return undefined;
  const candidates: Labels[] = namespaces.filter((ns) => selectorMatches(s.namespaceSelector, index.namespaceLabels(ns))).flatMap((ns) => byNamespace.get(ns)!);
  const podHint = selectorHint(s.podSelector, candidates, 'pod');
  return podHint && { ...podHint, path: ['podSelector', ...podHint.path] };
}

/** The check on subjects. */
export const clusterSubjectMatchesNothing: LintCheck = {
  id: 'cluster-subject-matches-nothing',
  severity: 'warning',
  title: 'Cluster-scoped policy whose subject selects no pod',
  description:
    'The subject selects none of the pods (or workloads) in the input, so the policy applies to nothing. Often a namespace selector on ' +
    '`name: x` when namespaces carry only `kubernetes.io/metadata.name`. Checked only when the input has pods or workloads.',
  *run(ctx: LintContext): Iterable<CheckFinding> {
    if (ctx.endpoints.length === 0) return;
    for (const policy of ctx.cluster.clusterPolicies ?? []) {
      if (subjectPods(ctx, policy).length > 0) continue;
      const hint = selectionMiss(ctx, policy.subject);
      yield {
        object: clusterRef(policy),
        path: ['spec', 'subject', policy.subject.kind, ...(hint?.path ?? [])],
        message: `the subject selects none of the input's ${ctx.endpoints.length} pods and workloads, so the policy applies to nothing${hint ? `: ${hint.why}` : ''}`,
        fix: hint?.fix ?? 'select the pods or namespaces meant, or delete the policy',
      };
    }
  },
};

/** Why `peer` matches nothing in the input (a hint, or a plain reason for nodes), or undefined when it matches or the input cannot tell. */
function emptyPeer(ctx: LintContext, peer: ClusterPeer): (Partial<SelectorHint> & { readonly why: string }) | undefined {
  if (peer.kind === 'namespaces' || peer.kind === 'pods') {
    if (ctx.endpoints.length === 0) return undefined;
    const hint = selectionMiss(ctx, peer);
    return hint && { ...hint, why: `selects none of the input's ${ctx.endpoints.length} pods and workloads: ${hint.why}` };
  }
  if (peer.kind === 'nodes') {
    const { nodes } = ctx.cluster;
    if (nodes.length === 0 || nodes.some((n) => selectorMatches(peer.nodeSelector, n.labels ?? {}))) return undefined;
    return { why: `selects none of the input's ${nodes.length} Nodes` };
  }
  return undefined;
}

/** The check on `namespaces`, `pods` and `nodes` peers. */
export const clusterPeerMatchesNothing: LintCheck = {
  id: 'cluster-peer-matches-nothing',
  severity: 'warning',
  title: 'Cluster-scoped peer that selects no pod or Node',
  description:
    'A `namespaces` or `pods` peer selecting none of the pods (or workloads) of the input, or a `nodes` peer selecting none of its Nodes: ' +
    'the rule never matches through it. Often a namespace selector on `name: x` when namespaces carry only `kubernetes.io/metadata.name`. ' +
    'Checked only when the input has pods or workloads (Nodes for `nodes` peers).',
  *run(ctx: LintContext): Iterable<CheckFinding> {
    for (const { policy, direction, index, rule } of placedRules(ctx.cluster.clusterPolicies ?? [])) {
      for (const [j, peer] of rule.peers.entries()) {
        const miss = emptyPeer(ctx, peer);
        if (!miss) continue;
        yield {
          object: clusterRef(policy),
          path: [...rulePath(direction, index), peersField(direction), j, peer.kind, ...(miss.path ?? [])],
          message: `this ${rule.action} rule's peer ${miss.why}, so the rule never matches through it`,
          fix: miss.fix ?? 'select the Nodes meant by labels they carry, or remove the peer',
        };
      }
    }
  },
};
