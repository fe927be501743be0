/**
 * The label sets selectors are matched against, computed once per lint run (ctx.memo): the
 * distinct label sets of the endpoints per namespace (the pods of one workload share theirs, so
 * a namespace of thousands of pods has a few dozen), and the namespaces by name.
 */
import type { Labels, Namespace } from '../../model/types.js';
import type { LintContext } from '../types.js';

/** A stable key of a label set, to keep each distinct set once. */
const labelsKey = (labels: Labels): string => JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

/** The distinct label sets of ctx.endpoints, per namespace. */
export function endpointLabels(ctx: LintContext): ReadonlyMap<string, readonly Labels[]> {
  return ctx.memo('endpoint-labels', () => {
    const seen = new Map<string, Map<string, Labels>>();
    for (const p of ctx.endpoints) {
      let sets = seen.get(p.namespace);
      if (!sets) seen.set(p.namespace, (sets = new Map()));
      const key = labelsKey(p.labels);
      if (!sets.has(key)) sets.set(key, p.labels);
    }
    return new Map([...seen].map(([ns, sets]) => [ns, [...sets.values()]]));
  });
}

/** The cluster's namespaces (those of the input and the ones objects only refer to) by name. */
export function namespacesByName(ctx: LintContext): ReadonlyMap<string, Namespace> {
  return ctx.memo('namespaces-by-name', () => new Map(ctx.cluster.namespaces.map((n) => [n.name, n])));
}
