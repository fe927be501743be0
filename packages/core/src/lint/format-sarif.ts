/**
 * `netpol lint -o sarif`: SARIF 2.1.0, the format GitHub code scanning reads (upload it with
 * github/codeql-action/upload-sarif and findings show on the pull request). One run: the checks
 * as rules, each finding a result at its file (relative to the working directory) and line,
 * suppressed findings with an `inSource` suppression (the annotation), and loading's issues as
 * tool execution notifications (an input that does not load is an unsuccessful execution). Every
 * result has a physical location: GitHub rejects a whole log for one result without.
 */
import { createHash } from 'node:crypto';
import { isAbsolute, relative, sep } from 'node:path';
import type { Issue } from '../load/issues.js';
import { IGNORE_ANNOTATION } from './suppression.js';
import type { LintCheck, LintFinding, LintSeverity } from './types.js';

/** SARIF's levels for lint severities. */
const LEVEL: Readonly<Record<LintSeverity, 'error' | 'warning' | 'note'>> = { error: 'error', warning: 'warning', info: 'note' };

/** The table of every check, each linked to its section (SARIF `helpUri`). */
const CHECKS_DOC = 'https://github.com/netpol/netpol/blob/main/docs/lint.md#checks';

/** What formatSarif needs besides the run's result. */
export interface SarifOptions {
  /** Every check that could report (SARIF `tool.driver.rules`), usually LINT_CHECKS. */
  readonly checks: readonly LintCheck[];
  /** netpol's version (`tool.driver.version`). */
  readonly version: string;
  /** Directory file URIs are made relative to (default: the working directory). */
  readonly cwd?: string;
}

/** A file as a SARIF URI: relative to `cwd` with `/` separators, percent-encoded (`<stdin>` becomes `%3Cstdin%3E`). */
function fileUri(file: string, cwd: string): string {
  const rel = isAbsolute(file) ? relative(cwd, file) : file;
  return encodeURI(rel.split(sep).join('/'));
}

/** A stable id of the finding that survives lines moving (GitHub tracks results across commits by it). */
const fingerprint = (f: LintFinding): string => createHash('sha256').update(`${f.id}\0${f.object}\0${f.path}`).digest('hex').slice(0, 32);

/**
 * GitHub code scanning refuses the whole log when one result lacks a physical location, so a
 * finding about an object with no source (a namespace objects only refer to) is placed at the
 * first line of `fallback`, the first file the run reports on; its logical location names the object.
 */
function result(f: LintFinding, ruleIndex: number, cwd: string, suppressed: boolean, fallback: string): Record<string, unknown> {
  const line = f.file === undefined ? 1 : f.line;
  const physical = {
    artifactLocation: { uri: fileUri(f.file ?? fallback, cwd), uriBaseId: '%SRCROOT%' },
    ...(line !== undefined && { region: { startLine: line } }),
  };
  return {
    ruleId: f.id,
    ...(ruleIndex >= 0 && { ruleIndex }),
    level: LEVEL[f.severity],
    message: { text: `${f.object}${f.path ? ` ${f.path}` : ''}: ${f.message}. Fix: ${f.fix}` },
    locations: [
      {
        physicalLocation: physical,
        logicalLocations: [{ fullyQualifiedName: `${f.object}${f.path ? ` ${f.path}` : ''}`, kind: 'object' }],
      },
    ],
    partialFingerprints: { 'netpolFinding/v1': fingerprint(f) },
    ...(suppressed && { suppressions: [{ kind: 'inSource', justification: `annotation ${IGNORE_ANNOTATION} on ${f.object}` }] }),
    properties: { object: f.object, path: f.path, fix: f.fix },
  };
}

function notification(i: Issue, cwd: string): Record<string, unknown> {
  const uri = i.file === undefined ? undefined : fileUri(i.file, cwd);
  return {
    level: i.severity === 'error' ? 'error' : 'warning',
    message: { text: `${i.object ? `${i.object}: ` : ''}${i.message}` },
    descriptor: { id: i.code },
    ...(uri && {
      locations: [{ physicalLocation: { artifactLocation: { uri, uriBaseId: '%SRCROOT%' }, ...(i.line !== undefined && { region: { startLine: i.line } }) } }],
    }),
  };
}

/** The SARIF 2.1.0 log of a lint run, as a JSON value. */
export function formatSarif(
  r: { findings: readonly LintFinding[]; suppressed: readonly LintFinding[]; issues: readonly Issue[]; cluster: unknown },
  options: SarifOptions,
): Record<string, unknown> {
  const cwd = options.cwd ?? process.cwd();
  const index = new Map(options.checks.map((c, i) => [c.id, i]));
  const rules = options.checks.map((c) => ({
    id: c.id,
    name: c.id.replace(/(^|-)([a-z0-9])/g, (_m, _d: string, ch: string) => ch.toUpperCase()),
    shortDescription: { text: c.title },
    fullDescription: { text: c.description },
    defaultConfiguration: { level: LEVEL[c.severity] },
    helpUri: CHECKS_DOC,
    help: { text: c.description },
  }));
  const fallback = [...r.findings, ...r.suppressed].find((f) => f.file !== undefined)?.file ?? '<input>';
  const results = [
    ...r.findings.map((f) => result(f, index.get(f.id) ?? -1, cwd, false, fallback)),
    ...r.suppressed.map((f) => result(f, index.get(f.id) ?? -1, cwd, true, fallback)),
  ];
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: 'netpol', semanticVersion: options.version, informationUri: 'https://github.com/netpol/netpol', rules } },
        invocations: [{ executionSuccessful: r.cluster !== undefined, toolExecutionNotifications: r.issues.map((i) => notification(i, cwd)) }],
        results,
        columnKind: 'utf16CodeUnits',
      },
    ],
  };
}
