/**
 * The OpenAPI checks a CustomResourceDefinition's schema makes (required, enum, minimum and
 * maximum, minItems and maxItems, maxLength, minProperties and maxProperties, list-type set),
 * worded as the API server words them, for the cluster-scoped policy kinds. Null values count
 * as absent: the API server prunes them from custom resources before validating.
 */
import { checkKnownFields, getArray, getInteger, getObject, getString, isAbsent, type Obj, type Problems } from './fields.js';
import type { IssueCode, PathSegments } from './issues.js';

/** `obj[key]` is required: reports it when absent (or null) and says whether it is there. */
export function requireField(pr: Problems, obj: Obj, key: string, path: PathSegments): boolean {
  if (!isAbsent(obj[key])) return true;
  pr.required('field-required', undefined, [...path, key], '');
  return false;
}

/** A list with minItems/maxItems; absent gives undefined (and `required` reports it). */
export function boundedList(
  pr: Problems,
  obj: Obj,
  key: string,
  path: PathSegments,
  bounds: { min?: number; max: number; required?: boolean },
): unknown[] | undefined {
  if (bounds.required && !requireField(pr, obj, key, path)) return undefined;
  const list = getArray(pr, obj[key], [...path, key]);
  if (!list) return undefined;
  const p = [...path, key];
  if (bounds.min !== undefined && list.length < bounds.min) pr.invalid('too-few-items', undefined, p, list.length, `should have at least ${bounds.min} items`);
  // The list is still read whole: every item's problems are reported too.
  if (list.length > bounds.max)
    pr.add({ severity: 'error', code: 'too-many-items', path: p, type: 'Too many', value: list.length, detail: `must have at most ${bounds.max} items` });
  return list;
}

/** An enum string field: the value when it is one of `values`. */
export function enumField<T extends string>(pr: Problems, obj: Obj, key: string, path: PathSegments, values: readonly T[], code: IssueCode): T | undefined {
  if (!requireField(pr, obj, key, path)) return undefined;
  const v = getString(pr, obj[key], [...path, key]);
  if (v === undefined) return undefined;
  if ((values as readonly string[]).includes(v)) return v as T;
  pr.unsupported(code, undefined, [...path, key], v, values);
  return undefined;
}

/** An integer with minimum and maximum. */
export function boundedInteger(pr: Problems, v: unknown, path: PathSegments, min: number, max: number, code: IssueCode): number | undefined {
  const n = getInteger(pr, v, path);
  if (n === undefined) return undefined;
  if (n < min) pr.invalid(code, undefined, path, n, `should be greater than or equal to ${min}`);
  else if (n > max) pr.invalid(code, undefined, path, n, `should be less than or equal to ${max}`);
  else return n;
  return undefined;
}

/**
 * maxLength counts characters (code points), as the schema validator does; false when `s` is
 * longer. Counted without copying and only up to `max` + 1: a hostile 60 MB value costs a scan.
 */
export function maxLength(pr: Problems, s: string, path: PathSegments, max: number): boolean {
  let n = 0;
  for (let i = 0; i < s.length && n <= max; i++) {
    const unit = s.charCodeAt(i);
    if (unit < 0xdc00 || unit > 0xdfff) n++; // a low surrogate ends a code point already counted
  }
  if (n <= max) return true;
  pr.add({ severity: 'error', code: 'too-long', path, type: 'Too long', value: s, detail: `may not be more than ${max} characters` });
  return false;
}

/**
 * minProperties = maxProperties = 1 over `fields` (the unknown ones are reported apart, and
 * pruned before this check): the one field set, or undefined.
 */
export function exactlyOne(pr: Problems, obj: Obj, path: PathSegments, fields: readonly string[]): string | undefined {
  const set = fields.filter((f) => !isAbsent(obj[f]));
  const which = `set exactly one of ${fields.join(', ')}`;
  if (set.length === 0) pr.invalid('one-of-required', undefined, path, 0, `should have at least 1 properties: ${which}`);
  else if (set.length > 1) pr.invalid('one-of-conflict', undefined, path, set.length, `should have at most 1 properties (${set.join(', ')} are set): ${which}`);
  return set.length === 1 ? set[0] : undefined;
}

/**
 * An object of which exactly one of `fields` is set (MinProperties = MaxProperties = 1, other
 * fields unknown): `each` reads every field that is set, so that a second one's problems are
 * listed too, and the value read from the one set is returned.
 */
export function oneOf<F extends string, T>(
  pr: Problems,
  raw: unknown,
  path: PathSegments,
  fields: readonly F[],
  each: (field: F, obj: Obj, path: PathSegments) => T | undefined,
): T | undefined {
  const obj = getObject(pr, raw, path) ?? {};
  checkKnownFields(pr, obj, path, fields);
  const which = exactlyOne(pr, obj, path, fields);
  let out: T | undefined;
  for (const field of fields) {
    if (isAbsent(obj[field])) continue;
    const value = each(field, obj, [...path, field]);
    if (field === which) out = value;
  }
  return out;
}

/** `x-kubernetes-list-type: set`: an item written twice is a Duplicate value. */
export function uniqueItems(pr: Problems, items: readonly string[], path: PathSegments): void {
  const seen = new Set<string>();
  items.forEach((item, i) => {
    if (seen.has(item))
      pr.add({
        severity: 'error',
        code: 'duplicate-entry',
        path: [...path, i],
        type: 'Duplicate value',
        value: item,
        detail: 'the list is a set: each value at most once',
      });
    seen.add(item);
  });
}
