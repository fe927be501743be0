/**
 * `cluster-subject-matches-nothing` and `cluster-peer-matches-nothing`: a cluster-scoped
 * subject, or a `namespaces`/`pods`/`nodes` peer, that selects none of the input's pods
 * (workloads' template pods included) or Nodes. Checked only when the input has some: a
 * policies-only input says nothing about what runs.
 */
import { subjectSelects } from '../../model/cluster-match.js';
import { selectorMatches } from '../../model/selector.js';
import type { ClusterPeer, ClusterSubject, Selector } from '../../model/types.js';
import type { CheckFinding, LintCheck, LintContext } from '../types.js';
import { clusterIndex, clusterRef, peersField, placedRules, rulePath, subjectPods } from './cluster-rules.js';

const NAME_LABEL = 'kubernetes.io/metadata.name';

/**
 * The classic mistake: a namespace selector on `name: x` (or another key) when namespace x
 * exists but carries only `kubernetes.io/metadata.name`. Returns the suggestion, if any.
 */
function namespaceHint(ctx: LintContext, selector: Selector): { readonly lacks: string; readonly fix: string } | undefined {
  for (const [key, value] of Object.entries(selector.matchLabels)) {
    if (key === NAME_LABEL) continue;
    const ns = ctx.cluster.namespaces.find((n) => n.name === value);
    if (ns && ns.labels[key] !== value) {
      return {
        lacks: `namespace ${value} has no label ${key}=${value}`,
        fix: `select the namespace by the label every namespace carries: matchLabels: {${NAME_LABEL}: ${value}}`,
      };
    }
  }
  return undefined;
}

/** Whether a namespaces/pods selection selects some endpoint. */
function selectsSomePod(ctx: LintContext, s: ClusterSubject): boolean {
  const index = clusterIndex(ctx);
  return ctx.endpoints.some((p) => subjectSelects(s, p, index.namespaceLabels(p.namespace)));
}

/** The check on subjects. */
export const clusterSubjectMatchesNothing: LintCheck = {
  id: 'cluster-subject-matches-nothing',
  severity: 'warning',
  title: 'A cluster-scoped policy whose subject selects no pod of the input',
  description:
    'The subject selects none of the pods (or workloads) in the input, so the policy applies to nothing. Often a namespace selector on ' +
    '`name: x` when namespaces carry only `kubernetes.io/metadata.name`. Checked only when the input has pods or workloads.',
  *run(ctx: LintContext): Iterable<CheckFinding> {
    if (ctx.endpoints.length === 0) return;
    for (const policy of ctx.cluster.clusterPolicies ?? []) {
      if (subjectPods(ctx, policy).length > 0) continue;
      const hint = namespaceHint(ctx, policy.subject.namespaceSelector);
      yield {
        object: clusterRef(policy),
        path: ['spec', 'subject', policy.subject.kind],
        message: `the subject selects none of the input's ${ctx.endpoints.length} pods and workloads: the policy applies to nothing${hint ? ` (${hint.lacks})` : ''}`,
        fix: hint ? hint.fix : 'fix the selector labels to those of the pods or namespaces meant, or delete the policy',
      };
    }
  },
};

/** Why `peer` matches nothing in the input, or undefined when it matches something or the input cannot tell. */
function emptyPeer(ctx: LintContext, peer: ClusterPeer): string | undefined {
  if (peer.kind === 'namespaces' || peer.kind === 'pods') {
    if (ctx.endpoints.length === 0 || selectsSomePod(ctx, peer)) return undefined;
    return `selects none of the input's ${ctx.endpoints.length} pods and workloads`;
  }
  if (peer.kind === 'nodes') {
    const { nodes } = ctx.cluster;
    if (nodes.length === 0 || nodes.some((n) => selectorMatches(peer.nodeSelector, n.labels ?? {}))) return undefined;
    return `selects none of the input's ${nodes.length} Nodes`;
  }
  return undefined;
}

/** The check on `namespaces`, `pods` and `nodes` peers. */
export const clusterPeerMatchesNothing: LintCheck = {
  id: 'cluster-peer-matches-nothing',
  severity: 'warning',
  title: 'A cluster-scoped peer that selects no pod or Node of the input',
  description:
    'A `namespaces` or `pods` peer selecting none of the pods (or workloads) of the input, or a `nodes` peer selecting none of its Nodes: ' +
    'the rule never matches through it. Often a namespace selector on `name: x` when namespaces carry only `kubernetes.io/metadata.name`. ' +
    'Checked only when the input has pods or workloads (Nodes for `nodes` peers).',
  *run(ctx: LintContext): Iterable<CheckFinding> {
    for (const { policy, direction, index, rule } of placedRules(ctx.cluster.clusterPolicies ?? [])) {
      for (const [j, peer] of rule.peers.entries()) {
        const why = emptyPeer(ctx, peer);
        if (!why) continue;
        const hint = peer.kind === 'namespaces' || peer.kind === 'pods' ? namespaceHint(ctx, peer.namespaceSelector) : undefined;
        yield {
          object: clusterRef(policy),
          path: [...rulePath(direction, index), peersField(direction), j, peer.kind],
          message: `this ${rule.action} rule's peer ${why}, so the rule never matches through it${hint ? ` (${hint.lacks})` : ''}`,
          fix: hint ? hint.fix : 'fix the selector labels to those of the pods, namespaces or Nodes meant, or remove the peer',
        };
      }
    }
  },
};
