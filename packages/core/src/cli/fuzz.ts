/**
 * `netpol fuzz`: an engine against the reference evaluator, on random clusters or on the
 * user's own cluster with random flows biased towards its addresses, ports and boundaries.
 * A disagreement is shrunk by fast-check and printed as manifests + flow: a case anyone
 * can replay with `netpol explain`.
 */
import fc from 'fast-check';
import { stringify } from 'yaml';
import { flowArbitrary, scenarioArbitrary } from '../fuzz/arbitraries.js';
import { compareEngines, type Disagreement } from '../fuzz/differential.js';
import { clusterToYaml, flowToJson } from '../fuzz/to-yaml.js';
import type { Flow } from '../model/flow.js';
import type { Cluster } from '../model/types.js';
import type { EvaluationOptions } from '../model/options.js';
import type { Engine } from '../analysis/engine.js';
import { parseCli, type IO } from './commands.js';
import { createEngine, ENGINE_HELP, ENGINE_OPTIONS, evaluationOptions, EXIT, INPUT_HELP, INPUT_OPTIONS, loadInput, positiveInt, UsageError } from './common.js';

export const FUZZ_HELP = `Usage: netpol fuzz [-f <file|dir>...] [--seed N] [--runs N] [--flows N] [--engine compiled]

Checks an engine against the reference evaluator. Without -f: random clusters built to make
collisions likely (shared IPs, nested CIDRs, named ports, every selector operator). With -f:
your cluster and policies, with random flows biased towards their addresses, ports and
boundaries. Every disagreement is shrunk to a minimal case and printed as YAML (manifests
and the flow), with both verdicts. The seed is printed; --seed replays a run exactly.

${INPUT_HELP}
      --seed <n>           random seed (default: from the clock; printed)
      --runs <n>           clusters to generate, or flow batches with -f (default 1000)
      --flows <n>          flows per run (default 100)
${ENGINE_HELP}

Exit codes: 0 no disagreement, 1 a disagreement was found, 2 bad input or usage.`;

export function fuzz(args: string[], io: IO): number {
  const { values } = parseCli({ args, strict: true, options: { ...INPUT_OPTIONS, ...ENGINE_OPTIONS, seed: { type: 'string' }, runs: { type: 'string' }, flows: { type: 'string' } } });
  if (values.help) return io.out(FUZZ_HELP), EXIT.ok;
  if (values.seed !== undefined && !/^-?[0-9]+$/.test(values.seed)) throw new UsageError('--seed must be an integer');
  const seed = values.seed !== undefined ? Number(values.seed) : Date.now() % 2 ** 31;
  const runs = positiveInt(values.runs, 'runs', 1000);
  const perRun = positiveInt(values.flows, 'flows', 100);
  const options = evaluationOptions(values);
  const engineName = values.engine ?? 'compiled';
  const makeEngine = (c: Cluster, o: EvaluationOptions) => createEngine(c, { ...values, engine: engineName }, o);

  let userCluster: Cluster | undefined;
  if ((values.file ?? []).length > 0) {
    userCluster = loadInput(values, io.err);
    if (!userCluster) return EXIT.badInput;
  }
  return runFuzz({ cluster: userCluster, makeEngine, engineName, options, seed, runs, perRun }, io);
}

export interface FuzzParams {
  /** The user's cluster; random clusters when undefined. */
  readonly cluster?: Cluster;
  readonly makeEngine: (c: Cluster, o: EvaluationOptions) => Engine;
  readonly engineName: string;
  readonly options: EvaluationOptions;
  readonly seed: number;
  readonly runs: number;
  readonly perRun: number;
}

/** The fuzz loop; exit code 0 (agreement) or 1 (a shrunk disagreement was printed). */
export function runFuzz(p: FuzzParams, io: IO): number {
  const { makeEngine, engineName, options, seed, runs, perRun } = p;
  const userCluster = p.cluster;
  const arbitrary: fc.Arbitrary<{ cluster: Cluster; flows: readonly Flow[] }> = userCluster
    ? fc.array(flowArbitrary(userCluster), { minLength: perRun, maxLength: perRun }).map((flows) => ({ cluster: userCluster!, flows }))
    : scenarioArbitrary({ minFlows: perRun, maxFlows: perRun });

  io.err(`netpol fuzz: engine ${engineName} against reference, ${runs} ${userCluster ? 'flow batches on your cluster' : 'random clusters'} x ${perRun} flows, seed ${seed}`);
  let done = 0;
  let flows = 0;
  let last = Date.now();
  let found: Disagreement | undefined;
  const result = fc.check(
    fc.property(arbitrary, ({ cluster, flows: batch }) => {
      const d = compareEngines(cluster, batch, makeEngine, options);
      if (!found) {
        done++;
        flows += batch.length;
        if (Date.now() - last > 2000 || done === runs) {
          last = Date.now();
          io.err(`  ${done}/${runs} runs, ${flows} flows, no disagreement so far`);
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
  const d = compareEngines(cluster, batch, makeEngine, options)!;
  io.out(`DISAGREEMENT (${d.kind}) after ${done} runs; seed ${seed}, shrunk ${result.numShrinks} time(s). Minimal case:`);
  io.out(`# flow (netpol verdict --flows):\n${JSON.stringify(flowToJson(d.flow))}`);
  io.out(`# reference says:\n${stringify(d.reference).trimEnd()}`);
  io.out(`# ${engineName} says:\n${stringify(d.engine).trimEnd()}`);
  io.out(`# options: ${JSON.stringify(options)}`);
  io.out(`# cluster and policies:\n---\n${clusterToYaml(cluster)}`);
  return EXIT.denied;
}
