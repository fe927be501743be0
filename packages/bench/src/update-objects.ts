/**
 * Kubernetes objects for the update benchmark: LiveDataplane takes objects as `kubectl get
 * -o yaml` prints them, not model values. The objects come from core's manifest builders
 * (`podDoc` and friends, the same ones `clusterToYaml` writes); the round trip is checked
 * when the benchmark starts (loadObjects over them must give back the generator's cluster).
 */
import { loadObjects, type Namespace, type NetworkPolicy, type Node, type Pod, type RawObject } from '@netpol/core';
import type { Doc } from '@netpol/core/internal';

export { namespaceDoc, nodeDoc, podDoc, policyDoc, type Doc } from '@netpol/core/internal';

/** An object as the reader would hand it over (no source text, so no line numbers). */
export const rawObject = (value: Doc, document = 0): RawObject => ({ file: '<bench>', document, value, locate: () => undefined });

/** What one object loads to, alone: the model the reference evaluator gets for it. */
export type Loaded =
  | { kind: 'Namespace'; value: Namespace }
  | { kind: 'Pod'; value: Pod }
  | { kind: 'Node'; value: Node }
  | { kind: 'NetworkPolicy'; value: NetworkPolicy };

/**
 * Loads one object exactly as LiveDataplane validates it (alone; the implicit namespace a
 * lone Pod or policy brings is dropped). Throws on any error: the benchmark only makes valid
 * objects, so an error here is a bug in the benchmark.
 */
export function loadOne(doc: Doc): Loaded {
  const r = loadObjects([rawObject(doc)]);
  const errors = r.issues.filter((i) => i.severity === 'error');
  if (!r.cluster || errors.length > 0) throw new Error(`invalid ${String(doc['kind'])}: ${errors.map((i) => i.message).join('; ')}`);
  const c = r.cluster;
  switch (doc['kind']) {
    case 'Namespace':
      return { kind: 'Namespace', value: c.namespaces[0]! };
    case 'Pod':
      return { kind: 'Pod', value: c.pods[0]! };
    case 'Node':
      return { kind: 'Node', value: c.nodes[0]! };
    case 'NetworkPolicy':
      return { kind: 'NetworkPolicy', value: c.policies[0]! };
    default:
      throw new Error(`unexpected kind ${String(doc['kind'])}`);
  }
}
