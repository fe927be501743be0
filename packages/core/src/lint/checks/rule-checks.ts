/** Checks on what rules grant across a namespace's policies. */
import type { LintCheck } from '../types.js';

export const RULE_CHECKS: readonly LintCheck[] = [];
