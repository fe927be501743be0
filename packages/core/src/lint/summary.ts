/** Counts of a lint run's findings per severity, for the text summary, JSON and exit codes. */
import { atOrAbove } from './severity.js';
import type { LintFinding, LintSeverity } from './types.js';

/** Findings per severity, and how many were suppressed. */
export interface LintCounts {
  readonly error: number;
  readonly warning: number;
  readonly info: number;
  readonly suppressed: number;
}

/** How many findings of each severity, and suppressed ones. */
export function lintCounts(findings: readonly LintFinding[], suppressed: readonly LintFinding[]): LintCounts {
  const n = (s: LintSeverity): number => findings.filter((f) => f.severity === s).length;
  return { error: n('error'), warning: n('warning'), info: n('info'), suppressed: suppressed.length };
}

/** Does any finding reach `threshold` (what makes `netpol lint --fail-on` exit 1)? `none`: never. */
export const failsAt = (findings: readonly LintFinding[], threshold: LintSeverity | 'none'): boolean => findings.some((f) => atOrAbove(f.severity, threshold));
