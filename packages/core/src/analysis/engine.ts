/** What the CLI and analyses need from an evaluation engine. */
import type { ClusterIndex } from '../model/cluster-index.js';
import type { Explanation, Flow, FlowEnd, Verdict } from '../model/flow.js';

/**
 * What every evaluation engine offers (CompiledDataplane, ReferenceEvaluator, LiveDataplane's
 * generations): verdicts and explanations for flows, and the index that resolves pod names.
 */
export interface Engine {
  readonly index: ClusterIndex;
  /** The flow's verdict. Throws MixedFamiliesError when its two ends are of different families. */
  verdict(flow: Flow): Verdict;
  /** The verdict with its reasons, per direction. Throws MixedFamiliesError as verdict does. */
  explain(flow: Flow): Explanation;
}

/**
 * An engine that also judges ends without an address (CompiledDataplane, ReferenceEvaluator):
 * what Service and endpoint verdicts and the matrix of workloads without pods need. `explainBetween`, where an engine has it, explains
 * such pairs too.
 */
export interface BetweenEngine extends Engine {
  /** The verdict between two ends, either of which may be a pod without an address (CompiledDataplane.verdictBetween). */
  verdictBetween(src: FlowEnd, dst: FlowEnd, protocol: number, port?: number): Verdict;
  /** verdictBetween with its reasons (ReferenceEvaluator.explainBetween), where the engine has it. */
  explainBetween?(src: FlowEnd, dst: FlowEnd, protocol: number, port?: number): Explanation;
}
