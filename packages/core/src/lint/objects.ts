/**
 * Which raw object a finding is about: `Kind namespace/name` (or `Kind name` for cluster-scoped
 * kinds) as the loader names objects, mapped back to the RawObject it was read from, so that a
 * finding gets the file and line of its field and the object's suppression annotation is read
 * from what was written.
 */
import type { RawObject } from '../load/read.js';
import type { NetworkPolicy } from '../model/types.js';
import type { LintObjectRef } from './types.js';

/** Kinds without a namespace: their key is `Kind name`. */
const CLUSTER_SCOPED = new Set(['Namespace', 'Node', 'ClusterNetworkPolicy', 'AdminNetworkPolicy', 'BaselineAdminNetworkPolicy']);

/** `Kind namespace/name`, or `Kind name` for a cluster-scoped kind (a ref without namespace). */
export function objectKey(ref: LintObjectRef): string {
  return ref.namespace === undefined ? `${ref.kind} ${ref.name}` : `${ref.kind} ${ref.namespace}/${ref.name}`;
}

/** The ref of a NetworkPolicy, as checks name it in their findings. */
export const policyRef = (p: Pick<NetworkPolicy, 'namespace' | 'name'>): LintObjectRef => ({ kind: 'NetworkPolicy', namespace: p.namespace, name: p.name });

const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** The object's `metadata`, when it is a mapping. */
export function metadataOf(value: Record<string, unknown>): Record<string, unknown> | undefined {
  const meta = value['metadata'];
  return typeof meta === 'object' && meta !== null && !Array.isArray(meta) ? (meta as Record<string, unknown>) : undefined;
}

/**
 * The ref a raw object loads as: its kind, its `metadata.namespace` (else its file's namespace,
 * else `defaultNamespace`, as loading defaults it) for namespaced kinds, and its name. Undefined for an object without
 * a kind or a name (loading refuses those, so no finding is about them).
 */
export function rawRef(raw: RawObject, defaultNamespace: string): LintObjectRef | undefined {
  const kind = text(raw.value['kind']);
  const meta = metadataOf(raw.value);
  const name = text(meta?.['name']);
  if (kind === undefined || name === undefined) return undefined;
  if (CLUSTER_SCOPED.has(kind)) return { kind, name };
  // A per-file -n (RawObject.defaultNamespace) before the options' namespace, as loading reads it.
  return { kind, namespace: text(meta?.['namespace']) ?? raw.defaultNamespace ?? defaultNamespace, name };
}

/** Raw objects by objectKey; the first of duplicates wins, as loading keeps the first. */
export function rawIndex(raws: readonly RawObject[], defaultNamespace: string): Map<string, RawObject> {
  const index = new Map<string, RawObject>();
  for (const raw of raws) {
    const ref = rawRef(raw, defaultNamespace);
    if (ref === undefined) continue;
    const key = objectKey(ref);
    if (!index.has(key)) index.set(key, raw);
  }
  return index;
}
