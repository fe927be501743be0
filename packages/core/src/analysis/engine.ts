/** What the CLI and analyses need from an evaluation engine. */
import type { ClusterIndex } from '../model/cluster-index.js';
import type { Explanation, Flow, Verdict } from '../model/flow.js';

export interface Engine {
  readonly index: ClusterIndex;
  verdict(flow: Flow): Verdict;
  explain(flow: Flow): Explanation;
}
