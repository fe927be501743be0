import type { LabelMiss } from './flow.js';
import type { Labels, Selector, SelectorRequirement } from './types.js';

function requirementMatches(r: SelectorRequirement, labels: Labels): boolean {
  const has = Object.hasOwn(labels, r.key);
  switch (r.operator) {
    case 'In':
      return has && r.values.includes(labels[r.key]!);
    case 'NotIn':
      // NotIn also matches when the key is absent (metav1 semantics).
      return !has || !r.values.includes(labels[r.key]!);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
  }
}

/** All matchLabels and all expressions hold; a selector with no terms matches everything. */
export function selectorMatches(selector: Selector, labels: Labels): boolean {
  const want = selector.matchLabels;
  for (const key in want) {
    if (!Object.hasOwn(labels, key) || labels[key] !== want[key]) return false;
  }
  for (const r of selector.matchExpressions) if (!requirementMatches(r, labels)) return false;
  return true;
}

export const EMPTY_SELECTOR: Selector = { matchLabels: {}, matchExpressions: [] };

/** A selector without terms: it matches every label set (`{}`). */
export const isEmptySelector = (s: Selector): boolean => Object.keys(s.matchLabels).length === 0 && s.matchExpressions.length === 0;

/**
 * The first term of `selector` that `labels` fail (matchLabels in key order, then the
 * expressions), as explain reports it; undefined when the selector matches.
 */
export function selectorMiss(selector: Selector, labels: Labels): LabelMiss | undefined {
  return selectorMisses(selector, labels)[0];
}

/** Every term of `selector` that `labels` fail, in selectorMiss's order (what a suggestion must fix). */
export function selectorMisses(selector: Selector, labels: Labels): LabelMiss[] {
  const actual = (key: string): string | null => (Object.hasOwn(labels, key) ? labels[key]! : null);
  const want = selector.matchLabels;
  const out: LabelMiss[] = [];
  for (const key in want) {
    if (!Object.hasOwn(labels, key) || labels[key] !== want[key]) out.push({ key, operator: 'Equals', values: [want[key]!], actual: actual(key) });
  }
  for (const r of selector.matchExpressions) {
    if (!requirementMatches(r, labels)) out.push({ key: r.key, operator: r.operator, values: r.values, actual: actual(r.key) });
  }
  return out;
}
