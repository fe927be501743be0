/** `netpol lint -o json`: one document with the findings, the suppressed ones, counts and loading's issues. */
import type { Issue } from '../load/issues.js';
import { lintCounts, type LintCounts } from './summary.js';
import type { LintFinding } from './types.js';

/** The JSON document `netpol lint -o json` prints (schemaVersion 1). */
export interface LintJson {
  readonly schemaVersion: 1;
  /** False when the input did not load: no findings, see `issues`. */
  readonly valid: boolean;
  readonly counts: LintCounts;
  readonly findings: readonly LintFinding[];
  readonly suppressed: readonly LintFinding[];
  readonly issues: readonly Issue[];
}

/** The JSON document of a lint run. */
export function lintJson(r: { findings: readonly LintFinding[]; suppressed: readonly LintFinding[]; issues: readonly Issue[]; cluster: unknown }): LintJson {
  return {
    schemaVersion: 1,
    valid: r.cluster !== undefined,
    counts: lintCounts(r.findings, r.suppressed),
    findings: r.findings,
    suppressed: r.suppressed,
    issues: r.issues,
  };
}
