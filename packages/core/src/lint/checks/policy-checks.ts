/** Checks on one NetworkPolicy's selection and shape (owned by the lint framework). */
import type { LintCheck } from '../types.js';

export const POLICY_CHECKS: readonly LintCheck[] = [];
