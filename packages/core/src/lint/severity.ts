/** The order of lint severities, for `--fail-on` and sorting. A leaf. */
import type { LintSeverity } from './types.js';

/** Every severity, least serious first. */
export const LINT_SEVERITIES: readonly LintSeverity[] = ['info', 'warning', 'error'];

/** Rank of a severity: info 0, warning 1, error 2. */
export const severityRank = (s: LintSeverity): number => LINT_SEVERITIES.indexOf(s);

/** Is `s` at or above `threshold` (`none`: never)? */
export const atOrAbove = (s: LintSeverity, threshold: LintSeverity | 'none'): boolean => threshold !== 'none' && severityRank(s) >= severityRank(threshold);
