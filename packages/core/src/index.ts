/** @netpol/core: Kubernetes NetworkPolicy loading, validation and evaluation. */
export { parseIP, formatIP, type IPAddress, type Family } from './ip/address.js';
export { parseCIDR, cidrContains, formatCIDR, type CIDR } from './ip/cidr.js';
export type * from './model/types.js';
export type * from './model/flow.js';
export { selectorMatches } from './model/selector.js';
export { ClusterIndex } from './model/cluster-index.js';
export { PROTOCOL_NUMBERS, parseProtocol, protocolName } from './model/protocol.js';
export { loadFiles, loadText, loadFilesOrThrow, loadTextOrThrow, loadObjects, type LoadOptions, type LoadResult } from './load/load.js';
export { readFiles, readText, type RawObject } from './load/read.js';
export { LoadError, formatIssue, type Issue, type Severity } from './load/issues.js';
export { ReferenceEvaluator } from './reference/evaluator.js';
export { DEFAULT_OPTIONS, type EvaluationOptions } from './reference/options.js';
export { parseFlow, type FlowParse } from './flow/parse.js';
