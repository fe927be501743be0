/**
 * Objects handed to loadObjects or LiveDataplane.apply directly (JSON.parse'd from a watch,
 * built by a program) → a copy that holds only JSON values, in null-prototype objects. The
 * API server only ever sees JSON, so anything else is refused with its field path instead of
 * being read as an empty object: class instances (Map, Set, Date, Buffer...), functions,
 * undefined, symbols, bigints, non-finite numbers, cycles, sparse arrays. The copy is what gets
 * validated and kept, so getters run once and a caller's later mutation changes nothing.
 */
import type { FieldProblem } from './issues.js';
import { MAX_DEPTH } from './limits.js';

export interface PlainLimits {
  readonly maxDepth?: number;
  /** Refuse values whose JSON text would be longer than this (shared references count each time). */
  readonly maxBytes?: number;
}

class Abort extends Error {}

function kindOf(v: unknown): string {
  if (typeof v !== 'object' || v === null) return typeof v;
  const name = (Object.getPrototypeOf(v) as { constructor?: { name?: string } } | null)?.constructor?.name;
  return name ? `a ${name}` : 'an object of another kind';
}

/** Copies a JSON value into null-prototype objects; `value` is undefined when anything was refused. */
export function toPlainJSON(input: unknown, limits: PlainLimits = {}): { value: unknown; problems: FieldProblem[] } {
  const maxDepth = limits.maxDepth ?? MAX_DEPTH;
  const maxBytes = limits.maxBytes ?? Infinity;
  const problems: FieldProblem[] = [];
  const ancestors = new Set<object>();
  let bytes = 0;
  // The path of the value being copied, one stack for the whole walk: a problem takes a copy
  // of it (an array per field visited was a fifth of a policy's validation in LiveDataplane.apply).
  const path: (string | number)[] = [];
  const refuse = (detail: string): undefined => {
    problems.push({ severity: 'error', code: 'not-json', path: [...path], detail, hasValue: false });
    return undefined;
  };
  const fatal = (detail: string): never => {
    refuse(detail);
    throw new Abort();
  };
  const copy = (v: unknown, depth: number): unknown => {
    bytes += 2;
    if (typeof v === 'string') bytes += v.length;
    if (bytes > maxBytes) fatal(`the object is larger than ${maxBytes} bytes as JSON (the input size limit)`);
    if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
    if (typeof v === 'number') return Number.isFinite(v) ? v : refuse(`${v} is not a JSON number`);
    if (typeof v !== 'object') return refuse(`must be a JSON value, not ${kindOf(v)}`);
    if (depth >= maxDepth) fatal(`nested deeper than ${maxDepth} levels`);
    if (ancestors.has(v)) fatal('refers to itself (a cycle)');
    ancestors.add(v);
    try {
      if (Array.isArray(v)) {
        const out: unknown[] = [];
        for (let i = 0; i < v.length; i++) {
          path.push(i);
          if (!(i in v)) refuse('a hole in a sparse array is not a JSON value');
          out.push(copy(v[i], depth + 1));
          path.pop();
        }
        return out;
      }
      const proto: unknown = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) return refuse(`must be a plain object, not ${kindOf(v)}`);
      const out = Object.create(null) as Record<string, unknown>;
      for (const k of Object.keys(v)) {
        bytes += k.length + 3;
        path.push(k);
        out[k] = copy((v as Record<string, unknown>)[k], depth + 1);
        path.pop();
      }
      return out;
    } finally {
      ancestors.delete(v);
    }
  };
  try {
    const value = copy(input, 0);
    return { value: problems.length === 0 ? value : undefined, problems };
  } catch (e) {
    if (e instanceof Abort) return { value: undefined, problems };
    throw e;
  }
}
