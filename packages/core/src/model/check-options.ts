/**
 * Options objects checked at every public entry (better-sqlite3 and sharp do the same): a
 * misspelt key (`ipBlockMatchPods`) would otherwise be ignored and its option silently left at
 * its default, which for a semantics option changes verdicts. An unknown key or a value of the
 * wrong type is a TypeError naming the key (and the known key it probably meant). Ranges stay
 * with the code that uses a value (a RangeError there). A leaf: it imports nothing.
 */

/** What an option's value must be: a `typeof` name, one of some strings, or a test with its wording. */
export type OptionType =
  | 'boolean'
  | 'number'
  | 'string'
  | 'object'
  | readonly string[]
  | { readonly expected: string; readonly is: (value: unknown) => boolean };

/**
 * The type of every key of an options interface `T`: the compiler refuses a spec that misses
 * a key of `T` (or, written as an object literal, names one `T` does not have).
 */
export type OptionSpec<T> = { readonly [K in keyof Required<T>]-?: OptionType };

const MAX_SHOWN = 60;
/** Problems listed in one error; an object of thousands of wrong keys says how many more. */
const MAX_PROBLEMS = 10;
const cut = (s: string): string => (s.length > MAX_SHOWN ? `${s.slice(0, MAX_SHOWN)}...` : s);

/** A value as an error names it: scalars as written, anything else by its type. */
const shown = (v: unknown): string =>
  typeof v === 'string'
    ? JSON.stringify(cut(v))
    : typeof v === 'number' || typeof v === 'boolean'
      ? String(v)
      : v === null
        ? 'null'
        : Array.isArray(v)
          ? 'an array'
          : typeof v;

const expectedText = (t: OptionType): string =>
  typeof t === 'string'
    ? t === 'object'
      ? 'an object'
      : `a ${t}`
    : Array.isArray(t)
      ? `one of ${t.map((s) => JSON.stringify(s)).join(', ')}`
      : (t as { expected: string }).expected;

function matches(t: OptionType, v: unknown): boolean {
  if (typeof t === 'string') return t === 'object' ? typeof v === 'object' && v !== null && !Array.isArray(v) : typeof v === t;
  if (Array.isArray(t)) return typeof v === 'string' && t.includes(v);
  return (t as { is: (value: unknown) => boolean }).is(v);
}

/** Levenshtein distance, case folded (`readOnly` is one step from `readonly`). */
function distance(a: string, b: string): number {
  a = a.toLowerCase();
  b = b.toLowerCase();
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) next.push(Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)));
    row = next;
  }
  return row[b.length]!;
}

/** The known key within a few edits of `key` (a third of its length, at least 2), if any. */
export function closestKey(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const k of known) {
    const limit = Math.max(2, Math.floor(k.length / 3));
    if (Math.abs(key.length - k.length) > limit) continue; // at least that many edits: not worth computing
    const d = distance(key, k);
    if (d < bestDistance && d <= limit) [best, bestDistance] = [k, d];
  }
  return best;
}

/**
 * Throws a TypeError listing every unknown key and every known key whose value is not of its
 * type, each prefixed by `where` (the entry point, e.g. `CompiledDataplane options`).
 * `undefined` and an absent key are the same (the default applies), as `??` reads them.
 */
export function checkOptions<T>(where: string, options: T | undefined, spec: OptionSpec<T>): void {
  if (options === undefined) return;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) throw new TypeError(`${where} must be an object, not ${shown(options)}`);
  const types = spec as Readonly<Record<string, OptionType>>;
  const known = Object.keys(types);
  const problems: string[] = [];
  for (const [key, value] of Object.entries(options)) {
    const t = Object.hasOwn(types, key) ? types[key] : undefined;
    if (t === undefined) {
      const near = closestKey(key, known);
      problems.push(`unknown option ${JSON.stringify(cut(key))}${near ? ` (did you mean ${JSON.stringify(near)}?)` : ''}`);
    } else if (value !== undefined && !matches(t, value)) {
      problems.push(`option ${JSON.stringify(key)} must be ${expectedText(t)}, not ${shown(value)}`);
    }
  }
  if (problems.length > MAX_PROBLEMS) problems.splice(MAX_PROBLEMS, Infinity, `and ${problems.length - MAX_PROBLEMS} more`);
  if (problems.length > 0) throw new TypeError(`${where}: ${problems.join('; ')}`);
}

/**
 * The keys of `spec` that `options` sets: what an entry hands on to another entry that takes a
 * narrower options object (LiveDataplane's options to loadObjects, say).
 */
export function pickOptions<T>(options: object | undefined, spec: OptionSpec<T>): T {
  const out: Record<string, unknown> = {};
  if (options === undefined) return out as T;
  for (const key of Object.keys(spec)) if (Object.hasOwn(options, key)) out[key] = (options as Record<string, unknown>)[key];
  return out as T;
}
