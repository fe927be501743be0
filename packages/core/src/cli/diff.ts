/** The diff subcommand: what changes in allowed connectivity between two manifest sets (a thin shell over analysis/diff.ts). */
import { diffClusters } from '../analysis/cluster-diff.js';
import type { ConnectivityOptions } from '../analysis/connectivity.js';
import { DIFF_FORMATS, diffLines } from '../analysis/diff-format.js';
import { formatIssue } from '../load/issues.js';
import type { Cluster } from '../model/types.js';
import { parseCli, type IO } from './commands.js';
import { CONNLIST_HELP_OPTIONS, CONNLIST_OPTIONS, connectivityOptions } from './connlist.js';
import { EXIT, INPUT_HELP, INPUT_OPTIONS, outputFormat, readInput, UsageError } from './common.js';

// -f and -R do not apply: the sides are --dir1/--dir2 (or positional), and directories are always read recursively.
const { file: _file, recursive: _recursive, ...SIDE_OPTIONS } = INPUT_OPTIONS;

export const DIFF_HELP = `Usage: netpol diff --dir1 <path> --dir2 <path> [options]
       netpol diff <path1> <path2> [options]

What changes in allowed connectivity from the first manifest set (dir1, e.g. the base branch)
to the second (dir2, the proposal): for every pair of endpoints whose connections were
changed, added or removed, both sides' connections, and which workloads are new or gone.
np-guard netpol-analyzer's \`diff\`, with the same output; connlist's endpoints and semantics.

Each side is a directory (read recursively), a manifest file, or several of them
(--dir1 repeatable); '-' (stdin) for one side at most. Git revisions: check them out or
export their files (git show REV:path > file) and pass the paths.

${INPUT_HELP.replace(/\n {2}-f, --file[^\n]*\n/, '\n').replace(/\n {2}-R, --recursive[^\n]*\n/, '\n')}
      --dir1 <path>        the first manifest set (or the first positional path)
      --dir2 <path>        the second manifest set (or the second positional path)
${CONNLIST_HELP_OPTIONS}
  -o, --output <fmt>       txt (default), json, csv, md or dot
      --fail-on-change     exit 1 when some connection changed (a CI gate for a pull request)

Exit codes: 0 ok (changed or not, without --fail-on-change), 1 something changed and
--fail-on-change was given, 2 bad input or usage: either side invalid (every problem of both is
listed; nothing is compared).`;

/** The two sides' paths: --dir1/--dir2, else the positional paths in order. */
function sides(values: { dir1?: string[]; dir2?: string[] }, positionals: string[]): [string[], string[]] {
  const rest = [...positionals];
  const dir1 = values.dir1 ?? (rest.length > 0 ? [rest.shift()!] : []);
  const dir2 = values.dir2 ?? (rest.length > 0 ? [rest.shift()!] : []);
  if (rest.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(rest[0])}: give two manifest sets, --dir1 A --dir2 B or A B`);
  if (dir1.length === 0 || dir2.length === 0) throw new UsageError('give two manifest sets: --dir1 <path> --dir2 <path>, or two paths');
  if (dir1.includes('-') && dir2.includes('-')) throw new UsageError('only one side can come from stdin (-)');
  return [dir1, dir2];
}

export function diff(args: string[], io: IO): number {
  const { values, positionals } = parseCli({
    args,
    strict: true,
    allowPositionals: true,
    options: {
      ...SIDE_OPTIONS,
      ...CONNLIST_OPTIONS,
      dir1: { type: 'string', multiple: true },
      dir2: { type: 'string', multiple: true },
      output: { type: 'string', short: 'o' },
      'fail-on-change': { type: 'boolean' },
    },
  });
  if (values.help) return (io.out(DIFF_HELP), EXIT.ok);
  const format = outputFormat(values.output, DIFF_FORMATS);
  const [dir1, dir2] = sides(values, positionals);
  const options: ConnectivityOptions = connectivityOptions(values);
  // Both sides are read and every problem of both is printed (each line naming its side) before anything is compared.
  const clusters: (Cluster | undefined)[] = [];
  const errors: string[] = [];
  for (const [name, paths] of [
    ['dir1', dir1],
    ['dir2', dir2],
  ] as const) {
    const r = readInput({ ...values, file: paths, recursive: true });
    for (const issue of r.issues) io.err(`${name}: ${formatIssue(issue)}`);
    if (!r.cluster) errors.push(`${name}: ${r.issues.filter((i) => i.severity === 'error').length} error(s)`);
    clusters.push(r.cluster);
  }
  if (errors.length > 0) {
    io.err(`netpol: ${errors.join(', ')}; nothing was compared`);
    return EXIT.badInput;
  }
  const { changes, warnings, ignoreOtherProtocols } = diffClusters(clusters[0]!, clusters[1]!, { ...options, unchanged: format === 'dot' });
  warnings.forEach((side, i) => side.forEach((w) => io.err(`dir${i + 1}: warning: ${w}`))); // as the loading issues: the side first
  for (const line of diffLines(changes, format, { ref1: 'dir1', ref2: 'dir2', ignoreOtherProtocols })) io.out(line);
  const changed = changes.some((c) => c.kind !== 'unchanged');
  return changed && values['fail-on-change'] ? EXIT.denied : EXIT.ok;
}
