/** The LintContext one lint run hands every check: the cluster, its endpoints, a shared memo, the objects as written. */
import { isTerminal } from '../model/cluster-index.js';
import { templatePods } from '../model/endpoints.js';
import type { Cluster, Pod } from '../model/types.js';
import type { LintContext, LintObjectRef } from './types.js';

/**
 * The pods policies apply to: pod-network pods that are not Succeeded or Failed, and the
 * template pod of every workload none of whose pods is in the input (hostNetwork ones left out:
 * their traffic is the node's, and no policy selects them).
 */
export function lintEndpoints(cluster: Cluster): Pod[] {
  return [...cluster.pods, ...templatePods(cluster)].filter((p) => !p.hostNetwork && !isTerminal(p));
}

/** A context for one run: `memo` computes each key once; `source` reads objects as written. */
export function lintContext(cluster: Cluster, source?: (ref: LintObjectRef) => Readonly<Record<string, unknown>> | undefined): LintContext {
  const memos = new Map<string, unknown>();
  const endpoints = lintEndpoints(cluster);
  return {
    cluster,
    endpoints,
    memo<T>(key: string, compute: () => T): T {
      if (memos.has(key)) return memos.get(key) as T;
      const v = compute();
      memos.set(key, v);
      return v;
    },
    ...(source && { source }),
  };
}
