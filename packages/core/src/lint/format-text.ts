/** `netpol lint -o text`: one line per finding (`file:line: severity id: Kind ns/name path: message`), its fix, a summary. */
import { lintCounts } from './summary.js';
import { IGNORE_ANNOTATION } from './suppression.js';
import type { LintFinding } from './types.js';

/** A finding's two lines: where, severity, id, object, path and message; then `  fix: ...`. */
export function findingText(f: LintFinding): string {
  const where = f.file === undefined ? '' : `${f.file}${f.line !== undefined ? `:${f.line}` : ''}: `;
  return `${where}${f.severity} ${f.id}: ${f.object}${f.path ? ` ${f.path}` : ''}: ${f.message}\n  fix: ${f.fix}`;
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** The last line: `3 findings (1 error, 2 warnings, 0 info); 1 suppressed`, or `no findings`. */
export function summaryText(findings: readonly LintFinding[], suppressed: readonly LintFinding[]): string {
  const c = lintCounts(findings, suppressed);
  const head =
    findings.length === 0
      ? 'no findings'
      : `${plural(findings.length, 'finding')} (${plural(c.error, 'error')}, ${plural(c.warning, 'warning')}, ${c.info} info)`;
  return c.suppressed > 0 ? `${head}; ${c.suppressed} suppressed by ${IGNORE_ANNOTATION}` : head;
}

/** Every finding, then the summary line. */
export function formatLintText(findings: readonly LintFinding[], suppressed: readonly LintFinding[]): string[] {
  return [...findings.map(findingText), summaryText(findings, suppressed)];
}
