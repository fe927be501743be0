/**
 * Kinds that are read past on purpose, with a warning that says why: ingress objects (traffic
 * they route comes from the ingress controller's pods, and is judged as such) and custom
 * resources that share a workload kind's name in another API group (a Volcano `Job`).
 */
import { isWorkloadKind, WORKLOAD_API_VERSIONS } from './workload.js';
import { truncate } from './issues.js';
import { apiGroup } from './unsupported-policies.js';

const INGRESS_REASON =
  'netpol does not evaluate ingress routing: traffic an ingress controller forwards comes from its own pods, and is judged as traffic from those pods (include them, or their workload, in the input to see it)';

/** Ingress-like kinds by API group. */
const INGRESS_KINDS: Readonly<Record<string, ReadonlySet<string>>> = {
  'networking.k8s.io': new Set(['Ingress', 'IngressClass']),
  extensions: new Set(['Ingress']),
  'route.openshift.io': new Set(['Route']),
  'gateway.networking.k8s.io': new Set(['Gateway', 'GatewayClass', 'HTTPRoute', 'GRPCRoute', 'TLSRoute', 'TCPRoute', 'UDPRoute']),
};

/**
 * Why an object of `kind` at `apiVersion` is skipped, or undefined when it is not one of these.
 * A workload kind in a group with a dot that is not Kubernetes' own (`*.k8s.io`) is a custom
 * resource of the same name; `extensions/v1beta1` or `apps/v1beta2` are old versions of the real
 * kinds, refused by the caller's apiVersion check instead.
 */
export function skippedKind(apiVersion: unknown, kind: string): string | undefined {
  if (typeof apiVersion !== 'string') return undefined;
  const group = apiGroup(apiVersion);
  if (Object.hasOwn(INGRESS_KINDS, group) && INGRESS_KINDS[group]!.has(kind)) return `${kind} not evaluated: ${INGRESS_REASON}`;
  if (isWorkloadKind(kind) && group.includes('.') && !group.endsWith('.k8s.io'))
    return `${kind} of ${truncate(apiVersion)} is not the Kubernetes ${kind} (${WORKLOAD_API_VERSIONS[kind]}); skipped: its pods are endpoints only if the input holds them`;
  return undefined;
}
