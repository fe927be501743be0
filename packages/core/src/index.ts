/** @netpol/core: Kubernetes NetworkPolicy loading, validation and evaluation. */
export { parseIP, formatIP, type IPAddress, type Family } from './ip/address.js';
export { parseCIDR, cidrContains, formatCIDR, type CIDR, type CIDRParse, type LegacyForms } from './ip/cidr.js';
export type * from './model/types.js';
export type * from './model/flow.js';
export type * from './model/suggestion.js';
export { selectorMatches } from './model/selector.js';
export { ClusterIndex } from './model/cluster-index.js';
export { PROTOCOL_NUMBERS, parseProtocol, protocolName } from './model/protocol.js';
export {
  loadFiles,
  loadText,
  loadFilesOrThrow,
  loadTextOrThrow,
  loadObjects,
  loadClusterPolicy,
  type LoadOptions,
  type LoadResult,
  type ClusterPolicyLoad,
} from './load/load.js';
export { lintObjects, lintFiles, lintText, selectChecks, type LintOptions, type LintResult } from './lint/lint.js';
export { LINT_CHECKS } from './lint/checks/index.js';
export { formatLintText, findingText } from './lint/format-text.js';
export { lintJson, type LintJson } from './lint/format-json.js';
export { formatSarif as lintSarif, type SarifOptions as LintSarifOptions } from './lint/format-sarif.js';
export { lintCounts, failsAt as lintFailsAt, type LintCounts } from './lint/summary.js';
export { IGNORE_ANNOTATION as LINT_IGNORE_ANNOTATION } from './lint/suppression.js';
export { LINT_SEVERITIES } from './lint/severity.js';
export type { LintCheck, LintContext, LintFinding, LintObjectRef, LintSeverity, CheckFinding } from './lint/types.js';
export { readFiles, readText, type FileInput, type RawObject, type ReadOptions, type ReadResult } from './load/read.js';
export { DEFAULT_MAX_INPUT_BYTES, DEFAULT_MAX_YAML_TOKENS } from './load/limits.js';
export { LoadError, formatIssue, type Issue, type IssueCode, type Severity, type ErrorType, type PathSegments } from './load/issues.js';
export { ReferenceEvaluator } from './reference/evaluator.js';
export { DEFAULT_OPTIONS, type EvaluationOptions, type ResolvedOptions } from './model/options.js';
export { parseFlow, type FlowParse } from './flow/parse.js';
export { parseFlowRecord, type FlowRecordParse } from './flow/record.js';
export {
  ServiceIndex,
  namedTargetPort,
  type ServiceTarget,
  type ServiceMiss,
  type ServiceBackend,
  type ServiceBackends,
  type ServiceVia,
  type BackendSource,
  type NamedEnd,
} from './model/services.js';
export {
  serviceVerdict,
  explainService,
  endsVerdict,
  explainEnds,
  type ServiceVerdict,
  type EndsVerdict,
  type PairVerdict,
  type PairExplainer,
} from './analysis/service-verdict.js';
export { ServiceNat, type NatDataplane, type NatDecision } from './packet/service-nat.js';
export { MixedFamiliesError } from './model/mixed-families.js';
export { CompiledDataplane, NATIVE_MIN_BATCH, type DataplaneOptions, type ImageStats } from './dataplane/compiled.js';
export { ImageDataplane, type ImageOptions } from './dataplane/image-dataplane.js';
export {
  encodeImage,
  decodeImage,
  SavedImageError,
  SAVED_IMAGE_MAGIC,
  ENVELOPE_VERSION as SAVED_IMAGE_ENVELOPE_VERSION,
  DEFAULT_MAX_IMAGE_FILE_BYTES,
  type SavedImageErrorCode,
  type SavedImageInfo,
  type EncodeImageOptions,
  type DecodeImageOptions,
  type DecodedImage,
} from './dataplane/image-envelope.js';
export { saveImage, loadImage, loadImageFile, readImageFile, SavedImageDataplane, type LoadImageOptions } from './dataplane/saved-image.js';
export { compile, type CompileOptions, type CompileResult } from './compile/compile.js';
export { CapacityError, LIMITS, type LimitName } from './model/limits.js';
export { Kernel, type FlowBatch } from './kernels/js-kernel.js';
export { VerdictPool, type PoolOptions } from './parallel/pool.js';
export { decodeVerdict } from './compile/verdict.js';
export { MAGIC as IMAGE_MAGIC, VERSION as IMAGE_VERSION, type ImageViews, type SectionData } from './compile/layout.js';
export { readImage, validateImage, ImageError } from './compile/validate-image.js';
export { connectivityMatrix, parsePortSpec, type Matrix, type MatrixNamespaces, type PortSpec } from './analysis/matrix.js';
export { suggestChanges, withSuggestions, SUGGESTIONS_PER_DIRECTION } from './analysis/suggest.js';
export { connectivity, type Connectivity, type ConnectivityOptions, type Connection, type Endpoint } from './analysis/connectivity.js';
export {
  connlistLines,
  formatConnlist,
  connectionsText,
  CONNLIST_FORMATS,
  type ConnlistFormat,
  type ConnlistFormatOptions,
  type FormattedConnection,
  type FormattedEndpoint,
} from './analysis/connlist-format.js';
export {
  isAllConnections,
  isNoConnections,
  sameConnections,
  intersectConnections,
  NO_CONNECTIONS,
  type ConnectionSet,
  type ConnectionSetOptions,
  type PortRange,
} from './analysis/connection-set.js';
export { ImageConnections, type ExternalRegion, type ImageConnectionsOptions } from './analysis/pair-connections.js';
export { endpointGroups, templatePods, type EndpointGroup, type EndpointGroupOptions } from './model/endpoints.js';
export type { ExternalBlock } from './analysis/external-endpoints.js';
export type { AddressBlock, AddressRange } from './analysis/address-blocks.js';
export {
  diffConnectivity,
  connectionChanges,
  externalRangeName,
  UnsortedConnectionsError,
  type ChangeKind,
  type ConnectionChange,
  type DiffAddressRange,
  type DiffConnection,
  type DiffEndpoint,
  type DiffOptions,
  type DiffSide,
} from './analysis/diff.js';
export { diffLines, formatDiff, DIFF_FORMATS, type DiffFormat, type DiffFormatOptions } from './analysis/diff-format.js';
export { diffClusters, type ClusterDiff, type ClusterDiffOptions } from './analysis/cluster-diff.js';
export type { BetweenEngine, Engine } from './analysis/engine.js';
export { clusterToYaml } from './fuzz/to-yaml.js';
export {
  testVectors,
  testVectorCases,
  TestVectorError,
  MAX_VECTOR_PODS,
  MAX_VECTOR_POLICIES,
  MAX_VECTOR_CLUSTER_POLICIES,
  MAX_VECTOR_RUNS,
  MAX_VECTOR_PORTS,
  MAX_VECTOR_EXTERNALS,
  DEFAULT_MAX_VECTOR_FLOWS,
  type TestVectorOptions,
  type TestVectorCase,
  type VectorFlow,
  type VectorReason,
} from './fuzz/test-vectors.js';
export { testVectorFiles, testVectorIndex, caseDirectory, VECTOR_FILES, type VectorProvenance } from './fuzz/vector-files.js';
export { truthTableText } from './fuzz/truth-table.js';
export { portableCluster } from './fuzz/portable.js';
export type { Disagreement, NamedEngineMaker, EngineMaker } from './fuzz/differential.js';
export { nativeStatus, type NativeStatus } from './native/loader.js';
export {
  parsePacket,
  parsePacketInto,
  ParsedPacket,
  MALFORMED_REASONS,
  FRAGMENT,
  TCP as TCP_FLAGS,
  tcpFlagsText,
  type MalformedReason,
  type PacketParse,
} from './packet/parse.js';
export {
  PacketFilter,
  PACKET_STATES,
  codeAllowed,
  codeState,
  codeError,
  codeInvalid,
  type FragmentPolicy,
  type PacketFilterOptions,
  type PacketResult,
  type PacketState,
  type InvalidReason,
  type Denial,
  type PacketFilterStats,
  type FilterDataplane,
} from './packet/filter.js';
export {
  Conntrack,
  DEFAULT_TIMEOUTS,
  type ConntrackOptions,
  type ConntrackTimeouts,
  type ConntrackStats,
  type ConnectionEntry,
  type HashSeed,
} from './conntrack/table.js';
export { openCapture, timestampText, timestampSeconds, type Capture, type CaptureRecord, type CaptureInterface, type CaptureOpen } from './pcap/capture.js';
export { linkPayload, LINKTYPE, type LinkPayload } from './pcap/link.js';
export {
  LiveDataplane,
  Generation,
  RetiredGenerationError,
  type Change,
  type UpdateResult,
  type ObjectKind,
  type LiveOptions,
  type CompactionInfo,
  type CompactionMode,
  type CompactionStatus,
} from './update/live.js';
