/**
 * Why a selector matches nothing, and what was probably meant: the first term no candidate
 * satisfies, with the closest existing label (a key or value one typo away), and for namespace
 * selectors the classic mistake: `name: x` when namespace x carries only
 * `kubernetes.io/metadata.name: x` (the one label the API server sets on every namespace).
 */
import type { PathSegments } from '../../load/issues.js';
import { NAMESPACE_NAME_LABEL } from '../../load/workloads.js';
import { closestKey } from '../../model/check-options.js';
import { selectorMatches } from '../../model/selector.js';
import type { Labels, Namespace, Selector, SelectorRequirement } from '../../model/types.js';

/** A selector's miss: the term at `path` (relative to the selector), why, and the fix. */
export interface SelectorHint {
  readonly path: PathSegments;
  readonly why: string;
  readonly fix: string;
}

/** How many values or keys a message lists before `...`. */
const LISTED = 5;

const listed = (items: readonly string[]): string => items.slice(0, LISTED).join(', ') + (items.length > LISTED ? `, ... (${items.length} in all)` : '');

const distinct = (items: Iterable<string>): string[] => [...new Set(items)].sort();

const satisfies = (r: SelectorRequirement, labels: Labels): boolean => selectorMatches({ matchLabels: {}, matchExpressions: [r] }, labels);

/** The hint for one label `key: value` no candidate carries. */
function labelHint(
  what: string,
  key: string,
  value: string,
  candidates: readonly Labels[],
  namespaces: ReadonlyMap<string, Namespace> | undefined,
): Omit<SelectorHint, 'path'> {
  const named = namespaces?.get(value);
  if (named && key !== NAMESPACE_NAME_LABEL) {
    const labels = Object.entries(named.labels).map(([k, v]) => `${k}=${v}`);
    return {
      why: `namespace ${value} exists but has no label ${key}=${value} (its labels: ${listed(labels)})`,
      fix: `select it by the label every namespace carries: matchLabels: {${NAMESPACE_NAME_LABEL}: ${value}} (or label it: kubectl label namespace ${value} ${key}=${value})`,
    };
  }
  const values = distinct(candidates.flatMap((l) => (Object.hasOwn(l, key) ? [l[key]!] : [])));
  if (values.length > 0) {
    const near = closestKey(value, values);
    return near
      ? { why: `no ${what} has ${key}=${value}; ${what}s carry ${key}=${near}`, fix: `did you mean ${key}: ${near}?` }
      : {
          why: `no ${what} has ${key}=${value} (values of ${key}: ${listed(values)})`,
          fix: `use one of the values ${what}s carry, or label the ${what}s meant ${key}=${value}`,
        };
  }
  const near = closestKey(key, distinct(candidates.flatMap((l) => Object.keys(l))));
  return near
    ? { why: `no ${what} has a label ${key}; ${what}s carry ${near}`, fix: `did you mean ${near}: ${value}?` }
    : { why: `no ${what} has a label ${key}`, fix: `label the ${what}s meant ${key}=${value}, or select them by a label they carry` };
}

/**
 * Why `selector` matches none of `candidates` (the label sets of the pods or namespaces in
 * reach); `namespaces` is given for a namespace selector, to recognise `name: x`. Undefined when
 * the selector does match one.
 */
export function selectorHint(
  selector: Selector,
  candidates: readonly Labels[],
  what: 'pod' | 'namespace',
  namespaces?: ReadonlyMap<string, Namespace>,
): SelectorHint | undefined {
  if (candidates.some((l) => selectorMatches(selector, l))) return undefined;
  for (const [key, value] of Object.entries(selector.matchLabels)) {
    if (candidates.some((l) => l[key] === value && Object.hasOwn(l, key))) continue;
    return { path: ['matchLabels', key], ...labelHint(what, key, value, candidates, namespaces) };
  }
  for (const [i, r] of selector.matchExpressions.entries()) {
    if (candidates.some((l) => satisfies(r, l))) continue;
    if (r.operator === 'In' && r.values.length === 1) return { path: ['matchExpressions', i], ...labelHint(what, r.key, r.values[0]!, candidates, namespaces) };
    const values = distinct(candidates.flatMap((l) => (Object.hasOwn(l, r.key) ? [l[r.key]!] : [])));
    const have = values.length > 0 ? `values of ${r.key}: ${listed(values)}` : `none has a label ${r.key}`;
    return {
      path: ['matchExpressions', i],
      why: `no ${what} satisfies ${r.key} ${r.operator}${r.values.length > 0 ? ` (${listed(r.values)})` : ''} (${have})`,
      fix: `fix the expression to match the ${what}s meant, or label them`,
    };
  }
  const terms = [...Object.entries(selector.matchLabels).map(([k, v]) => `${k}=${v}`), ...selector.matchExpressions.map((r) => `${r.key} ${r.operator}`)];
  return {
    path: [],
    why: `each term matches some ${what} but no single ${what} satisfies all of ${listed(terms)} together`,
    fix: `the terms of one selector must all hold for one ${what}: drop a term, or use separate peers for either-or`,
  };
}
