/** Checks on the cluster-scoped tiers (ClusterNetworkPolicy, AdminNetworkPolicy, BaselineAdminNetworkPolicy). */
import type { LintCheck } from '../types.js';

export const CLUSTER_POLICY_CHECKS: readonly LintCheck[] = [];
