/**
 * `netpol fuzz`: engines against the reference evaluator, on random clusters (with
 * cluster-scoped policies unless `--tiers 0`) or on the user's own cluster with random flows
 * biased towards its addresses, ports and boundaries. A disagreement is shrunk by fast-check
 * and printed as manifests + flow: a case anyone can replay with `netpol explain`.
 */
import fc from 'fast-check';
import { stringify } from 'yaml';
import { flowArbitrary, scenarioArbitrary } from '../fuzz/arbitraries.js';
import { compareEngines, type Disagreement, type NamedEngineMaker } from '../fuzz/differential.js';
import { clusterToYaml, flowToJson } from '../fuzz/to-yaml.js';
import type { Explanation, Flow } from '../model/flow.js';
import type { Cluster } from '../model/types.js';
import type { EvaluationOptions } from '../model/options.js';
import { nativeStatus } from '../native/loader.js';
import { parseCli, type IO } from './commands.js';
import { createEngine, ENGINE_HELP, ENGINE_OPTIONS, evaluationOptions, EXIT, INPUT_HELP, INPUT_OPTIONS, loadInput, positiveInt, UsageError } from './common.js';
import { emitVectors, evaluationFlags } from './fuzz-emit.js';

/** Cluster-scoped policies per random cluster when --tiers is not given. */
const DEFAULT_TIERS = 4;

export const FUZZ_HELP = `Usage: netpol fuzz [-f <file|dir>...] [--seed N] [--runs N] [--flows N] [--tiers N] [--engine compiled|native|all]
       netpol fuzz --emit <dir> [--force] [--seed N] [--runs N] [--tiers N] [--pods N] [--policies N]
                   [--namespaces N] [--port <spec>]... [--max-flows N] [-f <file|dir>...]

Checks engines against the reference evaluator: verdicts (with the deciding tier) and
explanations. Without -f: random clusters built to make collisions likely (shared IPs,
nested CIDRs, named ports, every selector operator, and Admin/Baseline cluster-scoped
policies with Pass chains, equal priorities and every peer kind). With -f: your cluster and
policies, with random flows biased towards their addresses, ports and boundaries. Every
disagreement is shrunk to a minimal case and printed as YAML (manifests and the flow), with
both answers. The seed is printed; --seed replays a run exactly.

With --emit: test vectors for other dataplanes instead. For each random cluster (or, with -f,
your cluster), <dir> gets cluster.yaml (namespaces, pods, policies), flows.jsonl (every
ordered pod pair, and each pod to and from a few external addresses, on each protocol/port
the policies name plus TCP/80, TCP/81, UDP/53, with the reference evaluator's verdict and
what decided it: netpol verdict prints it back unchanged), truth-table.txt (cyclonus-style
tables, . allowed, X blocked), meta.json and README.md (versions, seed, options, and the
command that writes the same bytes again); with --runs N > 1, one <dir>/case-0001... each.
Random clusters are made portable: pods Running with addresses of their own, no ipBlock
covering a private address, so the verdicts hold in a real cluster (kind and a CNI).
Every flow is cross-checked against --engine; a disagreement is reported (exit 1).

${INPUT_HELP}
      --seed <n>           random seed (default: from the clock; printed)
      --runs <n>           clusters to generate, or flow batches with -f (default 1000)
      --flows <n>          flows per run (default 100)
      --tiers <n>          at most n cluster-scoped policies per random cluster (default
                           ${DEFAULT_TIERS}; 0: NetworkPolicy only)
${ENGINE_HELP}
                           With fuzz, --engine all checks every engine at once (compiled,
                           and native when the addon is loaded). reference is refused: fuzz
                           checks engines against it.
Test vectors:
      --emit <dir>         write test vectors to <dir> (a new or empty directory)
      --force              write into a non-empty <dir> (files of the same names are replaced)
      --runs <n>           with --emit: random clusters (default 1, at most 10000)
      --tiers <n>          with --emit: default 0 (NetworkPolicy only, what every CNI
                           implements), at most 10
      --pods <n>           at most n pods per random cluster (default 6, at most 50)
      --policies <n>       at most n NetworkPolicies per random cluster (default 4, at most 50)
      --namespaces <n>     at most n namespaces per random cluster (1-3, default 3)
      --port <spec>        probe these instead of the derived ones: 80, TCP/80, UDP/53, SCTP/9,
                           ICMP (repeatable, at most 16)
      --max-flows <n>      refuse a case of more flows (default 200000)

Exit codes: 0 no disagreement (with --emit: the files written, every flow cross-checked), 1 a
disagreement was found, 2 bad input or usage.`;

/** The engines `--engine` names: one, or every one available for `all`. */
function engineMakers(values: Record<string, unknown>, name: string): NamedEngineMaker[] {
  const one = (engine: string): NamedEngineMaker => ({ name: engine, make: (c: Cluster, o: EvaluationOptions) => createEngine(c, { ...values, engine }, o) });
  if (name !== 'all') return [one(name)];
  return [one('compiled'), ...(nativeStatus().active ? [one('native')] : [])];
}

export function fuzz(args: string[], io: IO): number {
  const { values } = parseCli({
    args,
    strict: true,
    options: {
      ...INPUT_OPTIONS,
      ...ENGINE_OPTIONS,
      seed: { type: 'string' },
      runs: { type: 'string' },
      flows: { type: 'string' },
      tiers: { type: 'string' },
      emit: { type: 'string' },
      force: { type: 'boolean' },
      pods: { type: 'string' },
      policies: { type: 'string' },
      namespaces: { type: 'string' },
      port: { type: 'string', multiple: true },
      'max-flows': { type: 'string' },
    },
  });
  if (values.help) return (io.out(FUZZ_HELP), EXIT.ok);
  if (values.engine === 'reference') {
    throw new UsageError(
      '--engine reference: fuzz checks engines against the reference evaluator, so it would compare the reference with itself; use compiled, native or all',
    );
  }
  if (values.emit === undefined) {
    const only = (['force', 'pods', 'policies', 'namespaces', 'port', 'max-flows'] as const).find((k) => values[k] !== undefined);
    if (only) throw new UsageError(`--${only} applies to test vectors only: give --emit <dir>`);
  } else if (values.flows !== undefined) throw new UsageError('--flows does not apply to --emit: the flows are every pod pair on every port of the table');
  if (values.seed !== undefined && !/^-?[0-9]+$/.test(values.seed)) throw new UsageError('--seed must be an integer');
  const seed = values.seed !== undefined ? Number(values.seed) : Date.now() % 2 ** 31;
  const runs = positiveInt(values.runs, 'runs', values.emit === undefined ? 1000 : 1);
  const perRun = positiveInt(values.flows, 'flows', 100);
  if (values.tiers !== undefined && !/^[0-9]{1,3}$/.test(values.tiers)) throw new UsageError('--tiers must be an integer 0-999');
  const tiers = values.tiers !== undefined ? Number(values.tiers) : values.emit === undefined ? DEFAULT_TIERS : 0;
  const options = evaluationOptions(values);
  const engineName = values.engine ?? 'compiled';
  const makers = engineMakers(values, engineName);
  // An unknown engine name is a usage error before anything runs.
  makers.forEach((m) => m.make({ namespaces: [], pods: [], nodes: [], policies: [] }, options));

  let userCluster: Cluster | undefined;
  if ((values.file ?? []).length > 0) {
    userCluster = loadInput(values, io.err);
    if (!userCluster) return EXIT.badInput;
  }
  const engineNames = makers.map((m) => m.name).join(' and ');
  if (values.emit !== undefined) {
    if (values.emit === '') throw new UsageError('--emit needs a directory');
    if (userCluster && values.runs !== undefined && runs !== 1)
      throw new UsageError('--runs applies to random clusters: with -f there is one case, your cluster');
    const count = (name: 'pods' | 'policies' | 'namespaces' | 'max-flows') => {
      const v = values[name];
      // --policies 0: cluster-scoped policies only (with --tiers).
      if (name === 'policies' && v === '0') return 0;
      return v === undefined ? undefined : positiveInt(v, name, 1);
    };
    return emitVectors(
      {
        dir: values.emit,
        force: values.force === true,
        ...(userCluster && { cluster: userCluster }),
        engines: makers,
        engineName: engineNames,
        evaluation: options,
        seed,
        runs,
        tiers,
        pods: count('pods'),
        policies: count('policies'),
        namespaces: count('namespaces'),
        ports: values.port,
        maxFlows: count('max-flows'),
        evaluationFlags: evaluationFlags(values),
      },
      io,
    );
  }
  return runFuzz({ cluster: userCluster, engines: makers, engineName: engineNames, options, seed, runs, perRun, tiers }, io);
}

export interface FuzzParams {
  /** The user's cluster; random clusters when undefined. */
  readonly cluster?: Cluster;
  /** The engines checked against the reference. */
  readonly engines: readonly NamedEngineMaker[];
  /** How the report names them. */
  readonly engineName: string;
  readonly options: EvaluationOptions;
  readonly seed: number;
  readonly runs: number;
  readonly perRun: number;
  /** At most this many cluster-scoped policies per random cluster (default 0: NetworkPolicy only). */
  readonly tiers?: number;
}

/** The fuzz loop; exit code 0 (agreement) or 1 (a shrunk disagreement was printed). */
export function runFuzz(p: FuzzParams, io: IO): number {
  const { engines, engineName, options, seed, runs, perRun } = p;
  const tiers = p.tiers ?? 0;
  const userCluster = p.cluster;
  const arbitrary: fc.Arbitrary<{ cluster: Cluster; flows: readonly Flow[] }> = userCluster
    ? fc.array(flowArbitrary(userCluster), { minLength: perRun, maxLength: perRun }).map((flows) => ({ cluster: userCluster!, flows }))
    : scenarioArbitrary({ minFlows: perRun, maxFlows: perRun, maxClusterPolicies: tiers });

  const what = userCluster ? 'flow batches on your cluster' : `random clusters${tiers > 0 ? ` (up to ${tiers} cluster-scoped policies each)` : ''}`;
  io.err(`netpol fuzz: engine ${engineName} against reference, ${runs} ${what} x ${perRun} flows, seed ${seed}`);
  let done = 0;
  let flows = 0;
  let clusterPolicies = 0;
  // Flows an Admin or Baseline rule decided in some direction, and flows that took a Pass.
  let tierDecided = 0;
  let passed = 0;
  const observe = (e: Explanation): void => {
    if ([e.egress, e.ingress].some((d) => d.startsWith('admin') || d.startsWith('baseline'))) tierDecided++;
    if ([...e.egressDetail.clusterRules, ...e.ingressDetail.clusterRules].some((r) => r.action === 'Pass')) passed++;
  };
  let last = Date.now();
  let found: Disagreement | undefined;
  const result = fc.check(
    fc.property(arbitrary, ({ cluster, flows: batch }) => {
      const d = compareEngines(cluster, batch, engines, options, found ? undefined : observe);
      if (!found) {
        done++;
        flows += batch.length;
        clusterPolicies += cluster.clusterPolicies?.length ?? 0;
        if (Date.now() - last > 2000 || done === runs) {
          last = Date.now();
          const tiers =
            clusterPolicies > 0 ? `, ${clusterPolicies} cluster-scoped policies (${tierDecided} flows decided by one, ${passed} through a Pass)` : '';
          io.err(`  ${done}/${runs} runs, ${flows} flows${tiers}, no disagreement so far`);
        }
      }
      if (d) found = d;
      return d === undefined;
    }),
    { seed, numRuns: runs },
  );
  if (!result.failed) {
    io.out(`ok: ${done} runs, ${flows} flows, 0 disagreements between ${engineName} and reference (seed ${seed})`);
    return EXIT.ok;
  }
  const [{ cluster, flows: batch }] = result.counterexample!;
  const d = compareEngines(cluster, batch, engines, options)!;
  io.out(`DISAGREEMENT (${d.kind}) after ${done} runs; seed ${seed}, shrunk ${result.numShrinks} time(s). Minimal case:`);
  io.out(`# flow (netpol verdict --flows):\n${JSON.stringify(flowToJson(d.flow))}`);
  io.out(`# reference says:\n${stringify(d.reference).trimEnd()}`);
  io.out(`# ${d.engineName} says:\n${stringify(d.engine).trimEnd()}`);
  io.out(`# options: ${JSON.stringify(options)}`);
  io.out(`# cluster and policies:\n---\n${clusterToYaml(cluster)}`);
  return EXIT.denied;
}
