/** What the CLI and analyses need from an evaluation engine. */
import type { ClusterIndex } from '../model/cluster-index.js';
import type { Explanation, Flow, Verdict } from '../model/flow.js';

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
