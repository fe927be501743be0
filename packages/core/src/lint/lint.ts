/**
 * `netpol lint` as a library: load the input (fail closed: any loading error and there are no
 * findings, only the issues), run every enabled check over the validated cluster, locate each
 * finding at the file and line of its field through the object's RawObject, and set apart the
 * findings an object suppresses with its `lint.netpol.io/ignore` annotation.
 */
import { loadObjects, LOAD_OPTIONS, type LoadOptions } from '../load/load.js';
import { formatPath, type Issue } from '../load/issues.js';
import { READ_OPTIONS, readFiles, readText, type FileInput, type RawObject } from '../load/read.js';
import { checkOptions, closestKey, pickOptions, type OptionSpec } from '../model/check-options.js';
import type { Cluster } from '../model/types.js';
import { LINT_CHECKS } from './checks/index.js';
import { lintContext } from './context.js';
import { objectKey, rawIndex } from './objects.js';
import { severityRank } from './severity.js';
import { suppressionOf, suppresses } from './suppression.js';
import type { CheckFinding, LintCheck, LintFinding } from './types.js';

/** Options of lintObjects, lintFiles and lintText: loading's, and which checks run. */
export interface LintOptions extends LoadOptions {
  /** Ids of checks not to run. An unknown id is a RangeError (a typo would silently run it). */
  readonly disable?: readonly string[];
  /** Run only these checks (then `disable` removes from them). An unknown id is a RangeError. */
  readonly enableOnly?: readonly string[];
  /** The checks to choose from (default LINT_CHECKS): a program may add checks of its own. */
  readonly checks?: readonly LintCheck[];
}

const isIdList = { expected: 'an array of check ids', is: (v: unknown) => Array.isArray(v) && v.every((x) => typeof x === 'string') };

const isCheckList = {
  expected: 'an array of lint checks',
  is: (v: unknown) =>
    Array.isArray(v) &&
    v.every((c) => typeof c === 'object' && c !== null && typeof (c as LintCheck).id === 'string' && typeof (c as LintCheck).run === 'function'),
};

/** LintOptions' keys and types, checked by every lint entry. */
const LINT_OPTIONS: OptionSpec<LintOptions> = { ...LOAD_OPTIONS, disable: isIdList, enableOnly: isIdList, checks: isCheckList };

/** What a lint run found. */
export interface LintResult {
  /** Findings not suppressed, sorted by file, line, id (then object and path). Empty when `cluster` is undefined. */
  readonly findings: readonly LintFinding[];
  /** Findings an object's `lint.netpol.io/ignore` annotation suppressed, sorted the same way. */
  readonly suppressed: readonly LintFinding[];
  /** Loading's errors and warnings; any error means no cluster and no findings. */
  readonly issues: readonly Issue[];
  /** The validated cluster the checks read; undefined when the input has errors. */
  readonly cluster: Cluster | undefined;
}

/** The checks a run uses: `enableOnly` (else all of `checks`), less `disable`; unknown ids throw a RangeError naming them. */
export function selectChecks(options: Pick<LintOptions, 'disable' | 'enableOnly' | 'checks'> = {}): LintCheck[] {
  const checks = options.checks ?? LINT_CHECKS;
  const ids = checks.map((c) => c.id);
  const unknown = [...(options.enableOnly ?? []), ...(options.disable ?? [])].filter((id) => !ids.includes(id));
  if (unknown.length > 0) {
    const named = [...new Set(unknown)].map((id) => {
      const near = closestKey(id, ids);
      return `${JSON.stringify(id)}${near ? ` (did you mean ${JSON.stringify(near)}?)` : ''}`;
    });
    throw new RangeError(`unknown lint check ${named.join(', ')}: 'netpol lint --list' lists them`);
  }
  const only = options.enableOnly && new Set(options.enableOnly);
  const off = new Set(options.disable ?? []);
  return checks.filter((c) => (only === undefined || only.has(c.id)) && !off.has(c.id));
}

const compare = (a: string | number | undefined, b: string | number | undefined): number =>
  a === b ? 0 : a === undefined ? 1 : b === undefined ? -1 : a < b ? -1 : 1;

/** File, line, id, then object, path and message: a total order, so output is stable. */
export function compareFindings(a: LintFinding, b: LintFinding): number {
  return (
    compare(a.file, b.file) ||
    compare(a.line, b.line) ||
    compare(a.id, b.id) ||
    compare(a.object, b.object) ||
    compare(a.path, b.path) ||
    compare(a.message, b.message) ||
    severityRank(b.severity) - severityRank(a.severity)
  );
}

function locate(check: LintCheck, f: CheckFinding, raw: RawObject | undefined): LintFinding {
  const line = raw?.locate(f.path);
  return {
    id: check.id,
    severity: f.severity ?? check.severity,
    object: objectKey(f.object),
    ref: f.object,
    ...(raw && { file: raw.file }),
    ...(line !== undefined && { line }),
    path: formatPath(f.path),
    message: f.message,
    fix: f.fix,
  };
}

/**
 * Lints raw objects (from readFiles or readText, or handed in with a `locate` of their own):
 * loads them as loadObjects does (`readIssues` are reading's problems, listed first), then runs
 * the checks. Throws a TypeError for an unknown option and a RangeError for an unknown check id.
 */
export function lintObjects(raws: readonly RawObject[], options: LintOptions = {}, readIssues: readonly Issue[] = []): LintResult {
  checkOptions('lint options', options, LINT_OPTIONS);
  const checks = selectChecks(options);
  const loaded = loadObjects(raws, pickOptions(options, LOAD_OPTIONS), readIssues);
  const cluster = loaded.cluster;
  if (!cluster) return { findings: [], suppressed: [], issues: loaded.issues, cluster };
  const sources = rawIndex(raws, options.defaultNamespace ?? 'default');
  const ctx = lintContext(cluster, (ref) => sources.get(objectKey(ref))?.value);
  const suppressions = new Map<RawObject, ReturnType<typeof suppressionOf>>();
  const suppressionFor = (raw: RawObject): ReturnType<typeof suppressionOf> => {
    let s = suppressions.get(raw);
    if (s === undefined) suppressions.set(raw, (s = suppressionOf(raw.value)));
    return s;
  };
  const findings: LintFinding[] = [];
  const suppressed: LintFinding[] = [];
  for (const check of checks) {
    let found: CheckFinding[];
    try {
      found = [...check.run(ctx)];
    } catch (e) {
      // A check's bug, not the input's: say which check.
      throw new Error(`lint check ${check.id} failed: ${(e as Error).message}`, { cause: e });
    }
    for (const f of found) {
      const raw = sources.get(objectKey(f.object));
      const finding = locate(check, f, raw);
      (raw && suppresses(suppressionFor(raw), check.id) ? suppressed : findings).push(finding);
    }
  }
  return { findings: findings.sort(compareFindings), suppressed: suppressed.sort(compareFindings), issues: loaded.issues, cluster };
}

/** Lints files and directories (YAML or JSON), as loadFiles reads them (a path may carry the namespace of its objects without one, as a per-file -n). */
export function lintFiles(paths: readonly (string | FileInput)[], options: LintOptions = {}): LintResult {
  checkOptions('lintFiles options', options, LINT_OPTIONS);
  const read = readFiles(paths, options.recursive, pickOptions(options, READ_OPTIONS));
  return lintObjects(read.objects, options, read.issues);
}

/** Lints manifests given as text; `file` names them in findings and issues (default `<input>`). */
export function lintText(text: string, options: LintOptions & { file?: string } = {}): LintResult {
  checkOptions('lintText options', options, { ...LINT_OPTIONS, file: 'string' });
  const { file, ...rest } = options;
  const read = readText(text, file ?? '<input>', pickOptions(rest, READ_OPTIONS));
  return lintObjects(read.objects, rest, read.issues);
}
