/** The connlist subcommand: every allowed connection between endpoints, as netpol-analyzer's `list` prints it. */
import { connectivity, type ConnectivityOptions } from '../analysis/connectivity.js';
import { CONNLIST_FORMATS, connlistLines } from '../analysis/connlist-format.js';
import { ENGINE_OPTIONS, evaluationOptions, EXIT, INPUT_HELP, INPUT_OPTIONS, loadInput, outputFormat, UsageError } from './common.js';
import { parseCli, type IO } from './commands.js';

/** The help lines of the options connlist and diff share (CONNLIST_OPTIONS). */
export const CONNLIST_HELP_OPTIONS = `      --focus-workload <w> only pairs with this workload on one side: its name, namespace/name or
                           namespace/name[Kind] (repeatable, or comma-separated; --focusworkload
                           is accepted too); a name that matches nothing is a warning
      --focus-workload-peer <w>
                           with --focus-workload: only pairs whose other side is this one
      --focus-namespace <ns>
                           only pairs with an endpoint of this namespace on one side (repeatable)
      --level <level>      workload (default): a workload's connections are those all its pods
                           are allowed (a warning names workloads whose pods differ); pod: one
                           endpoint per pod ('namespace/pod[Pod]')
      --compat netpol-analyzer
                           netpol-analyzer's semantics where they differ from a dataplane's:
                           ipBlocks never match pods, hostNetwork pods are ordinary endpoints,
                           protocols without ports (ICMP...) are not counted
      --ipblock-excludes-pods, --allow-egress-to-local-node, --ignore-init-container-ports,
      --ipv4-mapped-as-ipv4, --allow-icmpv6-nd
                           evaluation choices, as for 'netpol verdict'`;

export const CONNLIST_HELP = `Usage: netpol connlist -f <file|dir>... [-o txt|json|csv|md|dot] [--focus-workload <name>]...
                       [--focus-namespace <ns>]... [--level workload|pod] [--compat netpol-analyzer]

Every connection one endpoint may open to another, one line per ordered pair
('src => dst : conns', sorted), as np-guard's netpol-analyzer 'list' prints them. Endpoints are
workloads ('namespace/name[Kind]': Deployments, StatefulSets... with or without pods in the
input; a pod without an owner is 'namespace/name[Pod]') and the address blocks the policies'
ipBlocks and networks cut the rest of the address space into ('first-last[External]').
Connections are 'All Connections' or per protocol ('TCP 80,8080-8090,UDP 53'). Omitted: pairs
with no connection, an endpoint to itself, external to external.

${INPUT_HELP}
      --dir <dir>          a directory read recursively, as netpol-analyzer's --dirpath (accepted
                           too) reads it: as -f <dir> -R (-f directories then recurse too)

Report:
  -o, --output <fmt>       txt (default), json, csv, md or dot (Graphviz, a cluster per namespace)
${CONNLIST_HELP_OPTIONS}

Exit codes: 0 ok (the report may be empty: a warning on stderr says when the input has no
workload or pod, or a focus matches nothing), 2 bad input or usage.`;

/** Values of a repeatable option, each also split at commas (netpol-analyzer's list flags take `a,b`). */
export const list = (values: readonly string[] | undefined): string[] => (values ?? []).flatMap((v) => v.split(',')).filter((v) => v !== '');

const { engine: _engine, ...EVALUATION_FLAGS } = ENGINE_OPTIONS;

/** The options connlist and diff share: focus, level, compat and the evaluation choices. */
export const CONNLIST_OPTIONS = {
  ...EVALUATION_FLAGS,
  'focus-workload': { type: 'string', multiple: true },
  focusworkload: { type: 'string', multiple: true },
  'focus-workload-peer': { type: 'string', multiple: true },
  'focusworkload-peer': { type: 'string', multiple: true },
  'focus-namespace': { type: 'string', multiple: true },
  level: { type: 'string' },
  compat: { type: 'string' },
} as const;

type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;
const strings = (v: Values[string]): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' ? [v] : []);

/** The ConnectivityOptions of parsed CONNLIST_OPTIONS (usage errors for a bad --level or --compat). */
export function connectivityOptions(values: Values): ConnectivityOptions {
  const level = values['level'] ?? 'workload';
  if (level !== 'workload' && level !== 'pod') throw new UsageError(`--level must be workload or pod, not ${JSON.stringify(level)}`);
  const compat = values['compat'];
  if (compat !== undefined && compat !== 'netpol-analyzer') throw new UsageError(`--compat must be netpol-analyzer, not ${JSON.stringify(compat)}`);
  const focusWorkload = list([...strings(values['focus-workload']), ...strings(values['focusworkload'])]);
  const focusWorkloadPeer = list([...strings(values['focus-workload-peer']), ...strings(values['focusworkload-peer'])]);
  // Without a focus workload the peer filter has nothing to pair with: ignoring it would print the whole report.
  if (focusWorkloadPeer.length > 0 && focusWorkload.length === 0)
    throw new UsageError('--focus-workload-peer needs --focus-workload (the workload whose peers it keeps)');
  return {
    ...evaluationOptions(values as Parameters<typeof evaluationOptions>[0]),
    level,
    focusWorkload,
    focusWorkloadPeer,
    focusNamespace: list(strings(values['focus-namespace'])),
    ...(compat === 'netpol-analyzer' && { compat }),
  };
}

export function connlist(args: string[], io: IO): number {
  const { values } = parseCli({
    args,
    strict: true,
    options: {
      ...INPUT_OPTIONS,
      ...CONNLIST_OPTIONS,
      dir: { type: 'string', multiple: true },
      dirpath: { type: 'string', multiple: true },
      output: { type: 'string', short: 'o' },
    },
  });
  if (values.help) return (io.out(CONNLIST_HELP), EXIT.ok);
  const format = outputFormat(values.output, CONNLIST_FORMATS);
  const options = connectivityOptions(values);
  const dirs = [...(values.dir ?? []), ...(values.dirpath ?? [])];
  // netpol-analyzer walks --dirpath to any depth: its users' repositories keep manifests in subdirectories.
  const cluster = loadInput({ ...values, file: [...(values.file ?? []), ...dirs], recursive: values.recursive === true || dirs.length > 0 }, io.err);
  if (!cluster) return EXIT.badInput;
  const report = connectivity(cluster, options);
  for (const w of report.warnings) io.err(`warning: ${w}`);
  for (const line of connlistLines(report.connections(), format, { ignoreOtherProtocols: report.ignoreOtherProtocols, endpoints: report.drawn })) io.out(line);
  return EXIT.ok;
}
