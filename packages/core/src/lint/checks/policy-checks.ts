/** Checks on one NetworkPolicy's selection and shape (owned by the lint framework). */
import type { LintCheck } from '../types.js';
import { POLICY_NAME_CHECKS } from './policy-names.js';
import { POLICY_SELECTION_CHECKS } from './policy-selection.js';
import { POLICY_SHAPE_CHECKS } from './policy-shape.js';

/** The policy checks: selection (policy-selection.ts), shape (policy-shape.ts), names (policy-names.ts). */
export const POLICY_CHECKS: readonly LintCheck[] = [...POLICY_SELECTION_CHECKS, ...POLICY_SHAPE_CHECKS, ...POLICY_NAME_CHECKS];
