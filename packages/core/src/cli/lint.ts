/** The lint subcommand: checks of what policies are likely to get wrong, as text, JSON or SARIF. */
import { formatIssue } from '../load/issues.js';
import { LINT_CHECKS } from '../lint/checks/index.js';
import { lintJson } from '../lint/format-json.js';
import { formatSarif } from '../lint/format-sarif.js';
import { formatLintText } from '../lint/format-text.js';
import { lintObjects, selectChecks } from '../lint/lint.js';
import { failsAt } from '../lint/summary.js';
import type { LintSeverity } from '../lint/types.js';
import { netpolVersion } from '../package-version.js';
import { EXIT, INPUT_HELP, INPUT_OPTIONS, outputFormat, readRawInput, UsageError } from './common.js';
import { parseCli, type IO } from './commands.js';
import { list } from './connlist.js';

export const LINT_HELP = `Usage: netpol lint -f <file|dir>... [-o text|json|sarif] [--fail-on error|warning|info|none]
                   [--disable <id>,...] [--enable-only <id>,...]
       netpol lint --list

Checks NetworkPolicies and cluster-scoped policies for what is probably not meant: a policy or
peer that selects nothing (namespaceSelector name: x where namespaces carry
kubernetes.io/metadata.name), rules with ports but no peers, default-deny egress without DNS,
rules whose peers and ports cross into more than intended, shadowed rules, ipBlocks over pod
addresses, meaningless names... Pods, workloads and namespaces in the input let the checks see
what selectors match; policies alone are checked for what they say. Each finding has a stable
id, a severity (error, warning, info), file:line, the field path, why, and a fix. 'netpol lint
--list' lists every check; docs/lint.md describes them.

${INPUT_HELP}

Report:
  -o, --output <fmt>       text (default: 'file:line: severity id: Kind ns/name path: message'
                           and '  fix: ...'), json, or sarif (SARIF 2.1.0, for GitHub code
                           scanning: upload it with github/codeql-action/upload-sarif)
      --fail-on <sev>      exit 1 when a finding is at or above this severity: error, warning
                           (default), info, or none (never)
      --disable <id>       do not run these checks (repeatable, or comma-separated)
      --enable-only <id>   run only these checks (repeatable, or comma-separated)
      --list               list every check (id, severity, title) and exit

Suppression: the annotation lint.netpol.io/ignore on an object, a comma-separated list of check
ids (or '*' / 'all'), suppresses those findings about that object; they are counted in the
summary and marked suppressed in SARIF, not silently dropped.

Exit codes: 0 no finding at or above --fail-on, 1 some finding at or above it, 2 bad input
(every problem listed, no finding) or usage.`;

const FAIL_ON = ['error', 'warning', 'info', 'none'] as const;

/** `netpol lint --list`: one line per check, id, severity and title in columns. */
function checkList(): string[] {
  const width = Math.max(...LINT_CHECKS.map((c) => c.id.length));
  return LINT_CHECKS.map((c) => `${c.id.padEnd(width)}  ${c.severity.padEnd(7)}  ${c.title}`);
}

export function lint(args: string[], io: IO): number {
  const { values } = parseCli({
    args,
    strict: true,
    options: {
      ...INPUT_OPTIONS,
      output: { type: 'string', short: 'o' },
      'fail-on': { type: 'string' },
      disable: { type: 'string', multiple: true },
      'enable-only': { type: 'string', multiple: true },
      list: { type: 'boolean' },
    },
  });
  if (values.help) return (io.out(LINT_HELP), EXIT.ok);
  if (values.list) {
    for (const line of checkList()) io.out(line);
    return EXIT.ok;
  }
  const output = outputFormat(values.output, ['text', 'json', 'sarif']);
  const failOn = values['fail-on'] ?? 'warning';
  if (!(FAIL_ON as readonly string[]).includes(failOn)) throw new UsageError(`--fail-on must be error, warning, info or none, not ${JSON.stringify(failOn)}`);
  const disable = list(values.disable);
  const enableOnly = values['enable-only'] === undefined ? undefined : list(values['enable-only']);
  try {
    selectChecks({ disable, ...(enableOnly && { enableOnly }) });
  } catch (e) {
    if (e instanceof RangeError) throw new UsageError(e.message);
    throw e;
  }
  const input = readRawInput(values);
  const r = lintObjects(input.objects, { ...input.options, disable, ...(enableOnly && { enableOnly }) }, input.issues);
  if (output === 'json') io.out(JSON.stringify(lintJson(r), null, 2));
  else {
    // Loading's warnings and errors are for the reader, on stderr; SARIF carries them as notifications too.
    for (const issue of r.issues) io.err(formatIssue(issue));
    if (output === 'sarif') io.out(JSON.stringify(formatSarif(r, { checks: LINT_CHECKS, version: netpolVersion() }), null, 2));
    else if (r.cluster) for (const line of formatLintText(r.findings, r.suppressed)) io.out(line);
  }
  if (!r.cluster) {
    if (output === 'text') io.err(`netpol: ${r.issues.filter((i) => i.severity === 'error').length} error(s); nothing was linted`);
    return EXIT.badInput;
  }
  return failsAt(r.findings, failOn as LintSeverity | 'none') ? EXIT.denied : EXIT.ok;
}
