/**
 * `netpol fuzz --emit DIR`: test vectors for other dataplanes (fuzz/test-vectors.ts) written
 * to a directory, one case in DIR itself or, with --runs N > 1, one per DIR/case-0001...
 * An existing non-empty DIR is refused unless --force (as npm and kubectl refuse to clobber),
 * so a typo cannot scatter files over a project. Every case is cross-checked against the
 * engine(s) --engine names; a disagreement is reported (exit 1) after the files are written,
 * since the verdicts written are the reference's either way.
 */
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parsePortSpec, type PortSpec } from '../analysis/matrix.js';
import type { NamedEngineMaker } from '../fuzz/differential.js';
import { TestVectorError, testVectorCases, type TestVectorCase, type TestVectorOptions } from '../fuzz/test-vectors.js';
import { flowToJson } from '../fuzz/to-yaml.js';
import { caseDirectory, testVectorFiles, testVectorIndex } from '../fuzz/vector-files.js';
import type { Cluster } from '../model/types.js';
import type { EvaluationOptions } from '../model/options.js';
import type { IO } from './commands.js';
import { ENGINE_OPTIONS, EXIT, UsageError } from './common.js';

/** What `fuzz` hands over once its own options are parsed. */
export interface EmitParams {
  readonly dir: string;
  readonly force: boolean;
  /** The user's cluster (-f), or undefined for random ones. */
  readonly cluster?: Cluster;
  readonly engines: readonly NamedEngineMaker[];
  readonly engineName: string;
  readonly evaluation: EvaluationOptions;
  readonly seed: number;
  readonly runs: number;
  readonly tiers: number;
  readonly pods?: number;
  readonly policies?: number;
  readonly namespaces?: number;
  readonly ports?: readonly string[];
  readonly maxFlows?: number;
  /** The evaluation flags given (`--ipblock-excludes-pods`...), repeated in the reproduce command. */
  readonly evaluationFlags: readonly string[];
}

/** The boolean evaluation flags set in parsed values, as `--name` (for the reproduce command). */
export function evaluationFlags(values: Record<string, unknown>): string[] {
  return Object.keys(ENGINE_OPTIONS)
    .filter((k) => values[k] === true)
    .map((k) => `--${k}`);
}

/** --port specs, each checked (a usage error names the bad one). */
function portSpecs(texts: readonly string[] | undefined): PortSpec[] | undefined {
  return texts?.map((s) => {
    const spec = parsePortSpec(s);
    if (!spec) throw new UsageError(`bad --port ${JSON.stringify(s)}: use 80, TCP/80, UDP/53 or ICMP`);
    return spec;
  });
}

/** The command that writes the same directory again (DIR stands for any directory: the path is not part of the output). */
function reproduceCommand(p: EmitParams): string {
  const args = ['netpol', 'fuzz', '--emit', 'DIR'];
  if (p.cluster) args.push('-f', 'cluster.yaml');
  // --seed=-5: parseArgs would take a separate -5 for an option.
  else args.push(p.seed < 0 ? `--seed=${p.seed}` : `--seed ${p.seed}`, '--runs', String(p.runs), '--tiers', String(p.tiers));
  if (!p.cluster && p.namespaces !== undefined) args.push('--namespaces', String(p.namespaces));
  if (!p.cluster && p.pods !== undefined) args.push('--pods', String(p.pods));
  if (!p.cluster && p.policies !== undefined) args.push('--policies', String(p.policies));
  for (const port of p.ports ?? []) args.push('--port', port);
  if (p.maxFlows !== undefined) args.push('--max-flows', String(p.maxFlows));
  args.push(...p.evaluationFlags);
  return args.join(' ');
}

/** A file system error while writing (no permission, no space, a path through a file): bad input, not an internal error. */
class WriteError extends Error {}

/** Runs a write, turning its file system error into a WriteError naming the path. */
function writing<T>(path: string, write: () => T): T {
  try {
    return write();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === undefined) throw e;
    throw new WriteError(`cannot write ${path}: ${(e as Error).message}`);
  }
}

/** Refuses a DIR that is a file, or a non-empty directory without --force; creates a missing one. */
function prepareDirectory(dir: string, force: boolean): void {
  let entries: string[] | undefined;
  try {
    if (!statSync(dir).isDirectory()) throw new UsageError(`--emit ${dir}: not a directory`);
    entries = readdirSync(dir);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new UsageError(`--emit ${dir}: ${(e as Error).message}`);
  }
  if (entries && entries.length > 0 && !force) {
    throw new UsageError(`--emit ${dir}: the directory is not empty (${entries.length} entries); give an empty or new directory, or --force to write into it`);
  }
  writing(dir, () => mkdirSync(dir, { recursive: true }));
}

/** Writes every case; exit 0, 1 when an engine disagreed with the reference, 2 for a request out of bounds or a write the file system refuses. */
export function emitVectors(p: EmitParams, io: IO): number {
  const options: TestVectorOptions = {
    ...(p.cluster ? { cluster: p.cluster } : { seed: p.seed, runs: p.runs, maxClusterPolicies: p.tiers }),
    ...(p.pods !== undefined && { maxPods: p.pods }),
    ...(p.policies !== undefined && { maxPolicies: p.policies }),
    ...(p.namespaces !== undefined && { maxNamespaces: p.namespaces }),
    ...(p.ports && { ports: portSpecs(p.ports) }),
    ...(p.maxFlows !== undefined && { maxFlows: p.maxFlows }),
    evaluation: p.evaluation,
    crossCheck: p.engines,
  };
  const provenance = { options, command: reproduceCommand(p) };
  const cases = testVectorCases(options);
  const what = p.cluster ? 'your cluster' : `${p.runs} random cluster(s), seed ${p.seed}`;
  let first: IteratorResult<TestVectorCase>;
  try {
    // The first case before touching the directory: a request out of bounds writes nothing.
    first = cases.next();
  } catch (e) {
    if (e instanceof TestVectorError) throw new UsageError(e.message);
    throw e;
  }
  const several = !p.cluster && p.runs > 1;
  let flows = 0;
  let written = 0;
  let disagreements = 0;
  let last = Date.now();
  try {
    prepareDirectory(p.dir, p.force);
    io.err(`netpol fuzz --emit: test vectors of ${what} to ${p.dir}, cross-checked against ${p.engineName}`);
    for (let r = first; !r.done; r = cases.next()) {
      const c = r.value;
      const dir = several ? join(p.dir, caseDirectory(c.index)) : p.dir;
      writing(dir, () => mkdirSync(dir, { recursive: true }));
      for (const [name, text] of Object.entries(testVectorFiles(c, provenance))) writing(join(dir, name), () => writeFileSync(join(dir, name), text));
      written++;
      flows += c.flows.length;
      if (c.disagreement) {
        disagreements++;
        const d = c.disagreement;
        io.out(
          `DISAGREEMENT (${d.kind}) in ${several ? caseDirectory(c.index) : 'the case'}: ${d.engineName} and the reference differ on ${JSON.stringify(flowToJson(d.flow))}; replay it with netpol explain -f ${join(dir, 'cluster.yaml')}`,
        );
      }
      if (Date.now() - last > 2000 || written === (several ? p.runs : 1)) {
        last = Date.now();
        io.err(`  ${written}/${several ? p.runs : 1} case(s), ${flows} flows`);
      }
    }
    const index = join(p.dir, 'README.md');
    if (several) writing(index, () => writeFileSync(index, testVectorIndex(written, provenance)));
  } catch (e) {
    // A case over the flow limit after others were written, or the file system refusing a write.
    if (e instanceof TestVectorError || e instanceof WriteError) {
      io.err(`netpol: ${e.message}`);
      return EXIT.badInput;
    }
    throw e;
  }
  io.out(`wrote ${written} case(s), ${flows} flows with their expected verdicts, to ${p.dir}${p.cluster ? '' : ` (seed ${p.seed})`}`);
  return disagreements > 0 ? EXIT.denied : EXIT.ok;
}
