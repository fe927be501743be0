/** Options shared by the subcommands, and loading with every issue printed to stderr. */
import { formatIssue, type Issue } from '../load/issues.js';
import { readSync } from 'node:fs';
import { loadObjects, type LoadOptions, type LoadResult } from '../load/load.js';
import { fromInput, listManifestFiles, readFiles, readText, tooLarge, type RawObject } from '../load/read.js';
import { DEFAULT_MAX_INPUT_BYTES, DEFAULT_MAX_YAML_TOKENS } from '../load/limits.js';
import type { Cluster } from '../model/types.js';
import { ReferenceEvaluator } from '../reference/evaluator.js';
import { CompiledDataplane } from '../dataplane/compiled.js';
import type { EvaluationOptions } from '../model/options.js';
import type { Engine } from '../analysis/engine.js';
import { binaryReason, fileBinaryReason, notTextIssue } from './binary-input.js';

/** A command line netpol cannot run (unknown flag, missing input): exit 2 with the usage hint. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Exit codes, as documented in every --help. */
export const EXIT = { ok: 0, denied: 1, badInput: 2 } as const;

export const INPUT_OPTIONS = {
  file: { type: 'string', short: 'f', multiple: true },
  recursive: { type: 'boolean', short: 'R' },
  namespace: { type: 'string', short: 'n' },
  strict: { type: 'boolean' },
  'ignore-unsupported-policies': { type: 'boolean' },
  'max-input-bytes': { type: 'string' },
  'max-yaml-tokens': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const ENGINE_OPTIONS = {
  engine: { type: 'string' },
  'ipblock-excludes-pods': { type: 'boolean' },
  'allow-egress-to-local-node': { type: 'boolean' },
  'ignore-init-container-ports': { type: 'boolean' },
  'ipv4-mapped-as-ipv4': { type: 'boolean' },
  'allow-icmpv6-nd': { type: 'boolean' },
} as const;

export const INPUT_HELP = `Input:
  -f, --file <path>        manifest file or directory (YAML or JSON; repeatable; '-' is stdin)
  -R, --recursive          descend into subdirectories
  -n, --namespace <ns>     namespace for objects without one (default: default). It applies
                           to the -f files after it, up to the next -n (-n a -f x.yaml -n b
                           -f x.yaml loads x.yaml into both; files before the first -n are in
                           default); a -n after every -f applies to all of them. A pod named
                           without a namespace in a flow is looked up in the -n namespaces
      --strict             reject legacy CIDR forms, as a 1.36 API server does on create,
                           and unknown kinds in the networking.k8s.io policy group
      --ignore-unsupported-policies
                           evaluate without the policies of APIs netpol cannot evaluate
                           (Cilium, Calico, Antrea, MultiNetworkPolicy, EgressFirewall...):
                           a warning each instead of an error; verdicts say they ignore them
      --max-input-bytes <n>
                           refuse a manifest file (or stdin) larger than n bytes
                           (default 67108864, 64 MiB)
      --max-yaml-tokens <n>
                           refuse a YAML file of more than n tokens (default 5000000,
                           about 16 MB; JSON input has no such limit)`;

export const ENGINE_HELP = `Evaluation:
      --engine <name>      compiled (default: the flat-table dataplane), native (the same tables
                           in the C++ addon, batches only) or reference (spec-direct)
      --ipblock-excludes-pods        ipBlock never matches pod or node IPs (Cilium)
      --allow-egress-to-local-node   pod -> own node egress bypasses policy
      --ignore-init-container-ports  named ports resolve on regular containers only
      --ipv4-mapped-as-ipv4          treat ::ffff:a.b.c.d flow addresses as IPv4
      --allow-icmpv6-nd              always allow ICMPv6 neighbour discovery (133-137)`;

export const EXIT_HELP = `Exit codes: 0 ok, 1 something was denied (with --fail-on-deny), 2 bad input or usage.`;
/** The exit-code line of the commands that judge no flow (validate, matrix, compile): they never exit 1. */
export const EXIT_HELP_NO_VERDICTS = `Exit codes: 0 ok, 2 bad input or usage.`;

type Values = Record<string, string | boolean | string[] | undefined>;

/** A `--name <n>` option that must be a positive integer; `dflt` when absent. */
export function positiveInt(v: string | undefined, name: string, dflt: number): number {
  if (v === undefined) return dflt;
  if (!/^[0-9]+$/.test(v) || !Number.isSafeInteger(Number(v)) || Number(v) < 1) throw new UsageError(`--${name} must be a positive integer`);
  return Number(v);
}

/**
 * The `-o` format asked for, checked against the ones a command prints (the first is its
 * default): anything else is a usage error naming them, before any input is read.
 */
export function outputFormat<F extends string>(value: string | undefined, formats: readonly [F, ...F[]]): F {
  if (value === undefined) return formats[0];
  if ((formats as readonly string[]).includes(value)) return value as F;
  const choices = formats.length === 2 ? formats.join(' or ') : `${formats.slice(0, -1).join(', ')} or ${formats[formats.length - 1]}`;
  throw new UsageError(`-o must be ${choices}, not ${JSON.stringify(value)}`);
}

/**
 * Manifests (`-f -`) and another input (flows, a capture) cannot both come from standard
 * input: the manifests are read to its end, so nothing would be left for the other. `source` is
 * where the command reads that input from ('-' is stdin); `how` says how to give it as a file.
 */
export function checkStdin(values: Values, source: string | undefined, what = 'flows', how = 'pass the flows with --flows <file>'): void {
  const files = (values['file'] as string[] | undefined) ?? [];
  if (source !== '-' || !files.includes('-')) return;
  throw new UsageError(
    `manifests (-f -) and ${what} cannot both come from stdin: give the manifests as files (-f cluster.yaml) and pipe the ${what}, or keep -f - and ${how}`,
  );
}

/** Standard input up to `max` bytes; undefined (and nothing more read) beyond that. */
function readStdin(max: number): Buffer | undefined {
  const chunks: Buffer[] = [];
  const buf = Buffer.alloc(1 << 16);
  let size = 0;
  for (;;) {
    let n: number;
    try {
      n = readSync(0, buf, 0, buf.length, null);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') continue; // a non-blocking stdin with nothing yet
      if (code === 'EOF') break;
      throw e;
    }
    if (n === 0) break;
    size += n;
    if (size > max) return undefined;
    chunks.push(Buffer.from(buf.subarray(0, n)));
  }
  return Buffer.concat(chunks);
}

/**
 * Where parseCli records the namespace each -f was given with (inputNamespaces), beside the
 * parsed values. A symbol key: it survives `{ ...values }` and is no option name.
 */
export const FILE_NAMESPACES = Symbol('netpol.fileNamespaces');

/** Where parseCli records every -n given, in order (flowNamespaces). */
export const GIVEN_NAMESPACES = Symbol('netpol.givenNamespaces');

/**
 * The namespaces a pod named without one in a flow is looked up in: every -n given (one per
 * group of files), else `default`. A name in several of them is an error (flow/bare-names.ts).
 */
export function flowNamespaces(values: Values): string[] {
  const given = (values as { [GIVEN_NAMESPACES]?: readonly string[] })[GIVEN_NAMESPACES];
  if (given && given.length > 0) return [...new Set(given)];
  return [(values['namespace'] as string | undefined) ?? 'default'];
}

/** The option tokens of parseArgs (`tokens: true`) that inputNamespaces reads. */
type OptionToken = { readonly kind: string; readonly name?: string; readonly value?: string | undefined };

/**
 * The namespace of each -f, in order, from the order of -n and -f on the command line, or
 * undefined when one namespace (the last -n, or `default`) applies to every file:
 * - no -n, or every -n after the last -f: the last -n applies to every file (as before, and as
 *   kubectl's global -n: `-f a.yaml -f b.yaml -n stars` loads both into stars);
 * - otherwise -n applies to the files that follow it, up to the next -n
 *   (`-n stars -f deny.yaml -n client -f deny.yaml` loads deny.yaml into both); files before the
 *   first -n go to `default`, and a -n after the last -f applies to no file: a usage error (a
 *   forgotten -f, or a namespace meant for the whole command line, which belongs before the files).
 */
export function inputNamespaces(tokens: readonly OptionToken[]): (string | undefined)[] | undefined {
  const order = tokens.filter((t) => t.kind === 'option' && (t.name === 'file' || t.name === 'namespace'));
  const lastFile = order.findLastIndex((t) => t.name === 'file');
  const firstNs = order.findIndex((t) => t.name === 'namespace');
  if (firstNs < 0 || lastFile < 0 || firstNs > lastFile) return undefined;
  const trailing = order.slice(lastFile + 1).find((t) => t.name === 'namespace');
  if (trailing)
    throw new UsageError(
      `-n ${trailing.value ?? ''} comes after the last -f: -n applies to the files that follow it (-n stars -f a.yaml -n client -f b.yaml); give it before the files it is for`,
    );
  let namespace = 'default';
  const out: string[] = [];
  for (const t of order) {
    if (t.name === 'namespace') namespace = t.value ?? namespace;
    else out.push(namespace);
  }
  return out;
}

/** Reads and validates every -f input ('-' is stdin), with the shared input options; each -f with its own -n (inputNamespaces). */
export function readInput(values: Values): LoadResult {
  const raw = readRawInput(values);
  return loadObjects(raw.objects, raw.options, raw.issues);
}

/**
 * What readInput loads: the raw objects of every -f (each with its -n), reading's issues and the
 * load options of the command line. `netpol lint` keeps the raw objects: it locates findings in them.
 */
export function readRawInput(values: Values): { objects: RawObject[]; issues: Issue[]; options: LoadOptions } {
  const files = (values['file'] as string[] | undefined) ?? [];
  if (files.length === 0) throw new UsageError('no input: give manifests with -f <file|dir>');
  const maxInputBytes = positiveInt(values['max-input-bytes'] as string | undefined, 'max-input-bytes', DEFAULT_MAX_INPUT_BYTES);
  const maxYamlTokens = positiveInt(values['max-yaml-tokens'] as string | undefined, 'max-yaml-tokens', DEFAULT_MAX_YAML_TOKENS);
  const limits = { maxInputBytes, maxYamlTokens };
  const opts = {
    strict: values['strict'] === true,
    defaultNamespace: (values['namespace'] as string | undefined) ?? 'default',
    recursive: values['recursive'] === true,
    ignoreUnsupportedPolicies: values['ignore-unsupported-policies'] === true,
    ...limits,
  };
  const namespaces = (values as { [FILE_NAMESPACES]?: readonly (string | undefined)[] })[FILE_NAMESPACES];
  let issues: Issue[] = [];
  let readIssues: Issue[] = [];
  const objects: RawObject[] = [];
  files.forEach((path, i) => {
    if (path === '-') return;
    // Listed here rather than by readFiles so that a binary file is one issue, not a parse error per token.
    const listed = listManifestFiles([path], opts.recursive);
    issues = issues.concat(listed.issues);
    const text = listed.files.filter((f) => {
      const reason = fileBinaryReason(f);
      if (reason !== undefined) issues.push(notTextIssue(f, reason));
      return reason === undefined;
    });
    const read = readFiles(text, false, limits);
    fromInput(objects, read.objects, namespaces?.[i], `-f #${i + 1}`);
    readIssues = readIssues.concat(read.issues);
  });
  const stdin = files.indexOf('-');
  if (stdin >= 0) {
    const bytes = readStdin(maxInputBytes);
    const reason = bytes && binaryReason(bytes);
    const fromStdin =
      bytes === undefined
        ? { objects: [], issues: [tooLarge('<stdin>', maxInputBytes)] }
        : reason !== undefined
          ? { objects: [], issues: [notTextIssue('<stdin>', reason)] }
          : readText(bytes.toString('utf8'), '<stdin>', limits);
    fromInput(objects, fromStdin.objects, namespaces?.[stdin], `-f #${stdin + 1}`);
    readIssues = readIssues.concat(fromStdin.issues);
  }
  return { objects, issues: issues.concat(readIssues), options: opts };
}

/** Loads the cluster or prints every problem and returns undefined. Warnings go to stderr too. */
export function loadInput(values: Values, stderr: (s: string) => void): Cluster | undefined {
  const r = readInput(values);
  for (const issue of r.issues) stderr(formatIssue(issue));
  if (!r.cluster) {
    const n = r.issues.filter((i) => i.severity === 'error').length;
    stderr(`netpol: ${n} error(s); nothing was evaluated`);
  }
  return r.cluster;
}

export function evaluationOptions(values: Values): EvaluationOptions {
  return {
    ipBlockMatchesPods: values['ipblock-excludes-pods'] !== true,
    allowEgressToLocalNode: values['allow-egress-to-local-node'] === true,
    initContainerPorts: values['ignore-init-container-ports'] !== true,
    ipv4MappedAsIPv4: values['ipv4-mapped-as-ipv4'] === true,
    allowICMPv6NeighborDiscovery: values['allow-icmpv6-nd'] === true,
  };
}

export function createEngine(cluster: Cluster, values: Values, options: EvaluationOptions = evaluationOptions(values)): Engine {
  const name = (values['engine'] as string | undefined) ?? 'compiled';
  if (name === 'compiled') return new CompiledDataplane(cluster, options);
  // Every verdict goes through the C++ kernel (as a batch of one); explain stays in JS.
  if (name === 'native') {
    let dp: CompiledDataplane;
    try {
      dp = new CompiledDataplane(cluster, { ...options, native: 'require' });
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    const engine: Engine = { index: dp.index, verdict: (f) => dp.verdictNative(f), explain: (f) => dp.explain(f) };
    return Object.assign(engine, { verdictBetween: dp.verdictBetween.bind(dp) }); // workloads without pods (matrix)
  }
  if (name === 'reference') return new ReferenceEvaluator(cluster, options);
  throw new UsageError(`unknown engine ${JSON.stringify(name)}: available engines: compiled, native, reference`);
}
