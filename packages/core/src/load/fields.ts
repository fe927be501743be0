/**
 * Typed access to raw decoded objects. Every accessor reports a wrong type as a problem
 * (the API server would fail to decode it) and returns undefined, so validation goes on
 * and reports everything else too.
 */
import { truncate, type FieldProblem, type IssueCode, type PathSegments } from './issues.js';

export type Obj = Record<string, unknown>;

/**
 * A problem as `Problems.add` takes it. `value` is the value found, echoed in the message
 * (`<path>: <type>: <value>: <detail>`) when the key is present, even as `undefined`.
 */
export type NewProblem = Omit<FieldProblem, 'hasValue'>;

export class Problems {
  readonly list: FieldProblem[] = [];

  add(problem: NewProblem): void {
    this.list.push({ ...problem, hasValue: 'value' in problem });
  }
  invalid(code: IssueCode, check: string | undefined, path: PathSegments, value: unknown, detail: string): void {
    this.add({ severity: 'error', code, check, path, type: 'Invalid value', detail, value });
  }
  required(code: IssueCode, check: string | undefined, path: PathSegments, detail: string): void {
    this.add({ severity: 'error', code, check, path, type: 'Required value', detail });
  }
  forbidden(code: IssueCode, check: string | undefined, path: PathSegments, detail: string): void {
    this.add({ severity: 'error', code, check, path, type: 'Forbidden', detail });
  }
  unsupported(code: IssueCode, check: string | undefined, path: PathSegments, value: unknown, supported: readonly string[]): void {
    this.add({
      severity: 'error',
      code,
      check,
      path,
      type: 'Unsupported value',
      detail: `supported values: ${supported.map((s) => JSON.stringify(s)).join(', ')}`,
      value,
    });
  }
  warn(code: IssueCode, check: string | undefined, path: PathSegments, value: unknown, detail: string): void {
    this.add({ severity: 'warning', code, check, path, type: 'Invalid value', detail, value });
  }
  get hasErrors(): boolean {
    return this.list.some((p) => p.severity === 'error');
  }
}

const typeName = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'list' : typeof v === 'object' ? 'object' : typeof v);

function wrongType(pr: Problems, path: PathSegments, value: unknown, expected: string): undefined {
  pr.invalid('wrong-type', undefined, path, value, `must be ${expected}, not ${typeName(value)}`);
  return undefined;
}

/** `null` and absent are the same to the API server's decoder. */
export const isAbsent = (v: unknown): v is null | undefined => v === undefined || v === null;

export function getObject(pr: Problems, v: unknown, path: PathSegments): Obj | undefined {
  if (isAbsent(v)) return undefined;
  if (typeof v === 'object' && !Array.isArray(v)) return v as Obj;
  return wrongType(pr, path, v, 'an object');
}

export function getArray(pr: Problems, v: unknown, path: PathSegments): unknown[] | undefined {
  if (isAbsent(v)) return undefined;
  if (Array.isArray(v)) return v;
  return wrongType(pr, path, v, 'a list');
}

export function getString(pr: Problems, v: unknown, path: PathSegments): string | undefined {
  if (isAbsent(v)) return undefined;
  if (typeof v === 'string') return v;
  return wrongType(pr, path, v, 'a string');
}

export function getInteger(pr: Problems, v: unknown, path: PathSegments): number | undefined {
  if (isAbsent(v)) return undefined;
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  return wrongType(pr, path, v, 'an integer');
}

export function getBoolean(pr: Problems, v: unknown, path: PathSegments): boolean | undefined {
  if (isAbsent(v)) return undefined;
  if (typeof v === 'boolean') return v;
  return wrongType(pr, path, v, 'a boolean');
}

/** A map of string to string (labels, matchLabels). */
export function getStringMap(pr: Problems, v: unknown, path: PathSegments): Record<string, string> | undefined {
  const obj = getObject(pr, v, path);
  if (!obj) return undefined;
  // Null prototype: a key such as `__proto__` stays a key (and is then refused as a label key).
  const out = Object.create(null) as Record<string, string>;
  for (const [k, val] of Object.entries(obj)) {
    // `key:` with no value decodes to "" in Go; YAML's `enabled: true` is a boolean,
    // which the API server would refuse to decode.
    const s = val === null ? '' : getString(pr, val, [...path, k]);
    if (s !== undefined) out[k] = s;
  }
  return out;
}

/** Reports fields the API server's strict decoding would reject as unknown. */
export function checkKnownFields(pr: Problems, obj: Obj, path: PathSegments, known: readonly string[]): void {
  for (const key of Object.keys(obj)) {
    if (!known.includes(key)) {
      pr.add({ severity: 'error', code: 'unknown-field', path: [...path, key], detail: `unknown field "${truncate(key)}"` });
    }
  }
}
