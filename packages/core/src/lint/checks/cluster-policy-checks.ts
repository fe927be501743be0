/** Checks on the cluster-scoped tiers (ClusterNetworkPolicy, AdminNetworkPolicy, BaselineAdminNetworkPolicy). */
import type { LintCheck } from '../types.js';
import { clusterPeerMatchesNothing, clusterSubjectMatchesNothing } from './cluster-matches-nothing.js';
import { clusterNetworksEverything } from './cluster-networks-everything.js';
import { passReachesNothing } from './cluster-pass.js';
import { equalPriorityOverlap } from './cluster-priority-overlap.js';
import { clusterRuleShadowed, denyShadowedByAccept } from './cluster-shadowed.js';

/** The cluster-policy checks, in the order their findings are reported (docs/lint-cluster-policies.md). */
export const CLUSTER_POLICY_CHECKS: readonly LintCheck[] = [
  clusterSubjectMatchesNothing,
  clusterPeerMatchesNothing,
  clusterNetworksEverything,
  equalPriorityOverlap,
  passReachesNothing,
  denyShadowedByAccept,
  clusterRuleShadowed,
];
