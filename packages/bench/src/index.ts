/**
 * @netpol/bench: seeded workload generators, the engine and CIDR benchmarks, and the
 * report writers. `pnpm bench` runs it all (see README.md); the generators are exported for
 * tests and fuzzing.
 */
export {
  benchCluster,
  benchTrace,
  sliceBatch,
  flowAt,
  cidrPrefixes,
  cidrAddresses,
  containsScan,
  formatIPv4,
  DEFAULT_MIX,
  SIZE_NAMES,
  SIZES,
  Random,
  Zipf,
  syntheticCluster,
  syntheticTrace,
  type BenchTrace,
  type BenchTraceShape,
  type TraceMix,
  type PrefixSet,
  type SizeName,
  type ClusterShape,
  type SyntheticCluster,
} from './generators.js';
export {
  scenarioEngines,
  verifyEngines,
  sampleIndices,
  fnv1a,
  nativeUsable,
  describeFlow,
  describeVerdict,
  VerdictMismatchError,
  type Engine,
  type EngineKind,
  type Verification,
} from './engines.js';
export { timeBatch, calibrateBatch, sink, sinkState, type Timing, type Spread, type TimeOptions } from './measure.js';
export { runCidr, CidrMismatchError, type CidrResult, type CidrSetResult } from './cidr.js';
export {
  runPackets,
  verifyPacketVerdicts,
  tracePackets,
  traceConn,
  PacketRing,
  type PacketSpec,
  type PacketCaseKind,
  type PacketCaseResult,
  type PacketScenarioResult,
  type PacketConntrackFigures,
  type Conn,
} from './packets.js';
export { runScaling, type ScalingPoint, type ScalingSweep } from './scaling.js';
export {
  runUpdates,
  updatesSpec,
  OP_KINDS,
  type OpKind,
  type OpLatency,
  type UpdatesOverrides,
  type UpdatesResult,
  type UpdatesSpec,
  type StreamResult,
  type StreamSpec,
} from './updates.js';
export { renderUpdates, updateTargets } from './update-report.js';
export { prepare, runScenario, type ScenarioResult, type ScenarioSpec, type CompileFigures, type EngineResult } from './scenario.js';
export { checkTargets, SCHEMA_VERSION, type BenchResults, type Environment, type TargetCheck } from './results.js';
export { formatTable } from './format.js';
export { renderReport } from './table.js';
export { renderSvg } from './svg.js';
export { Progress } from './progress.js';
