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
