/**
 * A parsed YAML document → the JSON value kubectl would send to the API server, or
 * problems. kubectl converts YAML to JSON (sigs.k8s.io/yaml over go-yaml v2) and the API
 * server decodes JSON, so:
 * - plain scalars resolve by go-yaml v2's rules (scalar.ts); where a YAML 1.2 reader would
 *   see another value (`0443`, `yes`) the loader says so in a warning;
 * - tags that do not decode to a JSON value (`!!omap`, `!!set`, `!!timestamp`, `!!binary`,
 *   custom tags) and non-finite or unsafe numbers are errors, never a Map, Set, Date or bytes
 *   that a field reader would take for an empty object;
 * - mappings become null-prototype objects, so that no key (`__proto__` included) is lost;
 * - `<<` merges as go-yaml v2 merges; a merge that would override a key written before it
 *   is refused, because go-yaml and YAML 1.2 tools disagree on which one wins;
 * - aliases are expanded against two budgets: go-yaml v2's own ratio rule (what kubectl
 *   refuses as "excessive aliasing") and a size budget proportional to the input.
 */
import { isAlias, isMap, isScalar, isSeq, type Document, type Node } from 'yaml';
import type { FieldProblem, IssueCode, PathSegments } from './issues.js';
import { ALIAS_BUDGET_FLOOR } from './limits.js';
import { core12, resolvePlain, sameJSON, type Resolved } from './scalar.js';

/** A problem with the source offset of the node it is about. */
export interface DecodeProblem extends FieldProblem {
  readonly offset: number | undefined;
}

export interface DecodeLimits {
  /** Deepest nesting of mappings and sequences. */
  readonly maxDepth: number;
  /** Characters (plus one per node) that aliases may add to a document. */
  readonly aliasBudget: number;
}

const TAG = 'tag:yaml.org,2002:';
const SCALAR_TAGS: Readonly<Record<string, Resolved['kind']>> = {
  [`${TAG}int`]: 'int',
  [`${TAG}float`]: 'float',
  [`${TAG}bool`]: 'bool',
  [`${TAG}null`]: 'null',
};

class Abort extends Error {}

const shortTag = (tag: string): string => (tag.startsWith(TAG) ? `!!${tag.slice(TAG.length)}` : tag);
const offsetOf = (node: unknown): number | undefined => (node as { range?: [number, number, number] } | null)?.range?.[0];

/** go-yaml v2's allowedAliasRatio: 99% of the nodes may come from aliases up to 400k decoded nodes, 10% from 4M on. */
function allowedAliasRatio(decoded: number): number {
  if (decoded <= 400_000) return 0.99;
  if (decoded >= 4_000_000) return 0.1;
  return 0.99 - 0.89 * ((decoded - 400_000) / 3_600_000);
}

class Decoder {
  readonly problems: DecodeProblem[] = [];
  private decoded = 0;
  private aliased = 0;
  private aliasUnits = 0;
  private aliasDepth = 0;

  constructor(
    private readonly doc: Document,
    private readonly limits: DecodeLimits,
  ) {}

  private problem(severity: 'error' | 'warning', code: IssueCode, node: unknown, path: PathSegments, detail: string): void {
    this.problems.push({ severity, code, path, detail, hasValue: false, offset: offsetOf(node) });
  }

  private fatal(code: IssueCode, node: unknown, path: PathSegments, detail: string): never {
    this.problem('error', code, node, path, detail);
    throw new Abort();
  }

  /** Counts a node as go-yaml's decoder does and stops at either alias budget. */
  private count(node: unknown, path: PathSegments, units: number): void {
    this.decoded++;
    if (this.aliasDepth === 0) return;
    this.aliased++;
    this.aliasUnits += units;
    if (this.aliased > 100 && this.decoded > 1000 && this.aliased / this.decoded > allowedAliasRatio(this.decoded)) {
      this.fatal(
        'yaml-alias-bomb',
        node,
        path,
        `document contains excessive aliasing: ${this.aliased} of ${this.decoded} nodes come from aliases (kubectl's YAML decoder refuses it too)`,
      );
    }
    if (this.aliasUnits > this.limits.aliasBudget) {
      this.fatal(
        'yaml-alias-bomb',
        node,
        path,
        `aliases expand the document beyond ${this.limits.aliasBudget} characters (the budget is the document's size, at least ${ALIAS_BUDGET_FLOOR}); refused as a resource exhaustion attack`,
      );
    }
  }

  decode(node: unknown, path: PathSegments, depth: number): unknown {
    if (node === null || node === undefined) {
      this.count(node, path, 1);
      return null; // `key:` with no value
    }
    if (depth > this.limits.maxDepth) this.fatal('too-deep', node, path, `nested deeper than ${this.limits.maxDepth} levels`);
    if (isAlias(node)) {
      this.count(node, path, 1);
      const target = node.resolve(this.doc);
      if (!target) this.fatal('yaml-syntax', node, path, `unknown alias *${node.source}`);
      this.aliasDepth++;
      try {
        return this.decode(target, path, depth + 1);
      } finally {
        this.aliasDepth--;
      }
    }
    if (isScalar(node)) return this.scalar(node, path);
    const tag = (node as { tag?: string }).tag;
    if (isMap(node)) {
      this.count(node, path, 1);
      if (tag !== undefined && tag !== `${TAG}map`) return this.badTag(node, path, tag);
      return this.mapping(node, path, depth);
    }
    if (isSeq(node)) {
      this.count(node, path, 1);
      if (tag !== undefined && tag !== `${TAG}seq`) return this.badTag(node, path, tag);
      return node.items.map((item, i) => this.decode(item, [...path, i], depth + 1));
    }
    return this.fatal('yaml-syntax', node, path, 'unsupported YAML node');
  }

  private badTag(node: unknown, path: PathSegments, tag: string): null {
    this.problem(
      'error',
      'yaml-tag',
      node,
      path,
      `tag ${shortTag(tag)} does not decode to a JSON value (object, list, string, number, boolean or null); the API server would refuse it`,
    );
    return null;
  }

  private scalar(node: Node & { value: unknown; type?: string; source?: string; tag?: string }, path: PathSegments): unknown {
    const text = typeof node.source === 'string' ? node.source : String(node.value);
    this.count(node, path, 1 + text.length);
    const tag = node.tag;
    const plain = node.type === 'PLAIN';
    if (tag === `${TAG}str` || (tag === undefined && !plain)) return text;
    let r: Resolved;
    if (tag === undefined) {
      r = resolvePlain(text);
      const other = core12(text);
      if (!sameJSON(r, other)) {
        const fix = r.kind === 'str' || other.kind === 'str' || r.kind === 'bool' ? 'quote it if you mean the string' : 'write the number in plain decimal';
        this.problem(
          'warning',
          'yaml-1.1-value',
          node,
          path,
          `${text} is read as ${describe(r)}, as kubectl reads YAML (1.1); a YAML 1.2 reader sees ${describe(other)}: ${fix}`,
        );
      }
    } else {
      const want = SCALAR_TAGS[tag];
      if (want === undefined) return this.badTag(node, path, tag);
      r = resolvePlain(text);
      // go-yaml accepts an integer as a !!float and refuses every other mismatch.
      if (r.kind !== want && !(want === 'float' && r.kind === 'int')) {
        this.problem('error', 'yaml-tag', node, path, `cannot decode ${JSON.stringify(text)} as a ${shortTag(tag)}`);
        return null;
      }
    }
    switch (r.kind) {
      case 'int':
        if (r.value > BigInt(Number.MAX_SAFE_INTEGER) || r.value < BigInt(Number.MIN_SAFE_INTEGER)) {
          this.problem('error', 'number-out-of-range', node, path, `${text} is outside the integers netpol represents exactly (±2^53)`);
          return null;
        }
        return Number(r.value);
      case 'float':
        if (!Number.isFinite(r.value)) {
          this.problem('error', 'not-json', node, path, `${text} is not a JSON number (kubectl cannot send it)`);
          return null;
        }
        return r.value;
      default:
        return r.value;
    }
  }

  /** A key as sigs.k8s.io/yaml turns it into a JSON object key; undefined when it cannot. */
  private key(node: unknown, path: PathSegments, depth: number): string | undefined {
    const k = this.decode(node, path, depth + 1);
    if (typeof k === 'string') return k;
    if (typeof k === 'boolean') return String(k);
    if (typeof k === 'number' && Number.isInteger(k) && isScalar(node) && node.tag === undefined) return String(k);
    this.problem('error', 'yaml-key', node, path, `a mapping key must be a string, not ${k === null ? 'null' : Array.isArray(k) ? 'a list' : typeof k}`);
    return undefined;
  }

  private mapping(node: { items: { key: unknown; value: unknown }[] }, path: PathSegments, depth: number): Record<string, unknown> {
    const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
    const explicit = new Set<string>();
    for (const pair of node.items) {
      const keyNode = pair.key;
      if (isScalar(keyNode) && keyNode.type === 'PLAIN' && keyNode.tag === undefined && keyNode.source === '<<') {
        this.merge(out, explicit, pair.value, [...path, '<<'], depth);
        continue;
      }
      const k = this.key(keyNode, path, depth);
      if (k === undefined) continue;
      if (explicit.has(k)) this.problem('error', 'duplicate-key', keyNode, [...path, k], `duplicate key ${JSON.stringify(k)}`);
      explicit.add(k);
      out[k] = this.decode(pair.value, [...path, k], depth + 1);
    }
    return out;
  }

  /** go-yaml v2's merge: a mapping, or a list of them where earlier ones win. */
  private merge(out: Record<string, unknown>, explicit: Set<string>, value: unknown, path: PathSegments, depth: number): void {
    const isMapping = (n: unknown): boolean => isMap(n) || (isAlias(n) && isMap(n.resolve(this.doc)));
    const sources = isSeq(value) ? [...value.items].reverse() : [value];
    if (!sources.every(isMapping)) {
      this.problem('error', 'yaml-merge', value, path, 'map merge requires a mapping or a list of mappings as the value');
      return;
    }
    for (const source of sources) {
      const merged = this.decode(source, path, depth + 1);
      if (merged === null || typeof merged !== 'object') continue;
      for (const [k, v] of Object.entries(merged)) {
        if (explicit.has(k)) {
          this.problem(
            'error',
            'yaml-merge',
            value,
            path,
            `merges key ${JSON.stringify(k)} over the one written before it: kubectl keeps the merged value, YAML 1.2 tools the written one; move the key after <<`,
          );
        }
        out[k] = v;
      }
    }
  }
}

function describe(r: Resolved): string {
  if (r.kind === 'str') return `the string ${JSON.stringify(r.value)}`;
  if (r.kind === 'null') return 'null';
  return `the ${r.kind === 'bool' ? 'boolean' : 'number'} ${String(r.value)}`;
}

/** Decodes one parsed document; `value` is undefined when a problem stopped decoding. */
export function decodeDocument(doc: Document, limits: DecodeLimits): { value: unknown; problems: DecodeProblem[] } {
  const d = new Decoder(doc, limits);
  try {
    return { value: d.decode(doc.contents, [], 0), problems: d.problems };
  } catch (e) {
    if (e instanceof Abort) return { value: undefined, problems: d.problems };
    throw e;
  }
}
