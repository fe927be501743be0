/** Every lint check, in the order findings are reported. */
import type { LintCheck } from '../types.js';
import { POLICY_CHECKS } from './policy-checks.js';
import { RULE_CHECKS } from './rule-checks.js';
import { CLUSTER_POLICY_CHECKS } from './cluster-policy-checks.js';

/** Every lint check `netpol lint` runs, in the order findings are reported (policy, rule, then cluster-policy checks). */
export const LINT_CHECKS: readonly LintCheck[] = [...POLICY_CHECKS, ...RULE_CHECKS, ...CLUSTER_POLICY_CHECKS];
