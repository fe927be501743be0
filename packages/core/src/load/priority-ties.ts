/**
 * Same-priority ties between cluster-scoped policies. Upstream leaves the order of two
 * policies of one tier and priority that match the same connection to the implementation;
 * netpol picks one (model/cluster-match.ts) and says so in a warning whenever the pair
 * selects a common pod as subject, or for every such pair when no pods were loaded to check.
 */
import { clusterPolicyKey, type ClusterPolicy, type Labels, type Namespace, type Pod } from '../model/types.js';
import { compareClusterPolicies, subjectSelects } from '../model/cluster-match.js';
import type { Issue } from './issues.js';
import type { RawObject } from './read.js';

/** Pair warnings listed at most (n policies of one priority make n²/2 pairs); one more says the rest were left out. */
export const MAX_TIE_WARNINGS = 100;

export interface LoadedClusterPolicy {
  readonly policy: ClusterPolicy;
  readonly raw: RawObject;
}

const ORDER_RULE = 'ClusterNetworkPolicies before AdminNetworkPolicies, then by name';

function where(raw: RawObject): string {
  const line = raw.locate(['spec', 'priority']);
  return `${raw.file}${line === undefined ? '' : `:${line}`}`;
}

function commonPods(a: Uint32Array, b: Uint32Array): { count: number; first: number } {
  let count = 0;
  let first = -1;
  for (let w = 0; w < a.length; w++) {
    let both = a[w]! & b[w]!;
    if (both === 0) continue;
    if (first < 0) first = w * 32 + (31 - Math.clz32(both & -both));
    for (; both !== 0; both &= both - 1) count++;
  }
  return { count, first };
}

function tieIssue(a: LoadedClusterPolicy, b: LoadedClusterPolicy, overlap: string): Issue {
  const { tier, priority } = b.policy;
  return {
    code: 'priority-tie',
    severity: 'warning',
    file: b.raw.file,
    document: b.raw.document,
    line: b.raw.locate(['spec', 'priority']),
    object: `${b.policy.kind} ${b.policy.name}`,
    path: 'spec.priority',
    message: `spec.priority: ${clusterPolicyKey(a.policy)} (${where(a.raw)}) and ${clusterPolicyKey(b.policy)} are both ${tier}-tier policies of priority ${priority}; ${overlap}. Upstream leaves their order to the implementation: netpol evaluates ${clusterPolicyKey(a.policy)} first (${ORDER_RULE}); give them distinct priorities to make the order explicit`,
  };
}

/** The warnings, in evaluation order of the pairs; at most MAX_TIE_WARNINGS and one saying more were left out. */
export function priorityTies(loaded: readonly LoadedClusterPolicy[], pods: readonly Pod[], namespaces: readonly Namespace[]): Issue[] {
  const groups = new Map<string, LoadedClusterPolicy[]>();
  for (const l of loaded) {
    const key = `${l.policy.tier}/${l.policy.priority}`;
    const group = groups.get(key);
    if (group) group.push(l);
    else groups.set(key, [l]);
  }
  const nsLabels = new Map<string, Labels>(namespaces.map((n) => [n.name, n.labels]));
  const live = pods.filter((p) => !p.hostNetwork && p.phase !== 'Succeeded' && p.phase !== 'Failed');
  const issues: Issue[] = [];
  const sorted = [...groups.values()].filter((g) => g.length > 1).map((g) => g.sort((a, b) => compareClusterPolicies(a.policy, b.policy)));
  sorted.sort((a, b) => compareClusterPolicies(a[0]!.policy, b[0]!.policy));
  for (const group of sorted) {
    // One bit per live pod: a pair's common pods are an AND of two bitsets.
    const selected = group.map((l) => {
      const bits = new Uint32Array((live.length + 31) >>> 5);
      live.forEach((p, k) => {
        if (subjectSelects(l.policy.subject, p, nsLabels.get(p.namespace) ?? {})) bits[k >>> 5]! |= 1 << (k & 31);
      });
      return bits;
    });
    for (let i = 0; i < group.length; i++) {
      for (let j = i + 1; j < group.length; j++) {
        let overlap: string;
        if (pods.length > 0) {
          const common = commonPods(selected[i]!, selected[j]!);
          if (common.count === 0) continue;
          const first = live[common.first]!;
          overlap = `both select pod ${first.namespace}/${first.name}${common.count > 1 ? ` (and ${common.count - 1} more)` : ''}`;
        } else overlap = 'no pods were loaded, so whether they select a common pod could not be checked';
        if (issues.length === MAX_TIE_WARNINGS) {
          issues.push({
            code: 'priority-tie',
            severity: 'warning',
            path: 'spec.priority',
            message: `spec.priority: more cluster-scoped policies tie on tier and priority; only the first ${MAX_TIE_WARNINGS} pairs are listed`,
          });
          return issues;
        }
        issues.push(tieIssue(group[i]!, group[j]!, overlap));
      }
    }
  }
  return issues;
}
