/**
 * Differential checking: an engine against the reference evaluator on the same cluster and
 * flows. Used by the test suite and by `netpol fuzz`; a disagreement is returned as data
 * that renders to a reproducible case (manifests + flow).
 */
import { isDeepStrictEqual } from 'node:util';
import type { Engine } from '../analysis/engine.js';
import type { Explanation, Flow } from '../model/flow.js';
import type { Cluster } from '../model/types.js';
import { ReferenceEvaluator } from '../reference/evaluator.js';
import type { EvaluationOptions } from '../model/options.js';

export interface Disagreement {
  readonly flow: Flow;
  /** What differs: the verdict, or only the explanation. */
  readonly kind: 'verdict' | 'explain' | 'error';
  readonly reference: unknown;
  readonly engine: unknown;
}

const strip = (e: Explanation) => ({ allowed: e.allowed, egress: e.egress, ingress: e.ingress });

/**
 * Checks every flow: the engine's verdict equals the reference's, its explanation agrees
 * with its own verdict, and it tells the same story as the reference's (isolating
 * policies, matching rules, rejected candidates). Returns the first disagreement.
 */
export function compareEngines(cluster: Cluster, flows: readonly Flow[], makeEngine: (c: Cluster, o: EvaluationOptions) => Engine, options: EvaluationOptions = {}): Disagreement | undefined {
  const reference = new ReferenceEvaluator(cluster, options);
  const engine = makeEngine(cluster, options);
  for (const flow of flows) {
    let refExplain: Explanation;
    let refError: string | undefined;
    try {
      refExplain = reference.explain(flow);
    } catch (e) {
      refError = (e as Error).message;
      refExplain = undefined as never;
    }
    let verdict;
    let explanation: Explanation;
    try {
      verdict = engine.verdict(flow);
      explanation = engine.explain(flow);
    } catch (e) {
      if (refError !== undefined) continue; // both refuse the flow (e.g. mixed families)
      return { flow, kind: 'error', reference: strip(refExplain), engine: (e as Error).message };
    }
    if (refError !== undefined) return { flow, kind: 'error', reference: refError, engine: verdict };
    const want = strip(refExplain);
    // The reference's own fast path must say what its explanation says.
    if (!isDeepStrictEqual(reference.verdict(flow), want)) return { flow, kind: 'error', reference: { explain: want, verdict: reference.verdict(flow) }, engine: verdict };
    if (verdict.allowed !== want.allowed || verdict.egress !== want.egress || verdict.ingress !== want.ingress) {
      return { flow, kind: 'verdict', reference: want, engine: verdict };
    }
    if (!isDeepStrictEqual(explanation, refExplain)) {
      return { flow, kind: 'explain', reference: refExplain, engine: explanation };
    }
  }
  return undefined;
}
