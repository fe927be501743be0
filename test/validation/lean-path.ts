/**
 * What the lean-path tests (fast-path.test.ts, fast-policy.test.ts) share: the full loader's
 * verdict on one object, the check that the lean path agrees with it, and builders of variants.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { LiveDataplane, loadObjects, readFiles, type Issue, type RawObject } from '@netpol/core';

/** LiveDataplane's defaults, as the lean paths take them. */
export const OPTIONS = { defaultNamespace: 'default', maxInputBytes: 64 << 20 };

const raw = (value: unknown): RawObject => ({ file: '<update>', document: 0, value: value as Record<string, unknown>, locate: () => undefined });

/** What loading says of the object alone, as LiveDataplane.apply reports it (no implicit namespace warning), and its model. */
export function loaded(value: unknown): { issues: Issue[]; model: unknown } {
  const r = loadObjects([raw(value)]);
  const c = r.cluster;
  const kind = (value as { kind?: unknown } | null)?.kind;
  const model = c && (kind === 'Namespace' ? c.namespaces[0] : kind === 'Node' ? c.nodes[0] : kind === 'NetworkPolicy' ? c.policies[0] : c.pods[0]);
  return { issues: r.issues.filter((i) => i.code !== 'namespace-not-found'), model };
}

/**
 * The lean path's promise, as a check of one object: `lean` takes only what loading takes with
 * no issue, with the same model (`same` may compare more), and LiveDataplane.apply reports what
 * loading reports (the lean path or not; earlier applies change nothing of that). The check
 * returns whether `lean` took the object.
 */
export function leanCheck<M extends { model: unknown }>(
  lean: (value: unknown) => M | undefined,
  same?: (fast: M, full: unknown) => void,
): (value: unknown) => boolean {
  const live = new LiveDataplane([]);
  return (value) => {
    const fast = lean(value);
    const full = loaded(value);
    if (fast) {
      expect(full.issues).toEqual([]);
      expect(fast.model).toStrictEqual(full.model);
      same?.(fast, full.model);
    }
    const r = live.apply([{ op: 'apply', object: value }]);
    const skipped = (i: Issue): boolean => i.code === 'skipped-kind' && i.message.includes('not followed by live updates');
    expect(r.issues.filter((i) => !skipped(i))).toEqual(full.issues);
    return fast !== undefined;
  };
}

/** The YAML and JSON files below `dir`. */
function manifests(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return manifests(path);
    return /\.(ya?ml|json)$/.test(name) ? [path] : [];
  });
}

/** Every object of the test fixtures and the examples. */
export const fixtureObjects = (): Record<string, unknown>[] => readFiles([...manifests('test/fixtures'), ...manifests('examples')]).objects.map((o) => o.value);

/** Names and label parts: valid, refused for case, dots, a leading dash, length (63 and 253 are the limits), or a key that is no key. */
export const NAMES: readonly string[] = ['web', 'Web', 'a.b', '-x', 'x'.repeat(64), 'x'.repeat(254), '__proto__'];

/** Values that are no JSON values: the lean paths must leave an object holding one to loading, which refuses it. */
export const NOT_JSON: readonly unknown[] = [new Date(0), new Map(), () => 1, 10n];

/** A copy of plain objects and arrays (other values shared: a Map or a function stays what it is). */
export const clone = (v: unknown): unknown =>
  Array.isArray(v)
    ? v.map(clone)
    : typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype
      ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, clone(x)]))
      : v;

/** A field path, from the object's root. */
export type Path = readonly (string | number)[];

/** The fields every object has that the loader reads, for the tables of fields to vary. */
export const META_FIELDS: readonly Path[] = [
  ['apiVersion'],
  ['kind'],
  ['metadata'],
  ['metadata', 'name'],
  ['metadata', 'generateName'],
  ['metadata', 'namespace'],
  ['metadata', 'labels'],
  ['metadata', 'labels', 'app'],
  ['metadata', 'labels', 'example.com/x'],
];

/** A copy of `o` with the value at `path` replaced (undefined: the key removed), made on the way if missing. */
export function variant(path: Path, value: unknown, o: unknown): Record<string, unknown> {
  const copy = clone(o) as Record<string, unknown>;
  let at: Record<string | number, unknown> = copy;
  for (let i = 0; i < path.length - 1; i++) {
    const k = path[i]!;
    if (typeof at[k] !== 'object' || at[k] === null) at[k] = typeof path[i + 1] === 'number' ? [] : {};
    at = at[k] as Record<string | number, unknown>;
  }
  const last = path[path.length - 1]!;
  if (value === undefined) delete at[last];
  else at[last] = value;
  return copy;
}
