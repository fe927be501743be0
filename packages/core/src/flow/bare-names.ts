/**
 * Flow-record ends named without a namespace (`"src": "client"`, `"dst": "web[Deployment]"`):
 * looked up in one namespace, the CLI's `-n` (default `default`), as kubectl looks up
 * `kubectl get pod client`. A name that is nothing there is an error naming what the other
 * namespaces hold under it, never a guess.
 */
import { truncate } from '../load/issues.js';
import type { ClusterIndex } from '../model/cluster-index.js';

/** A pod name (DNS subdomain), optionally with an endpoint kind: `client`, `web[Deployment]`. */
const BARE = /^([a-z0-9](?:[-a-z0-9.]*[a-z0-9])?)(\[[A-Za-z]+\])?$/;
/** Dotted digits read as a (mistyped) address, not a pod name: `010.0.0.1` keeps its address error. */
const ADDRESS_LIKE = /^[0-9.]+$/;
/** How many candidates an error names. */
const NAMED = 5;

/**
 * The `namespace/name` (or `namespace/name[Kind]`) a bare end stands for in `namespace`;
 * undefined when `value` is not a bare name (an IP, `ns/pod`, `svc:...`: resolved as written);
 * a string saying why when the name is nothing in `namespace` or could be several things there.
 * `endpoints` are the endpoint names of the cluster (`ns/name[Kind]`).
 */
export function qualifyEnd(
  field: 'src' | 'dst',
  value: unknown,
  namespace: string,
  index: ClusterIndex,
  endpoints: Iterable<string>,
): { readonly name: string } | string | undefined {
  if (typeof value !== 'string' || ADDRESS_LIKE.test(value)) return undefined;
  const bare = BARE.exec(value);
  if (!bare) return undefined;
  const qualified = `${namespace}/${value}`;
  if (bare[2] !== undefined || index.podByName(namespace, value)) return { name: qualified };
  const named = [...endpoints].filter((n) => n.startsWith(`${qualified}[`));
  if (named.length === 1) return { name: named[0]! };
  if (named.length > 1)
    return `"${field}": ${truncate(value)} is ambiguous in namespace ${truncate(namespace)}: ${named.map((n) => truncate(n)).join(', ')}; name one of them`;
  const elsewhere = [
    ...index.cluster.pods.filter((p) => p.name === value).map((p) => `${p.namespace}/${p.name}`),
    ...[...endpoints].filter((n) => n.slice(n.indexOf('/') + 1).startsWith(`${value}[`) && !n.startsWith(`${namespace}/`)),
  ];
  const unique = [...new Set(elsewhere)];
  const hint =
    unique.length === 0
      ? ''
      : `; in other namespaces: ${unique
          .slice(0, NAMED)
          .map((n) => truncate(n))
          .join(', ')}${unique.length > NAMED ? ` and ${unique.length - NAMED} more` : ''}`;
  return `"${field}": no pod or endpoint ${truncate(value)} in namespace ${truncate(namespace)} (a name without namespace/ is looked up in the -n namespace)${hint}`;
}
