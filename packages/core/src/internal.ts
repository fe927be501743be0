/**
 * `@netpol/core/internal`: the pieces the benchmarks and the test suites build on that are not
 * part of the library's API: seeded random numbers and synthetic clusters and traces, the LPM
 * trie builder, the model-to-manifest writers, the list of image invariants. They change with
 * the code that uses them, without notice or semver; nothing here is documented as the root
 * export is (`@netpol/core`).
 *
 * @internal
 * @module
 */
export { Random, Zipf } from './synthetic/random.js';
export { syntheticCluster, SIZES, type ClusterShape, type SyntheticCluster } from './synthetic/cluster.js';
export { syntheticTrace, type Trace, type TraceShape } from './synthetic/trace.js';
export { buildLPM, lookup4, lookup6, type Prefix } from './compile/lpm.js';
export { clusterObjects, namespaceDoc, nodeDoc, podDoc, policyDoc, clusterPolicyDoc, type Doc } from './fuzz/to-yaml.js';
export { IMAGE_INVARIANTS, type ImageInvariant } from './compile/validate-image.js';
export { MAX_CHAIN as CONNTRACK_MAX_CHAIN } from './conntrack/table.js';
