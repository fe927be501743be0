/**
 * Policy APIs netpol does not evaluate, by API group and kind. Each changes what a cluster
 * allows, so a verdict computed without it could say "allowed" where the cluster drops the
 * packet: the loader refuses such objects unless the caller explicitly chooses to ignore them
 * (LoadOptions.ignoreUnsupportedPolicies), and then every verdict says it ignores them.
 */

export interface UnsupportedPolicy {
  /** Why verdicts would be wrong without it. */
  readonly reason: string;
  readonly namespaced: boolean;
  /** Not enforced by the dataplane (a Calico staged policy): skipped with a warning, never refused. */
  readonly notEnforced?: boolean;
}

const CALICO = 'Calico policies are ordered and tiered, with Deny, Log and Pass actions, and apply beside NetworkPolicies';
const CALICO_STAGED = 'a staged Calico policy is only previewed, never enforced: verdicts do not depend on it';
const ANTREA = 'Antrea-native policies are tiered, with Allow, Drop, Reject and Pass actions, and apply before or after NetworkPolicies';

function calico(): Record<string, UnsupportedPolicy> {
  return {
    NetworkPolicy: { reason: CALICO, namespaced: true },
    GlobalNetworkPolicy: { reason: CALICO, namespaced: false },
    StagedNetworkPolicy: { reason: CALICO_STAGED, namespaced: true, notEnforced: true },
    StagedGlobalNetworkPolicy: { reason: CALICO_STAGED, namespaced: false, notEnforced: true },
    StagedKubernetesNetworkPolicy: { reason: CALICO_STAGED, namespaced: true, notEnforced: true },
  };
}

function antrea(): Record<string, UnsupportedPolicy> {
  return {
    NetworkPolicy: { reason: ANTREA, namespaced: true },
    ClusterNetworkPolicy: { reason: ANTREA, namespaced: false },
  };
}

const TABLE: Readonly<Record<string, Readonly<Record<string, UnsupportedPolicy>>>> = {
  'cilium.io': {
    CiliumNetworkPolicy: { reason: 'Cilium policies add allow and deny rules (entities, L7, DNS names) beside NetworkPolicies', namespaced: true },
    CiliumClusterwideNetworkPolicy: {
      reason: 'Cilium policies add allow and deny rules (entities, L7, DNS names, nodes) beside NetworkPolicies',
      namespaced: false,
    },
  },
  'projectcalico.org': calico(),
  'crd.projectcalico.org': calico(),
  'crd.antrea.io': antrea(),
  'security.antrea.tanzu.vmware.com': antrea(),
  'k8s.cni.cncf.io': {
    MultiNetworkPolicy: { reason: 'a MultiNetworkPolicy filters the traffic of secondary (Multus) networks, which netpol does not model', namespaced: true },
  },
  'k8s.ovn.org': {
    EgressFirewall: { reason: "an OVN-Kubernetes EgressFirewall allows or denies a namespace's egress to external CIDRs and DNS names", namespaced: true },
  },
  'networking.gke.io': {
    FQDNNetworkPolicy: { reason: 'an FQDNNetworkPolicy allows egress to DNS names beside NetworkPolicies', namespaced: true },
  },
};

/** The three kinds netpol evaluates in policy.networking.k8s.io; any other there is refused. */
const POLICY_API_KINDS = new Set(['ClusterNetworkPolicy', 'AdminNetworkPolicy', 'BaselineAdminNetworkPolicy']);
const POLICY_API_OTHER: UnsupportedPolicy = {
  reason:
    'netpol evaluates ClusterNetworkPolicy (v1alpha2), AdminNetworkPolicy and BaselineAdminNetworkPolicy (v1alpha1) of policy.networking.k8s.io, no other kind',
  namespaced: false,
};

/** The API group of an apiVersion (`''` for the core group). */
export const apiGroup = (apiVersion: string): string => (apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.lastIndexOf('/')) : '');

/** What netpol knows of `kind` in `apiVersion`'s group when it is a policy it cannot evaluate. */
export function unsupportedPolicy(apiVersion: unknown, kind: string): UnsupportedPolicy | undefined {
  if (typeof apiVersion !== 'string') return undefined;
  const group = apiGroup(apiVersion);
  if (group === 'policy.networking.k8s.io') return POLICY_API_KINDS.has(kind) ? undefined : POLICY_API_OTHER;
  return Object.hasOwn(TABLE, group) && Object.hasOwn(TABLE[group]!, kind) ? TABLE[group]![kind] : undefined;
}
