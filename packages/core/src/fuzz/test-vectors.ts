/**
 * Test vectors for other dataplanes: clusters with policies, and the verdict netpol's reference
 * evaluator (the oracle the engines are fuzzed against) gives every flow of a set, so that a
 * CNI, a simulator or another analyzer can be checked against netpol: apply the manifests,
 * probe each flow, compare.
 *
 * Random clusters are drawn with the fuzz generators (fuzz/arbitraries.ts) through
 * `fc.sample` with the seed: the same seed, options, netpol and fast-check versions give the
 * same clusters on every platform, case i of N runs being case i of any longer run. They are
 * then made portable (fuzz/portable.ts) so that their verdicts hold in a real cluster. A
 * user's cluster is taken as loaded.
 *
 * The flows: every ordered pair of endpoint pods (pod network, an address, not finished; the
 * pod itself included, as cyclonus probes it), and each pod to and from a few external
 * addresses, for each protocol/port of a set derived from the policies (their numbers, the
 * ends of their ranges and one past, their named ports resolved on the pods) plus TCP/80,
 * TCP/81 and UDP/53. Everything is bounded: at most MAX_VECTOR_PODS pods and
 * MAX_VECTOR_POLICIES policies per random cluster, MAX_VECTOR_PORTS port specs,
 * MAX_VECTOR_EXTERNALS external addresses, and `maxFlows` flows per case (a larger case is
 * refused before any verdict is computed).
 */
import fc from 'fast-check';
import { formatIP, parseIP, type IPAddress } from '../ip/address.js';
import { cidrContains } from '../ip/cidr.js';
import { formatPortSpec, matrixPods, parsePortSpec, verdictTier, type PortSpec } from '../analysis/matrix.js';
import type { DirectionExplanation, Explanation } from '../model/flow.js';
import type { EvaluationOptions } from '../model/options.js';
import { checkOptions, type OptionSpec } from '../model/check-options.js';
import { hasPorts, PROTOCOL_NUMBERS, protocolName } from '../model/protocol.js';
import type { Cluster, PolicyProtocol, Pod } from '../model/types.js';
import { parseFlow, pickFamily } from '../flow/parse.js';
import { ReferenceEvaluator } from '../reference/evaluator.js';
import { clusterArbitrary, clusterCIDRs } from './arbitraries.js';
import { compareEngines, type Disagreement, type NamedEngineMaker } from './differential.js';
import { PRIVATE_V4, portableCluster } from './portable.js';
import { clusterToYaml } from './to-yaml.js';

/** Most pods a random cluster may have (`maxPods`). */
export const MAX_VECTOR_PODS = 50;
/** Most NetworkPolicies a random cluster may have (`maxPolicies`). */
export const MAX_VECTOR_POLICIES = 50;
/** Most cluster-scoped policies a random cluster may have (`maxClusterPolicies`). */
export const MAX_VECTOR_CLUSTER_POLICIES = 10;
/** Most cases one call generates (`runs`). */
export const MAX_VECTOR_RUNS = 10_000;
/** Most protocol/port specs per case (derived ones beyond this are left out, in order). */
export const MAX_VECTOR_PORTS = 16;
/** Most external addresses per case. */
export const MAX_VECTOR_EXTERNALS = 4;
/** Default most flows per case. */
export const DEFAULT_MAX_VECTOR_FLOWS = 200_000;

/** The port specs every case probes besides the policies' own: a web port, one next to it nothing names, DNS. */
const EXTRA_PORTS: readonly PortSpec[] = ['TCP/80', 'TCP/81', 'UDP/53'].map((s) => parsePortSpec(s)!);
/** External addresses every case probes: a public one, outside the private ranges pods live in. */
const FIXED_EXTERNALS: readonly IPAddress[] = [parseIP('8.8.8.8')!];

/** What to generate (every field optional). */
export interface TestVectorOptions {
  /** fast-check seed of the random clusters (default 0). Ignored with `cluster`. */
  readonly seed?: number;
  /** Cases to generate, 1 to MAX_VECTOR_RUNS (default 1). Must be 1 with `cluster`. */
  readonly runs?: number;
  /** The user's cluster: one case on it, as given (not made portable), instead of random ones. */
  readonly cluster?: Cluster;
  /** Namespaces per random cluster, 1-3 (default 3). */
  readonly maxNamespaces?: number;
  /** Pods per random cluster, 1 to MAX_VECTOR_PODS (default 6). */
  readonly maxPods?: number;
  /** NetworkPolicies per random cluster, 0 to MAX_VECTOR_POLICIES (default 4). */
  readonly maxPolicies?: number;
  /** Cluster-scoped policies per random cluster, 0 to MAX_VECTOR_CLUSTER_POLICIES (default 0: NetworkPolicy only, what every CNI implements). */
  readonly maxClusterPolicies?: number;
  /** The protocol/port specs to probe instead of the derived ones (at most MAX_VECTOR_PORTS). */
  readonly ports?: readonly PortSpec[];
  /** Refuse a case of more flows than this (default DEFAULT_MAX_VECTOR_FLOWS). */
  readonly maxFlows?: number;
  /** How the reference evaluates (default: the defaults of every engine). */
  readonly evaluation?: EvaluationOptions;
  /** Engines each case is cross-checked against (verdicts and explanations): the first disagreement is reported in the case. */
  readonly crossCheck?: readonly NamedEngineMaker[];
}

/**
 * Why one direction was decided, for tools that want more than `allowed`: the reason
 * (DecisionReason), and for a rule the policy (`namespace/name`, or `cnp/name`, `anp/name`,
 * `banp/default` for a cluster-scoped one) and the rule's index in that direction's list; for
 * a cluster-scoped rule its action; for an isolated pod no rule allowed, the isolating policies.
 */
export interface VectorReason {
  readonly reason: DirectionExplanation['reason'];
  readonly policy?: string;
  readonly rule?: number;
  readonly action?: 'Accept' | 'Deny' | 'Pass';
  readonly isolatedBy?: readonly string[];
}

/**
 * One flow and its expected verdict: a line of flows.jsonl. `src`/`dst` are `namespace/pod` or
 * an address, as `netpol verdict` reads them; `allowed`, `egress`, `ingress` and `decidedBy`
 * are what `netpol verdict` prints for it (so its output on flows.jsonl is flows.jsonl
 * itself); `why` says per direction what decided; `ties` lists same-priority cluster-scoped
 * policies whose order is implementation-defined (another dataplane may decide such a flow
 * differently).
 */
export interface VectorFlow {
  readonly src: string;
  readonly dst: string;
  readonly protocol: string;
  readonly port?: number;
  readonly allowed: boolean;
  readonly egress: Explanation['egress'];
  readonly ingress: Explanation['ingress'];
  readonly decidedBy?: 'admin' | 'baseline';
  readonly why: { readonly egress: VectorReason; readonly ingress: VectorReason };
  readonly ties?: readonly string[];
}

/** One generated (or given) cluster and its truth table. */
export interface TestVectorCase {
  /** 1-based position among the cases of the call. */
  readonly index: number;
  /** The cluster the verdicts are about (a random one after portableCluster). */
  readonly cluster: Cluster;
  /** The cluster as manifests (multi-document YAML): loads back to `cluster`. */
  readonly manifests: string;
  /** The endpoint pods, `namespace/name`, sorted: the truth table's first rows and columns. */
  readonly pods: readonly string[];
  /** The external addresses probed: the truth table's last rows and columns. */
  readonly externals: readonly string[];
  /** The protocol/port specs probed (`TCP/80`, `UDP/53`), one truth table each. */
  readonly ports: readonly string[];
  /** Every flow with its verdict, port spec by port spec, sources then destinations in table order. */
  readonly flows: readonly VectorFlow[];
  /** The first disagreement of a cross-checked engine with the reference, if any. */
  readonly disagreement?: Disagreement;
}

/** A test-vector request that cannot be met (bad option, too many flows): the message says which bound. */
export class TestVectorError extends Error {
  override readonly name = 'TestVectorError';
}

function bounded(value: number | undefined, name: string, min: number, max: number, dflt: number): number {
  const v = value ?? dflt;
  if (!Number.isSafeInteger(v) || v < min || v > max) throw new TestVectorError(`${name} must be an integer from ${min} to ${max}, not ${v}`);
  return v;
}

const isArray = (v: unknown): boolean => Array.isArray(v);

/** Every key of TestVectorOptions and its type: a misspelt option is a TypeError, not a default. */
const TEST_VECTOR_OPTIONS: OptionSpec<TestVectorOptions> = {
  seed: 'number',
  runs: 'number',
  cluster: 'object',
  maxNamespaces: 'number',
  maxPods: 'number',
  maxPolicies: 'number',
  maxClusterPolicies: 'number',
  ports: { expected: 'an array of { protocol, port } specs', is: isArray },
  maxFlows: 'number',
  evaluation: 'object',
  crossCheck: { expected: 'an array of { name, make } engine makers', is: isArray },
};

/** Why a port spec cannot be probed (a protocol number 0-255; a port 0-65535 exactly when the protocol has ports), or undefined. */
function badPortSpec(s: PortSpec): string | undefined {
  if (!Number.isInteger(s.protocol) || s.protocol < 0 || s.protocol > 255) return `protocol must be a protocol number 0-255, not ${s.protocol}`;
  if (!hasPorts(s.protocol)) return s.port === undefined ? undefined : `${protocolName(s.protocol)} has no ports, but port ${s.port} is given`;
  return Number.isInteger(s.port) && s.port! >= 0 && s.port! <= 65535 ? undefined : `${protocolName(s.protocol)} needs a port 0-65535, not ${s.port}`;
}

/** The options with their defaults, checked against the bounds (what meta.json records). */
export function resolveTestVectorOptions(o: TestVectorOptions): {
  seed: number;
  runs: number;
  maxNamespaces: number;
  maxPods: number;
  maxPolicies: number;
  maxClusterPolicies: number;
  maxFlows: number;
} {
  checkOptions('testVectors options', o, TEST_VECTOR_OPTIONS);
  const seed = o.seed ?? 0;
  if (!Number.isSafeInteger(seed)) throw new TestVectorError(`seed must be an integer, not ${seed}`);
  const runs = bounded(o.runs, 'runs', 1, MAX_VECTOR_RUNS, 1);
  if (o.cluster && runs !== 1) throw new TestVectorError('runs must be 1 with a given cluster (it is one case)');
  if (o.ports && (o.ports.length === 0 || o.ports.length > MAX_VECTOR_PORTS))
    throw new TestVectorError(`ports must list 1 to ${MAX_VECTOR_PORTS} protocol/port specs, not ${o.ports.length}`);
  for (const [i, spec] of (o.ports ?? []).entries()) {
    const bad = badPortSpec(spec);
    if (bad) throw new TestVectorError(`ports[${i}]: ${bad}`);
  }
  return {
    seed,
    runs,
    maxNamespaces: bounded(o.maxNamespaces, 'maxNamespaces', 1, 3, 3),
    maxPods: bounded(o.maxPods, 'maxPods', 1, MAX_VECTOR_PODS, 6),
    maxPolicies: bounded(o.maxPolicies, 'maxPolicies', 0, MAX_VECTOR_POLICIES, 4),
    maxClusterPolicies: bounded(o.maxClusterPolicies, 'maxClusterPolicies', 0, MAX_VECTOR_CLUSTER_POLICIES, 0),
    maxFlows: bounded(o.maxFlows, 'maxFlows', 1, Number.MAX_SAFE_INTEGER, DEFAULT_MAX_VECTOR_FLOWS),
  };
}

const keyOf = (s: PortSpec): string => `${s.protocol}/${s.port ?? ''}`;

/**
 * The port specs of a cluster's policies: each numeric port, a range's two ends and the port
 * just past it, and each named port resolved on the pods' container ports (the numbers it
 * can take), as many as fit beside EXTRA_PORTS in MAX_VECTOR_PORTS; sorted by protocol
 * number, then port.
 */
export function vectorPorts(cluster: Cluster): PortSpec[] {
  const out = new Map<string, PortSpec>();
  const add = (protocol: PolicyProtocol | number, port: number): void => {
    const n = typeof protocol === 'number' ? protocol : PROTOCOL_NUMBERS[protocol];
    if (port < 1 || port > 65535) return;
    const spec = { protocol: n, port };
    if (!out.has(keyOf(spec))) out.set(keyOf(spec), spec);
  };
  const named = (name: string, protocol?: PolicyProtocol): void => {
    for (const pod of cluster.pods)
      for (const cp of pod.ports) if (cp.name === name && (protocol === undefined || cp.protocol === protocol)) add(cp.protocol, cp.port);
  };
  for (const p of cluster.policies) {
    for (const r of [...p.ingress, ...p.egress]) {
      for (const port of r.ports) {
        if (typeof port.port === 'string') named(port.port, port.protocol);
        else if (port.port !== undefined) {
          add(port.protocol, port.port);
          if (port.endPort !== undefined) [port.endPort, port.endPort + 1].forEach((n) => add(port.protocol, n));
        }
      }
    }
  }
  for (const p of cluster.clusterPolicies ?? []) {
    for (const r of [...p.ingress, ...p.egress]) {
      for (const port of r.ports) {
        if (port.kind === 'named') named(port.name);
        else [port.start, port.end, ...(port.end > port.start ? [port.end + 1] : [])].forEach((n) => add(port.protocol, n));
      }
    }
  }
  const extras = EXTRA_PORTS.filter((s) => !out.has(keyOf(s)));
  const kept = [...[...out.values()].slice(0, MAX_VECTOR_PORTS - extras.length), ...extras];
  return kept.sort((a, b) => a.protocol - b.protocol || a.port! - b.port!);
}

const isPrivate = (a: IPAddress): boolean => PRIVATE_V4.some((r) => cidrContains(r, a));
/** Addresses no probe can sensibly use: 0.0.0.0/8, loopback, link-local, multicast and above. */
const isSpecial = (a: IPAddress): boolean => {
  if (a.family === 6) return a.value === 0n || a.value === 1n || a.value >> 120n === 0xffn || a.value >> 118n === 0x3fan;
  const first = Number(a.value >> 24n);
  return first === 0 || first === 127 || first >= 224 || a.value >> 16n === 0xa9fen;
};

/**
 * External addresses to probe: 8.8.8.8, then an address inside each CIDR (and each except) the
 * policies name, none of them a pod's or a node's, nor special, nor (for a random cluster,
 * whose pods a real cluster numbers) private; only families some pod has; at most
 * MAX_VECTOR_EXTERNALS.
 */
export function vectorExternals(cluster: Cluster, portable: boolean): IPAddress[] {
  const taken = new Set([...cluster.pods.flatMap((p) => p.ips), ...cluster.nodes.flatMap((n) => n.ips)].map((a) => formatIP(a)));
  const families = new Set(cluster.pods.flatMap((p) => p.ips.map((a) => a.family)));
  const out = new Map<string, IPAddress>();
  const candidates = [
    ...FIXED_EXTERNALS,
    ...clusterCIDRs(cluster).map((c) => ({ family: c.family, value: c.prefix >= (c.family === 4 ? 31 : 127) ? c.base : c.base + 1n })),
  ];
  for (const a of candidates) {
    const text = formatIP(a);
    if (out.size >= MAX_VECTOR_EXTERNALS || out.has(text) || taken.has(text) || !families.has(a.family) || isSpecial(a) || (portable && isPrivate(a))) continue;
    out.set(text, a);
  }
  return [...out.values()];
}

/** One direction's reason as flows.jsonl gives it. */
function reasonOf(d: DirectionExplanation): VectorReason {
  if (d.reason === 'rule') {
    const r = d.allowedBy[0]!;
    return { reason: d.reason, policy: r.policy, rule: r.ruleIndex };
  }
  if (d.reason === 'admin-rule' || d.reason === 'baseline-rule') {
    const r = d.clusterRules[d.clusterRules.length - 1]!;
    return { reason: d.reason, policy: r.policy, rule: r.ruleIndex, action: r.action };
  }
  if (d.reason === 'no-rule-matched') return { reason: d.reason, isolatedBy: d.isolatedBy };
  return { reason: d.reason };
}

/** An end of the table: a pod by name (with its addresses) or an external address. */
interface VectorEnd {
  readonly name: string;
  readonly ips: readonly IPAddress[];
  readonly pod: boolean;
}

/** Whether a flow from `a` to `b` is in the set: at least one end a pod, and a family in common. */
const isFlow = (a: VectorEnd, b: VectorEnd): boolean => (a.pod || b.pod) && pickFamily(a.ips, b.ips) !== undefined;

/**
 * How many flows one port spec makes, without enumerating them (a large cluster is refused
 * before any quadratic work): pod pairs with a family in common (those with IPv4, plus those
 * with IPv6, less those counted twice), and each pod to and from each external of its family.
 */
function flowsPerPort(pods: readonly Pod[], externals: readonly IPAddress[]): number {
  const has = (p: Pod, f: 4 | 6): boolean => p.ips.some((a) => a.family === f);
  const n4 = pods.filter((p) => has(p, 4)).length;
  const n6 = pods.filter((p) => has(p, 6)).length;
  const both = pods.filter((p) => has(p, 4) && has(p, 6)).length;
  const e4 = externals.filter((a) => a.family === 4).length;
  return n4 * n4 + n6 * n6 - both * both + 2 * (n4 * e4 + n6 * (externals.length - e4));
}

/** The truth table of one cluster: every flow of the set with the reference's verdict. */
function vectorCase(index: number, cluster: Cluster, portable: boolean, o: TestVectorOptions, maxFlows: number): TestVectorCase {
  const evaluation = o.evaluation ?? {};
  const reference = new ReferenceEvaluator(cluster, evaluation);
  // Sorted by code units, not localeCompare (matrixPods' order): the same on every machine and locale.
  const name = (p: Pod): string => `${p.namespace}/${p.name}`;
  const pods: Pod[] = matrixPods(reference).sort((a, b) => (name(a) < name(b) ? -1 : name(a) > name(b) ? 1 : 0));
  if (pods.length === 0) {
    throw new TestVectorError(
      'the cluster has no pod to probe (pod network, an address, not finished): workloads without pods are no endpoints a dataplane can be probed on; give the pods too (kubectl get pods -A -o yaml)',
    );
  }
  const externals = vectorExternals(cluster, portable);
  const ports = o.ports ? [...o.ports] : vectorPorts(cluster);
  const ends: VectorEnd[] = [
    ...pods.map((p) => ({ name: `${p.namespace}/${p.name}`, ips: p.ips, pod: true })),
    ...externals.map((a) => ({ name: formatIP(a), ips: [a], pod: false })),
  ];
  const perPort = flowsPerPort(pods, externals);
  if (perPort * ports.length > maxFlows) {
    throw new TestVectorError(
      `case ${index}: ${pods.length} pods, ${externals.length} external addresses and ${ports.length} port specs make ${perPort * ports.length} flows, more than the limit of ${maxFlows}: probe fewer ports (ports, --port) or raise the limit (maxFlows, --max-flows)`,
    );
  }
  const flows: VectorFlow[] = [];
  for (const spec of ports) {
    for (const a of ends) {
      for (const b of ends) {
        if (!isFlow(a, b)) continue;
        const record = { src: a.name, dst: b.name, protocol: protocolName(spec.protocol), ...(spec.port !== undefined && { port: spec.port }) };
        const parsed = parseFlow(record, reference.index);
        if (!parsed.ok) throw new Error(`test vectors: a flow of the table does not parse (${parsed.error}): ${JSON.stringify(record)}`);
        const e = reference.explain(parsed.flow);
        const tier = verdictTier(e);
        const ties = [...new Set([...e.egressDetail.ties, ...e.ingressDetail.ties])];
        flows.push({
          ...record,
          allowed: e.allowed,
          egress: e.egress,
          ingress: e.ingress,
          ...((tier === 'admin' || tier === 'baseline') && { decidedBy: tier }),
          why: { egress: reasonOf(e.egressDetail), ingress: reasonOf(e.ingressDetail) },
          ...(ties.length > 0 && { ties }),
        });
      }
    }
  }
  const disagreement =
    o.crossCheck && o.crossCheck.length > 0
      ? compareEngines(
          cluster,
          flows.map((f) => parseFlow(f, reference.index)).flatMap((p) => (p.ok ? [p.flow] : [])),
          o.crossCheck,
          evaluation,
        )
      : undefined;
  return {
    index,
    cluster,
    manifests: clusterToYaml(cluster),
    pods: ends.filter((e) => e.pod).map((e) => e.name),
    externals: externals.map((a) => formatIP(a)),
    ports: ports.map(formatPortSpec),
    flows,
    ...(disagreement && { disagreement }),
  };
}

/** The random clusters of a seed, portable: case i is the same for every `runs` ≥ i. */
function randomClusters(o: TestVectorOptions): Cluster[] {
  const r = resolveTestVectorOptions(o);
  const arbitrary = clusterArbitrary({
    ipv6: false,
    maxNodes: 0,
    maxNamespaces: r.maxNamespaces,
    maxPods: r.maxPods,
    maxPolicies: r.maxPolicies,
    maxClusterPolicies: r.maxClusterPolicies,
  });
  return fc.sample(arbitrary, { seed: r.seed, numRuns: r.runs }).map(portableCluster);
}

/**
 * Test vectors, one case at a time (a generator, so that a long run can report progress and
 * write each case as it comes): random portable clusters from `seed` (`runs` of them), or
 * the one cluster given, each with the reference's verdict of every flow of its set.
 * Throws a TypeError for an unknown option or one of the wrong type (a misspelt key would
 * otherwise leave its default), TestVectorError for an option out of bounds or a case over
 * `maxFlows`.
 *
 * @example
 * for (const c of testVectorCases({ seed: 7, runs: 3 })) console.log(c.index, c.flows.filter((f) => !f.allowed).length);
 */
export function* testVectorCases(options: TestVectorOptions = {}): Generator<TestVectorCase> {
  const r = resolveTestVectorOptions(options);
  if (options.cluster) {
    yield vectorCase(1, options.cluster, false, options, r.maxFlows);
    return;
  }
  const clusters = randomClusters(options);
  for (let i = 0; i < clusters.length; i++) yield vectorCase(i + 1, clusters[i]!, true, options, r.maxFlows);
}

/**
 * Every case of testVectorCases, as an array.
 *
 * @example
 * const [c] = testVectors({ seed: 1 });
 * console.log(c.manifests, c.flows.length, truthTableText(c));
 */
export function testVectors(options: TestVectorOptions = {}): TestVectorCase[] {
  return [...testVectorCases(options)];
}
