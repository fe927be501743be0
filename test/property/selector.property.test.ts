// selectorMatches against an independent reading of §1.7, on a tiny alphabet so that keys
// and values collide often. `constructor` is a legal label key and catches `in`-style lookups.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { selectorMatches, type Labels, type Selector, type SelectorRequirement } from '@netpol/core';

const KEYS = ['app', 'tier', 'constructor'] as const;
const VALUES = ['x', 'y', ''] as const;

const key = fc.constantFrom(...KEYS);
const value = fc.constantFrom(...VALUES);
const labels: fc.Arbitrary<Labels> = fc.record({ app: value, tier: value, constructor: value }, { requiredKeys: [] });
const requirement: fc.Arbitrary<SelectorRequirement> = fc.oneof(
  fc.record({ key, operator: fc.constantFrom('In' as const, 'NotIn' as const), values: fc.uniqueArray(value, { minLength: 1, maxLength: 3 }) }),
  fc.record({ key, operator: fc.constantFrom('Exists' as const, 'DoesNotExist' as const), values: fc.constant([] as string[]) }),
);
const selector: fc.Arbitrary<Selector> = fc.record({ matchLabels: labels, matchExpressions: fc.array(requirement, { maxLength: 3 }) });

/** §1.7 written out independently: a label set is a list of pairs, nothing else. */
function oracle(sel: Selector, set: Labels): boolean {
  const pairs = Object.keys(set).map((k) => [k, set[k]] as const);
  const lookup = (k: string): string | undefined => pairs.find(([pk]) => pk === k)?.[1];
  for (const k of Object.keys(sel.matchLabels)) {
    if (lookup(k) !== sel.matchLabels[k]) return false;
  }
  for (const r of sel.matchExpressions) {
    const v = lookup(r.key);
    const present = v !== undefined;
    const listed = present && r.values.some((w) => w === v);
    const ok = r.operator === 'In' ? listed : r.operator === 'NotIn' ? !listed : r.operator === 'Exists' ? present : !present;
    if (!ok) return false;
  }
  return true;
}

const sel = (matchLabels: Labels = {}, matchExpressions: SelectorRequirement[] = []): Selector => ({ matchLabels, matchExpressions });

describe('selectorMatches', () => {
  test('agrees with the independent implementation', () => {
    fc.assert(
      fc.property(selector, labels, (s, l) => {
        expect(selectorMatches(s, l)).toBe(oracle(s, l));
      }),
    );
  });

  test('the oracle is not trivial on this alphabet (both outcomes occur)', () => {
    const outcomes = new Set<boolean>();
    // A fixed seed: this checks the generator, and must not depend on the run's luck.
    fc.assert(
      fc.property(selector, labels, (s, l) => {
        outcomes.add(oracle(s, l));
      }),
      { seed: 20261123, numRuns: 300 },
    );
    expect(outcomes).toEqual(new Set([true, false]));
  });

  test('{} matches every label set', () => {
    fc.assert(
      fc.property(labels, (l) => {
        expect(selectorMatches(sel(), l)).toBe(true);
      }),
    );
  });

  test('terms are ANDed: adding a term never widens a selector', () => {
    fc.assert(
      fc.property(selector, requirement, labels, (s, r, l) => {
        const narrower = sel(s.matchLabels, [...s.matchExpressions, r]);
        expect(selectorMatches(narrower, l)).toBe(selectorMatches(s, l) && selectorMatches(sel({}, [r]), l));
      }),
    );
  });

  test('operator dualities: NotIn = not In, DoesNotExist = not Exists, matchLabels k=v = In [v]', () => {
    fc.assert(
      fc.property(key, fc.uniqueArray(value, { minLength: 1, maxLength: 3 }), value, labels, (k, vs, v, l) => {
        const m = (r: SelectorRequirement) => selectorMatches(sel({}, [r]), l);
        expect(m({ key: k, operator: 'NotIn', values: vs })).toBe(!m({ key: k, operator: 'In', values: vs }));
        expect(m({ key: k, operator: 'DoesNotExist', values: [] })).toBe(!m({ key: k, operator: 'Exists', values: [] }));
        expect(selectorMatches(sel({ [k]: v }), l)).toBe(m({ key: k, operator: 'In', values: [v] }));
      }),
    );
  });

  test('NotIn matches a label set without the key; In and Exists do not', () => {
    fc.assert(
      fc.property(key, fc.uniqueArray(value, { minLength: 1, maxLength: 3 }), labels, (k, vs, l) => {
        const without = Object.fromEntries(Object.entries(l).filter(([lk]) => lk !== k));
        expect(selectorMatches(sel({}, [{ key: k, operator: 'NotIn', values: vs }]), without)).toBe(true);
        expect(selectorMatches(sel({}, [{ key: k, operator: 'In', values: vs }]), without)).toBe(false);
        expect(selectorMatches(sel({}, [{ key: k, operator: 'Exists', values: [] }]), without)).toBe(false);
        expect(selectorMatches(sel({}, [{ key: k, operator: 'DoesNotExist', values: [] }]), without)).toBe(true);
      }),
    );
  });

  test('an empty label value is a present key', () => {
    expect(selectorMatches(sel({}, [{ key: 'app', operator: 'Exists', values: [] }]), { app: '' })).toBe(true);
    expect(selectorMatches(sel({ app: '' }), {})).toBe(false);
    expect(selectorMatches(sel({ app: '' }), { app: '' })).toBe(true);
    expect(selectorMatches(sel({}, [{ key: 'constructor', operator: 'DoesNotExist', values: [] }]), {})).toBe(true);
    expect(selectorMatches(sel({}, [{ key: 'constructor', operator: 'NotIn', values: ['x'] }]), {})).toBe(true);
  });
});
