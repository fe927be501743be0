/** Checks on what rules grant across a namespace's policies. */
import type { LintCheck } from '../types.js';
import { EGRESS_WITHOUT_DNS } from './egress-without-dns.js';
import { IPBLOCK_COVERS_PODS } from './ipblock-covers-pods.js';
import { NAMED_PORT_UNRESOLVED } from './named-port-unresolved.js';
import { POLICY_CHANGES_NOTHING, SHADOWED_RULE } from './redundant-rules.js';
import { RULE_CROSS_PRODUCT } from './rule-cross-product.js';

/** The rule checks, in the order their findings are reported. */
export const RULE_CHECKS: readonly LintCheck[] = [
  EGRESS_WITHOUT_DNS,
  RULE_CROSS_PRODUCT,
  SHADOWED_RULE,
  POLICY_CHANGES_NOTHING,
  IPBLOCK_COVERS_PODS,
  NAMED_PORT_UNRESOLVED,
];
