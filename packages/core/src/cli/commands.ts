/** The validate, verdict, explain and matrix subcommands. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { connectivityMatrix, parsePortSpec, verdictTier, type Matrix } from '../analysis/matrix.js';
import { formatIP } from '../ip/address.js';
import { formatIssue } from '../load/issues.js';
import { parseFlowRecord } from '../flow/record.js';
import { hasPorts, parseProtocol, protocolName } from '../model/protocol.js';
import { closestKey } from '../model/check-options.js';
import { ServiceIndex } from '../model/services.js';
import { ReferenceEvaluator } from '../reference/evaluator.js';
import { withSuggestions } from '../analysis/suggest.js';
import { expandedExplanation, expandedVerdict } from './service-flows.js';
import {
  checkStdin,
  createEngine,
  ENGINE_HELP,
  ENGINE_OPTIONS,
  evaluationOptions,
  EXIT,
  EXIT_HELP,
  EXIT_HELP_NO_VERDICTS,
  FILE_NAMESPACES,
  flowNamespaces,
  GIVEN_NAMESPACES,
  INPUT_HELP,
  inputNamespaces,
  INPUT_OPTIONS,
  loadInput,
  outputFormat,
  readInput,
  UsageError,
} from './common.js';
import { endpointText, explanationText, ignoringText } from './explain-text.js';
import { ignoredObjectKey, type Cluster } from '../model/types.js';
import { flowEcho, MAX_FLOW_LINE_BYTES, readFlowLines, verdictEcho } from './flows-input.js';
import { IMAGE_HELP, IMAGE_OPTIONS, refuseImage } from './image-input.js';
import { verdictFromImage } from './verdict-image.js';

export interface IO {
  out(line: string): void;
  err(line: string): void;
}

/**
 * parseArgs, with its errors turned into usage errors (exit 2). A command that reads -f and -n
 * gets the namespace of each -f beside its values (FILE_NAMESPACES, from the order of the options).
 */
export function parseCli<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  let parsed: ReturnType<typeof parseArgs<T>>;
  const namespaced = config.options?.['namespace'] !== undefined;
  try {
    parsed = parseArgs(namespaced ? { ...config, tokens: true } : config);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (namespaced) {
    const tokens = (parsed as { tokens?: { kind: string; name?: string; value?: string }[] }).tokens ?? [];
    const given = tokens.flatMap((t) => (t.kind === 'option' && t.name === 'namespace' && t.value !== undefined ? [t.value] : []));
    Object.assign(parsed.values, { [GIVEN_NAMESPACES]: given });
    const perFile = config.options?.['file'] !== undefined ? inputNamespaces(tokens) : undefined;
    if (perFile) Object.assign(parsed.values, { [FILE_NAMESPACES]: perFile });
    // Without -f (diff's sides) -n is one namespace for everything: a second, different one would silently win.
    const distinct = [...new Set(given)];
    if (config.options?.['file'] === undefined && distinct.length > 1)
      throw new UsageError(`-n is given ${distinct.length} different namespaces (${distinct.join(', ')}): this command reads one, for every file`);
  }
  return parsed;
}

export const VALIDATE_HELP = `Usage: netpol validate -f <file|dir>... [--strict] [-o text|json]

Loads Namespaces, Pods, Nodes, NetworkPolicies, the cluster-scoped policies
(ClusterNetworkPolicy, AdminNetworkPolicy, BaselineAdminNetworkPolicy) and the pod templates of
workloads (Deployment, ReplicaSet, StatefulSet, DaemonSet, ReplicationController, Job,
CronJob), Services and EndpointSlices, and checks them as the API server would, listing every problem with file, line,
object and field path. Policies of APIs netpol cannot evaluate (Cilium, Calico, Antrea...) are
errors unless ignored explicitly; the summary lists what was ignored. Ingress and Route
objects are skipped with a warning (traffic they route is judged as the ingress controller's).

${INPUT_HELP}
  -o, --output <fmt>       text (default) or json

${EXIT_HELP_NO_VERDICTS}`;

/** `, 3 workloads (2 Deployment, 1 CronJob)` in input order of kinds; empty without workloads (the NetworkPolicy-only summary is unchanged). */
function workloadSummary(workloads: Cluster['workloads']): string {
  if (!workloads) return '';
  const byKind = new Map<string, number>();
  for (const w of workloads) byKind.set(w.kind, (byKind.get(w.kind) ?? 0) + 1);
  return `, ${workloads.length} workloads (${[...byKind].map(([kind, n]) => `${n} ${kind}`).join(', ')})`;
}

/** `, 12 services, 3 endpoint slices`, each part only when the input holds such objects (the NetworkPolicy-only summary is unchanged). */
function serviceSummary(c: Cluster): string {
  const services = c.services ? `, ${c.services.length} services` : '';
  return c.endpointSlices ? `${services}, ${c.endpointSlices.length} endpoint slices` : services;
}

/** The summary line of the objects loaded with --ignore-unsupported-policies (the first 20 named). */
function ignoredSummary(objects: NonNullable<Cluster['ignoredObjects']>): string {
  const named = objects.slice(0, 20).map(ignoredObjectKey);
  const more = objects.length > named.length ? `, and ${objects.length - named.length} more` : '';
  return `ignored: ${objects.length} object(s) of policy APIs netpol cannot evaluate; verdicts do not account for them: ${named.join(', ')}${more}`;
}

export function validate(args: string[], io: IO): number {
  const { values } = parseCli({ args, strict: true, options: { ...INPUT_OPTIONS, output: { type: 'string', short: 'o' } } });
  if (values.help) return (io.out(VALIDATE_HELP), EXIT.ok);
  const output = outputFormat(values.output, ['text', 'json']);
  const r = readInput(values);
  const errors = r.issues.filter((i) => i.severity === 'error').length;
  const warnings = r.issues.length - errors;
  if (output === 'json') {
    const c = r.cluster;
    const counts = c && {
      namespaces: c.namespaces.length,
      pods: c.pods.length,
      nodes: c.nodes.length,
      policies: c.policies.length,
      clusterPolicies: c.clusterPolicies?.length ?? 0,
      ...(c.workloads && { workloads: c.workloads.length }),
      ...(c.services && { services: c.services.length }),
      ...(c.endpointSlices && { endpointSlices: c.endpointSlices.length }),
    };
    const ignoredObjects = c?.ignoredObjects;
    io.out(
      JSON.stringify(
        { schemaVersion: 1, valid: !!c, errors, warnings, ...(counts && { counts }), ...(ignoredObjects && { ignoredObjects }), issues: r.issues },
        null,
        2,
      ),
    );
  } else {
    for (const i of r.issues) io.out(formatIssue(i));
    if (r.cluster) {
      const c = r.cluster;
      const tiers = c.clusterPolicies ? `, ${c.clusterPolicies.length} cluster-scoped policies` : '';
      io.out(
        `valid: ${c.namespaces.length} namespaces, ${c.pods.length} pods${workloadSummary(c.workloads)}${serviceSummary(c)}, ${c.nodes.length} nodes, ${c.policies.length} network policies${tiers} (${warnings} warning(s))`,
      );
      if (c.ignoredObjects) io.out(ignoredSummary(c.ignoredObjects));
    } else io.out(`invalid: ${errors} error(s), ${warnings} warning(s)`);
  }
  return r.cluster ? EXIT.ok : EXIT.badInput;
}

export const VERDICT_HELP = `Usage: netpol verdict -f <file|dir>... [--flows <file|->] [--fail-on-deny]
       netpol verdict --image <file> [--flows <file|->] [--fail-on-deny]

Reads flows as JSON Lines ({"src": "10.0.0.1" | "ns/pod", "dst": ..., "protocol": "TCP",
"port": 80}) and prints one JSON line per flow. A pod named without its namespace ("client")
is looked up in the -n namespaces (default: default); "port" may be a string ("8080") or a
container port name of the destination pod ("http": its protocol too, unless "protocol" is
given); a Succeeded or Failed pod is an error (it holds no address). Out: the input fields
plus "allowed" and the per-direction decisions "egress" and "ingress" (allowed, denied,
not-isolated, not-applicable, and admin-allowed, admin-denied, baseline-allowed,
baseline-denied when a cluster-scoped tier decided), plus "decidedBy": "admin" or "baseline" when that tier decided the flow. When the
input held policies of other APIs (loaded with the opt-out), every line carries "ignoring".
A flow that cannot be evaluated gets a line with "line", its recognised input fields (src,
dst, protocol, port, icmpType, established; long strings cut) and "error", and no verdict;
the other lines are still evaluated (exit 2 at the end). A line longer than ${MAX_FLOW_LINE_BYTES} bytes is
not read (an error for that line); extra fields nested deeper than 64 levels are not echoed.

Services and endpoints: "dst" may be "svc:namespace/name:port" (the Service port by number or
name), or a Service address (ClusterIP, external or load-balancer IP, a node address with a
nodePort) with one of its ports: the flow is judged after kube-proxy's DNAT, once per backend
(EndpointSlices in the input, else the Service's selector over pods and workloads) at its
target port, and the line carries "allowed" (every backend allows, and there is one), "some",
"service" and "backends" (each with its verdict) instead of "egress"/"ingress". An end may also
be an endpoint "namespace/name[Kind]" (a workload, or namespace/pod[Pod]) or a pod without an
address: every pod pair is judged and listed under "pairs". See docs/services.md.

${INPUT_HELP}
      --flows <file|->     flow records (default: stdin)
      --fail-on-deny       exit 1 when any flow is denied
${ENGINE_HELP}

${IMAGE_HELP}

${EXIT_HELP}`;

export async function verdict(args: string[], io: IO): Promise<number> {
  const { values } = parseCli({
    args,
    strict: true,
    options: { ...INPUT_OPTIONS, ...ENGINE_OPTIONS, ...IMAGE_OPTIONS, flows: { type: 'string' }, 'fail-on-deny': { type: 'boolean' } },
  });
  if (values.help) return (io.out(VERDICT_HELP), EXIT.ok);
  const source = values.flows ?? '-';
  checkStdin(values, source);
  if (values.image !== undefined) return verdictFromImage(values, source, io);
  const cluster = loadInput(values, io.err);
  if (!cluster) return EXIT.badInput;
  const engine = createEngine(cluster, values);
  const services = new ServiceIndex(cluster);
  let denied = 0;
  let bad = 0;
  for await (const { line, record, jsonError } of readFlowLines(source)) {
    const parsed = jsonError
      ? { ok: false as const, error: jsonError }
      : parseFlowRecord(record, engine.index, services, { namespaces: flowNamespaces(values) });
    if (!parsed.ok) {
      bad++;
      io.err(`${source === '-' ? '<stdin>' : source}:${line}: ${parsed.error}`);
      // Only the recognised fields: a caller's own "allowed" must not sit beside an error.
      io.out(JSON.stringify({ line, ...flowEcho(record), error: parsed.error }));
      continue;
    }
    if (parsed.kind !== 'flow') {
      // A Service (judged per backend after DNAT) or endpoints of several or address-less pods.
      const v = expandedVerdict(engine, services, parsed);
      if (!v.allowed) denied++;
      io.out(JSON.stringify({ ...verdictEcho(record), ...v, ...ignoringField(cluster) }));
      continue;
    }
    const v = engine.verdict(parsed.flow);
    if (!v.allowed) denied++;
    const tier = verdictTier(v);
    const decidedBy = tier === 'admin' || tier === 'baseline' ? { decidedBy: tier } : {};
    io.out(JSON.stringify({ ...verdictEcho(record), allowed: v.allowed, egress: v.egress, ingress: v.ingress, ...decidedBy, ...ignoringField(cluster) }));
  }
  if (bad > 0) return EXIT.badInput;
  return denied > 0 && values['fail-on-deny'] ? EXIT.denied : EXIT.ok;
}

export const EXPLAIN_HELP = `Usage: netpol explain -f <file|dir>... (--src <ip|ns/pod> --dst <ip|ns/pod> [--protocol P] [--port N] | --flows <file|->) [-o text|json]

For each flow, per direction: the decision, the policies that isolate the pod, the rule that
allowed it (policy, direction, rule, peer and port index) or, for a deny, every candidate
rule and why it failed, then suggestions: the smallest changes found that would allow the
flow, each checked against the reference evaluator (nothing is applied).

${INPUT_HELP}
      --src, --dst         the two ends: an IP, namespace/pod or namespace/name[Kind]; a pod
                           or name[Kind] without namespace/ is looked up in the -n namespaces
                           (default: default); --dst also svc:namespace/name:port (a Service:
                           judged per backend)
      --protocol <p>       TCP (default), UDP, SCTP, ICMP, ICMPv6 or a number
      --port <n|name>      destination port, required for TCP, UDP and SCTP: a number, or a
                           container port name of the destination pod (--port http)
      --flows <file|->     JSON Lines flows instead of --src/--dst
  -o, --output <fmt>       text (default) or json (one JSON object per line)
      --fail-on-deny       exit 1 when any flow is denied
      --no-suggestions     leave the suggestions out (each is checked by judging the flow
                           again on a changed copy of the cluster: for many denied flows on a
                           large cluster, that is most of the time)
${ENGINE_HELP}

${EXIT_HELP}`;

/**
 * `explain --src --dst` of a TCP, UDP or SCTP flow needs `--port` (a flow without one would
 * match only port-less rules: an answer to a question nobody asked), unless `--dst` names a
 * Service port (`svc:ns/name:port`).
 */
function requirePort(values: { protocol?: string; port?: string; dst?: string }): void {
  const protocol = parseProtocol(values.protocol ?? 'TCP');
  if (values.port !== undefined || protocol === undefined || !hasPorts(protocol) || /^svc:[^:]+:[^:]+$/.test(values.dst ?? '')) return;
  throw new UsageError(
    `--port is required for a ${protocolName(protocol)} flow (the destination port: a number, or a container port name of the destination pod)`,
  );
}

export async function explain(args: string[], io: IO): Promise<number> {
  const { values } = parseCli({
    args,
    strict: true,
    options: {
      ...INPUT_OPTIONS,
      ...ENGINE_OPTIONS,
      src: { type: 'string' },
      dst: { type: 'string' },
      protocol: { type: 'string' },
      port: { type: 'string' },
      flows: { type: 'string' },
      output: { type: 'string', short: 'o' },
      'fail-on-deny': { type: 'boolean' },
      'no-suggestions': { type: 'boolean' },
      image: { type: 'string' },
    },
  });
  if (values.help) return (io.out(EXPLAIN_HELP), EXIT.ok);
  refuseImage(values, 'explain', 'it names the policies and rules behind each decision');
  if (values.flows === undefined && (values.src === undefined || values.dst === undefined)) {
    throw new UsageError('give a flow with --src and --dst, or flows with --flows');
  }
  if (values.flows === undefined) requirePort(values);
  const output = outputFormat(values.output, ['text', 'json']);
  checkStdin(values, values.flows);
  const cluster = loadInput(values, io.err);
  if (!cluster) return EXIT.badInput;
  const engine = createEngine(cluster, values);
  const services = new ServiceIndex(cluster);
  let reference: ReferenceEvaluator | undefined;
  const records: AsyncIterable<{ line: number; record: unknown; jsonError?: string }> =
    values.flows !== undefined
      ? readFlowLines(values.flows)
      : (async function* () {
          const port = values.port === undefined ? undefined : /^[0-9]+$/.test(values.port) ? Number(values.port) : values.port;
          yield { line: 0, record: { src: values.src, dst: values.dst, protocol: values.protocol ?? 'TCP', ...(port !== undefined && { port }) } };
        })();
  let denied = 0;
  let bad = 0;
  let first = true;
  for await (const { line, record, jsonError } of records) {
    const parsed = jsonError
      ? { ok: false as const, error: jsonError }
      : parseFlowRecord(record, engine.index, services, { namespaces: flowNamespaces(values) });
    if (!parsed.ok) {
      bad++;
      io.err(`${line ? `line ${line}: ` : ''}${parsed.error}`);
      continue;
    }
    if (parsed.kind !== 'flow') {
      // The compiled dataplane explains address pairs; the reference explains pairs with a pod without an address.
      const x = expandedExplanation(engine, services, parsed, () => (reference ??= new ReferenceEvaluator(cluster, evaluationOptions(values))));
      if (!x.allowed) denied++;
      if (output === 'json') io.out(JSON.stringify({ ...x.json, ...ignoringField(cluster) }));
      else {
        if (!first) io.out('');
        first = false;
        io.out(x.text);
      }
      continue;
    }
    const explained = engine.explain(parsed.flow);
    const e = {
      ...(values['no-suggestions'] ? explained : withSuggestions(cluster, parsed.flow, explained, evaluationOptions(values))),
      ...ignoringField(cluster),
    };
    if (!e.allowed) denied++;
    if (output === 'json') io.out(JSON.stringify(e));
    else {
      if (!first) io.out('');
      first = false;
      io.out(
        explanationText(e, {
          src: endpointText(engine.index, formatIP(parsed.flow.src), parsed.flow.src),
          dst: endpointText(engine.index, formatIP(parsed.flow.dst), parsed.flow.dst),
        }),
      );
    }
  }
  if (bad > 0) return EXIT.badInput;
  return denied > 0 && values['fail-on-deny'] ? EXIT.denied : EXIT.ok;
}

export const MATRIX_HELP = `Usage: netpol matrix -f <file|dir>... [--port <spec>]... [--in <namespace>]... [-o text|json]

Pod-to-pod connectivity: for each port spec, a grid whose rows are sources and columns are
destinations ('Y' = a connection may be opened, '.' = denied; where a cluster-scoped tier
decided: 'A'/'a' allowed/denied by an Admin rule, 'B'/'b' by a Baseline rule). A workload
with no pod in the input (manifests before deployment) is one row and column,
'namespace/name[Kind]', judged on its template without an address.

${INPUT_HELP}
      --port <spec>        80, TCP/80, UDP/53, SCTP/9, ICMP (repeatable; default TCP/80)
      --in <namespace>     rows (sources) only of this namespace's pods, columns of every
                           namespace, so its cross-namespace traffic stays in view
                           (repeatable); a namespace the input lacks is an error
  -o, --output <fmt>       text (default) or json
${ENGINE_HELP}

${EXIT_HELP_NO_VERDICTS}`;

/** A cell: Y/. as NetworkPolicy (or nothing) decided; A/a, B/b when an Admin or Baseline rule did. */
const CELL = { admin: ['a', 'A'], baseline: ['b', 'B'], networkpolicy: ['.', 'Y'] } as const;

export function matrixText(m: Matrix): string[] {
  const columns = m.columns ?? m.pods;
  // A row is numbered as its column (rows of some namespaces: the columns not among them are listed after the grid).
  const number = m.columns ? new Map(columns.map((c, j) => [c, j])) : undefined;
  const width = Math.max(4, ...m.pods.map((p) => p.length));
  const idx = (i: number): string => String(i + 1).padStart(2);
  const legend = m.decidedBy ? '; A/a allowed/denied by an Admin rule, B/b by a Baseline rule' : '';
  const lines = [`${m.port}  (rows: from, columns: to; Y allowed, . denied${legend})`];
  lines.push(`${' '.repeat(width + 4)} ${columns.map((_, j) => idx(j)).join(' ')}`);
  const cell = (i: number, j: number): string => CELL[m.decidedBy?.[i]?.[j] ?? 'networkpolicy'][m.allowed[i]![j] ? 1 : 0];
  m.pods.forEach((p, i) => lines.push(`${idx(number?.get(p) ?? i)} ${p.padEnd(width)}  ${columns.map((_, j) => ` ${cell(i, j)}`).join(' ')}`));
  if (m.columns) {
    const rows = new Set(m.pods);
    const others = columns.flatMap((c, j) => (rows.has(c) ? [] : [`${idx(j)} ${c}`]));
    if (others.length > 0) lines.push('columns not among the rows:', ...others);
  }
  return lines;
}

/** `{ ignoring: [...] }` when the cluster was loaded ignoring objects of other policy APIs, else `{}`. */
function ignoringField(cluster: Cluster): { ignoring?: string[] } {
  const ignored = cluster.ignoredObjects ?? [];
  return ignored.length > 0 ? { ignoring: ignored.map(ignoredObjectKey) } : {};
}

/** `--in NS` of a namespace the input does not hold (nor any object of it refers to) is a usage error naming those it does. */
function knownNamespace(cluster: Cluster, ns: string): void {
  const known = cluster.namespaces.map((n) => n.name).sort();
  if (known.includes(ns)) return;
  const close = closestKey(ns, known);
  const list = known.length > 20 ? `${known.slice(0, 20).join(', ')} and ${known.length - 20} more` : known.join(', ') || 'none';
  throw new UsageError(
    `--in ${JSON.stringify(ns)}: no such namespace in the input${close ? ` (did you mean ${JSON.stringify(close)}?)` : ''}; namespaces: ${list}`,
  );
}

export function matrix(args: string[], io: IO): number {
  const { values } = parseCli({
    args,
    strict: true,
    options: {
      ...INPUT_OPTIONS,
      ...ENGINE_OPTIONS,
      port: { type: 'string', multiple: true },
      in: { type: 'string', multiple: true },
      output: { type: 'string', short: 'o' },
      image: { type: 'string' },
    },
  });
  if (values.help) return (io.out(MATRIX_HELP), EXIT.ok);
  refuseImage(values, 'matrix', 'its rows and columns are the pods of the manifests');
  const output = outputFormat(values.output, ['text', 'json']);
  const specs = (values.port ?? ['TCP/80']).map((s) => {
    const spec = parsePortSpec(s);
    if (!spec) throw new UsageError(`bad --port ${JSON.stringify(s)}: use 80, TCP/80, UDP/53 or ICMP`);
    return spec;
  });
  const cluster = loadInput(values, io.err);
  if (!cluster) return EXIT.badInput;
  for (const ns of values.in ?? []) knownNamespace(cluster, ns);
  // Rows of --in's namespaces, columns of all: their traffic to other namespaces stays in view.
  const matrices = connectivityMatrix(createEngine(cluster, values), specs, { rows: values.in });
  // An empty grid with exit 0 looks like an answer: say why there is nothing in it.
  if (matrices[0]?.pods.length === 0) {
    const where = values.in ? `in namespace ${values.in.join(', ')}` : 'in the input';
    io.err(`warning: the grid is empty: no pod or workload ${where} (hostNetwork and finished pods are not in it)`);
  }
  const { ignoring } = ignoringField(cluster);
  if (output === 'json') io.out(JSON.stringify({ schemaVersion: 1, ...(ignoring && { ignoring }), matrices }, null, 2));
  else {
    if (ignoring) io.out(ignoringText(ignoring));
    matrices.forEach((m, i) => [...(i > 0 ? [''] : []), ...matrixText(m)].forEach((l) => io.out(l)));
  }
  return EXIT.ok;
}
