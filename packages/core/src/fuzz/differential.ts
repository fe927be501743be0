/**
 * Differential checking: engines against the reference evaluator on the same cluster and
 * flows. Used by the test suite and by `netpol fuzz`; a disagreement is returned as data
 * that renders to a reproducible case (manifests + flow). Clusters with cluster-scoped
 * policies are checked the same way: the verdict carries the deciding tier per direction and
 * the explanation every Pass on the way, so both must match the reference's.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Engine } from '../analysis/engine.js';
import type { Explanation, Flow } from '../model/flow.js';
import type { Cluster } from '../model/types.js';
import { ReferenceEvaluator } from '../reference/evaluator.js';
import type { EvaluationOptions } from '../model/options.js';

/** Builds an engine for a cluster under options. */
export type EngineMaker = (c: Cluster, o: EvaluationOptions) => Engine;

/** An engine maker with the name disagreements report it by. */
export interface NamedEngineMaker {
  readonly name: string;
  readonly make: EngineMaker;
}

/** An engine and the reference evaluator answering one flow differently: the flow, what differs, and both answers. */
export interface Disagreement {
  readonly flow: Flow;
  /** What differs: the verdict, or only the explanation. */
  readonly kind: 'verdict' | 'explain' | 'error';
  /** The engine that disagrees (its NamedEngineMaker name; 'engine' for a bare maker). */
  readonly engineName: string;
  readonly reference: unknown;
  readonly engine: unknown;
}

const strip = (e: Explanation) => ({ allowed: e.allowed, egress: e.egress, ingress: e.ingress });

/** What one engine says about one flow: its verdict and explanation, or its error. */
type Answer = { readonly verdict: ReturnType<Engine['verdict']>; readonly explanation: Explanation } | { readonly error: string };

function answer(engine: Engine, flow: Flow): Answer {
  try {
    return { verdict: engine.verdict(flow), explanation: engine.explain(flow) };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

/** The reference's explanation against one engine's answer; undefined when they agree. */
function judge(flow: Flow, engineName: string, reference: ReferenceEvaluator, want: Explanation | { error: string }, got: Answer): Disagreement | undefined {
  if ('error' in want) {
    // Both refuse the flow (e.g. mixed families): agreement.
    return 'error' in got ? undefined : { flow, kind: 'error', engineName, reference: want.error, engine: got.verdict };
  }
  if ('error' in got) return { flow, kind: 'error', engineName, reference: strip(want), engine: got.error };
  const expected = strip(want);
  // The reference's own fast path must say what its explanation says.
  const fast = reference.verdict(flow);
  if (!isDeepStrictEqual(fast, expected))
    return { flow, kind: 'error', engineName: 'reference', reference: { explain: expected, verdict: fast }, engine: got.verdict };
  const { verdict, explanation } = got;
  if (verdict.allowed !== expected.allowed || verdict.egress !== expected.egress || verdict.ingress !== expected.ingress) {
    return { flow, kind: 'verdict', engineName, reference: expected, engine: verdict };
  }
  if (!isDeepStrictEqual(explanation, want)) return { flow, kind: 'explain', engineName, reference: want, engine: explanation };
  return undefined;
}

/**
 * Checks every flow on every engine: each engine's verdict equals the reference's (the
 * deciding tier per direction included), and its explanation tells the same story as the
 * reference's (decision steps, isolating policies, matching rules, rejected candidates, the
 * cluster-scoped rules taken and same-priority ties). Returns the first disagreement.
 * `engines`: one maker (reported as 'engine'), or named makers, all built once per call.
 * `observe` sees the reference's explanation of every flow it explains (for statistics).
 */
export function compareEngines(
  cluster: Cluster,
  flows: readonly Flow[],
  engines: EngineMaker | readonly NamedEngineMaker[],
  options: EvaluationOptions = {},
  observe?: (reference: Explanation) => void,
): Disagreement | undefined {
  const makers: readonly NamedEngineMaker[] = typeof engines === 'function' ? [{ name: 'engine', make: engines }] : engines;
  const reference = new ReferenceEvaluator(cluster, options);
  const built = makers.map((m) => ({ name: m.name, engine: m.make(cluster, options) }));
  for (const flow of flows) {
    let want: Explanation | { error: string };
    try {
      want = reference.explain(flow);
      observe?.(want);
    } catch (e) {
      want = { error: (e as Error).message };
    }
    for (const { name, engine } of built) {
      const d = judge(flow, name, reference, want, answer(engine, flow));
      if (d) return d;
    }
  }
  return undefined;
}
