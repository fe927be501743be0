/**
 * Flow-record ends named without a namespace (`"src": "client"`, `"dst": "web[Deployment]"`):
 * looked up in the namespaces the CLI's `-n` options name (default `default`), as kubectl looks up
 * `kubectl get pod client`. With several `-n` (one per group of files), a name found in exactly
 * one of them is that one; a name in several, or in none, is an error naming what holds it,
 * never a guess.
 */
import { truncate } from '../load/issues.js';
import type { Pod } from '../model/types.js';

/** A pod name (DNS subdomain), optionally with an endpoint kind: `client`, `web[Deployment]`. */
const BARE = /^([a-z0-9](?:[-a-z0-9.]*[a-z0-9])?)(\[[A-Za-z]+\])?$/;
/** Dotted digits read as a (mistyped) address, not a pod name: `010.0.0.1` keeps its address error. */
const ADDRESS_LIKE = /^[0-9.]+$/;
/** How many candidates an error names. */
const NAMED = 5;

const list = (names: readonly string[]): string =>
  `${names
    .slice(0, NAMED)
    .map((n) => truncate(n))
    .join(', ')}${names.length > NAMED ? ` and ${names.length - NAMED} more` : ''}`;

const push = (map: Map<string, string[]>, key: string, value: string): void => {
  const values = map.get(key);
  if (values) values.push(value);
  else map.set(key, [value]);
};

/** The names a bare end may stand for, indexed once per cluster (a flow file names them line after line). */
export class BareNames {
  /** `ns/name` of every pod, and every endpoint name `ns/name[Kind]`. */
  private readonly known = new Set<string>();
  /** `ns/name` → the endpoint names `ns/name[Kind]`. */
  private readonly endpointsOf = new Map<string, string[]>();
  /** `name` → every pod `ns/name` and endpoint `ns/name[Kind]` of that name, in any namespace. */
  private readonly byName = new Map<string, string[]>();

  /** `endpoints` are the cluster's endpoint names (`ns/name[Kind]`). */
  constructor(pods: readonly Pod[], endpoints: Iterable<string>) {
    for (const p of pods) {
      this.known.add(`${p.namespace}/${p.name}`);
      push(this.byName, p.name, `${p.namespace}/${p.name}`);
    }
    for (const e of endpoints) {
      this.known.add(e);
      const base = e.slice(0, e.lastIndexOf('['));
      push(this.endpointsOf, base, e);
      // A bare pod's endpoint (ns/pod[Pod]) is listed as its pod.
      if (!e.endsWith('[Pod]')) push(this.byName, base.slice(base.indexOf('/') + 1), e);
    }
  }

  /**
   * The `namespace/name` (or `namespace/name[Kind]`) a bare end stands for in `namespaces`;
   * undefined when `value` is not a bare name (an IP, `ns/pod`, `svc:...`: resolved as written);
   * a string saying why when the name is nothing there, or something in several of them.
   */
  qualify(field: 'src' | 'dst', value: unknown, namespaces: readonly string[]): { readonly name: string } | string | undefined {
    if (typeof value !== 'string' || ADDRESS_LIKE.test(value)) return undefined;
    const bare = BARE.exec(value);
    if (!bare) return undefined;
    const [, name, kind] = bare;
    // One namespace: name[Kind] is qualified as it is (the endpoint lookup says if it is there).
    if (namespaces.length === 1 && kind !== undefined) return { name: `${namespaces[0]}/${value}` };
    const found = namespaces.flatMap((ns): readonly string[] => {
      const qualified = `${ns}/${value}`;
      if (kind !== undefined) return this.known.has(qualified) || (kind === '[Pod]' && this.known.has(`${ns}/${name}`)) ? [qualified] : [];
      return this.known.has(qualified) ? [qualified] : (this.endpointsOf.get(qualified) ?? []);
    });
    if (found.length === 1) return { name: found[0]! };
    const where = namespaces.length === 1 ? `namespace ${truncate(namespaces[0]!)}` : `namespaces ${list(namespaces)}`;
    if (found.length > 1) return `"${field}": ${truncate(value)} is ambiguous in ${where}: ${list(found)}; name one of them`;
    const elsewhere = (this.byName.get(name!) ?? []).filter((n) => kind === undefined || (kind === '[Pod]' ? !n.endsWith(']') : n.endsWith(kind)));
    const hint = elsewhere.length === 0 ? '' : `; in other namespaces: ${list(elsewhere)}`;
    return `"${field}": no pod or endpoint ${truncate(value)} in ${where} (a name without namespace/ is looked up in the -n namespaces)${hint}`;
  }
}
