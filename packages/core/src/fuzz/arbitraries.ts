/**
 * fast-check generators for differential fuzzing (compiled engine vs ReferenceEvaluator).
 *
 * Everything is drawn from tiny pools so that things collide: a handful of namespace names,
 * label keys a/b/c with values x/y, pod IPs from 10.0.0.0/29, 10.0.1.0/30 and fd00::/125
 * (shared between pods, hostNetwork pods take node IPs), port names http/dns/metrics whose
 * numbers differ from pod to pod, and ipBlocks anchored on those pools. Flows are then drawn
 * from the addresses and ports the cluster actually mentions, plus the edges around them.
 *
 * Every generated Cluster satisfies the model's invariants (the loader could have produced
 * it): CIDR bases are masked, excepts are strict same-family subsets, a pod has at most one
 * IP per family, names are unique per namespace, a hostNetwork pod's IPs are its node's,
 * every referenced namespace exists, and a pod's regular-container ports come before its
 * init-container ports (the order the loader produces).
 *
 * With `maxClusterPolicies` > 0 the cluster also gets cluster-scoped policies (Admin and
 * Baseline ClusterNetworkPolicies, AdminNetworkPolicies, sometimes the
 * BaselineAdminNetworkPolicy) and node labels, drawn after the NetworkPolicy-only parts, so a
 * given seed draws the same NetworkPolicy-only cluster as before whenever the option is off.
 * Priorities come from a pool of four values (ties are common), actions lean on Pass so that
 * chains of Passes across policies happen, peers are of every kind (`networks` anchored on the
 * pod and node pools, `nodes` over node labels, `domainNames` matched by flows' `dstName`),
 * and every policy respects the CRDs' rules (exactly-one-of peers, named ports never beside
 * nodes/networks/domainNames peers, domainNames only in egress Accept rules, BANP's actions).
 */
import fc from 'fast-check';
import { bitsOf, ipKey, parseIP, type Family, type IPAddress } from '../ip/address.js';
import { cidrContains, type CIDR } from '../ip/cidr.js';
import type { Flow } from '../model/flow.js';
import { ClusterIndex } from '../model/cluster-index.js';
import { EMPTY_SELECTOR } from '../model/selector.js';
import type { EvaluationOptions } from '../model/options.js';
import { hasPorts, PROTOCOL_NUMBERS } from '../model/protocol.js';
import type {
  Cluster,
  ClusterAction,
  ClusterPeer,
  ClusterPolicy,
  ClusterPort,
  ClusterRule,
  ClusterSubject,
  ContainerPort,
  Labels,
  Namespace,
  NetworkPolicy,
  Node,
  Owner,
  Peer,
  Pod,
  PodPhase,
  PolicyPort,
  PolicyProtocol,
  Rule,
  Selector,
  SelectorOperator,
  SelectorRequirement,
  Workload,
  WorkloadKind,
} from '../model/types.js';

// ------------------------------------------------------------------------------------------
// Pools

export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';
export const NAMESPACE_POOL = ['default', 'prod', 'dev'] as const;
export const LABEL_KEYS = ['a', 'b', 'c'] as const;
export const LABEL_VALUES = ['x', 'y'] as const;
/** Port names used by containers; policies also use UNKNOWN_PORT_NAME, which no pod has. */
export const PORT_NAMES = ['http', 'dns', 'metrics'] as const;
export const UNKNOWN_PORT_NAME = 'grpc';
/** Container port numbers: a name gets a different one on different pods. */
export const CONTAINER_PORTS = [80, 8080, 53, 9090, 1, 65535] as const;
/** Numeric policy ports: boundaries plus the container ports. */
export const POLICY_PORTS = [1, 2, 65534, 65535, 80, 8080, 53, 9090] as const;
export const OPERATORS: readonly SelectorOperator[] = ['In', 'NotIn', 'Exists', 'DoesNotExist'];
/** Cluster-scoped priorities: few values, one of them likely, so equal priorities are frequent. */
export const CLUSTER_PRIORITIES = [0, 1, 1, 1, 1000] as const;
/** Patterns of domainNames peers (exact and `*.` wildcards, one upper-case to check case folding). */
export const DOMAIN_PATTERNS = ['example.com', '*.example.com', 'API.example.com', '*.svc.cluster.local', 'kubernetes.default.svc.cluster.local'] as const;
/** Flow destination names: some match exactly, some only a wildcard, some nothing. */
export const FLOW_NAMES = [
  'example.com',
  'api.example.com',
  'a.b.example.com',
  'kubernetes.default.svc.cluster.local',
  'svc.cluster.local',
  'example.org',
] as const;

function ip(text: string): IPAddress {
  const a = parseIP(text);
  if (!a) throw new Error(`bad pool address ${text}`);
  return a;
}
const range = (prefix: string, from: number, to: number, hex = false): IPAddress[] =>
  Array.from({ length: to - from + 1 }, (_, i) => ip(`${prefix}${hex ? (from + i).toString(16) : from + i}`));

/** Pod IPv4 pool: 10.0.0.0/29 and 10.0.1.0/30 (12 addresses, network addresses included). */
export const POD_V4: readonly IPAddress[] = [...range('10.0.0.', 0, 7), ...range('10.0.1.', 0, 3)];
/** Pod IPv6 pool: fd00::/125. */
export const POD_V6: readonly IPAddress[] = range('fd00::', 0, 7, true);
/** Node i gets NODE_V4[i] (or, rarely, a pod-pool address), NODE_V6[i], NODE_EXTERNAL_V4[i]. */
export const NODE_V4: readonly IPAddress[] = range('10.0.2.', 1, 3);
export const NODE_V6: readonly IPAddress[] = range('fd00::', 8, 10, true);
export const NODE_EXTERNAL_V4: readonly IPAddress[] = range('192.168.0.', 1, 3);
/** Addresses outside every pool (never IPv4-mapped IPv6: such a CIDR cannot be written, see to-yaml.ts). */
export const EXTERNAL_V4: readonly IPAddress[] = ['0.0.0.0', '8.8.8.8', '10.0.3.1', '192.168.1.10', '255.255.255.255'].map(ip);
export const EXTERNAL_V6: readonly IPAddress[] = ['::', '2001:db8::1', 'fd00::ff', 'fd00:0:0:1::1', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'].map(ip);

const CIDR_ANCHORS: Record<Family, readonly IPAddress[]> = {
  4: [...POD_V4, ...NODE_V4, ...NODE_EXTERNAL_V4, ...EXTERNAL_V4],
  6: [...POD_V6, ...NODE_V6, ...EXTERNAL_V6],
};
/** Prefix lengths around the pools: /29 and /30 are the pools themselves, /23 covers both. */
const CIDR_PREFIXES: Record<Family, readonly number[]> = {
  4: [0, 8, 16, 22, 23, 24, 28, 29, 30, 31, 32],
  6: [0, 8, 64, 120, 124, 125, 126, 127, 128],
};

// ------------------------------------------------------------------------------------------
// Small helpers

const allOnes = (bits: number): bigint => (1n << BigInt(bits)) - 1n;
const maskOf = (family: Family, prefix: number): bigint => allOnes(bitsOf(family)) ^ allOnes(bitsOf(family) - prefix);
export const makeCIDR = (family: Family, value: bigint, prefix: number): CIDR => ({ family, prefix, base: value & maskOf(family, prefix) });
export const lastOf = (c: CIDR): bigint => c.base | allOnes(bitsOf(c.family) - c.prefix);

/** True with probability `percent`%; shrinks towards false. */
const chance = (percent: number): fc.Arbitrary<boolean> => fc.noBias(fc.integer({ min: 0, max: 99 })).map((n) => n >= 100 - percent);

const pick = <T>(list: readonly T[], i: number): T => list[i % list.length]!;

const weighted = <T>(...entries: [number, fc.Arbitrary<T>][]): fc.Arbitrary<T> =>
  fc.oneof(...entries.filter(([w]) => w > 0).map(([weight, arbitrary]) => ({ weight, arbitrary })));

const protocolArb: fc.Arbitrary<PolicyProtocol> = weighted<PolicyProtocol>([4, fc.constant('TCP')], [2, fc.constant('UDP')], [1, fc.constant('SCTP')]);
const valueArb = fc.constantFrom(...LABEL_VALUES);

/** Pod (or namespace) labels over the tiny alphabet; any key may be missing. */
const labelsArb: fc.Arbitrary<Labels> = fc
  .record({ a: valueArb, b: valueArb, c: valueArb }, { requiredKeys: [] })
  .map((r) => Object.fromEntries(Object.entries(r)));

// ------------------------------------------------------------------------------------------
// Selectors

interface KeySpace {
  readonly key: string;
  readonly values: readonly string[];
}
const POD_KEYS: readonly KeySpace[] = LABEL_KEYS.map((key) => ({ key, values: LABEL_VALUES }));
const NAMESPACE_KEYS: readonly KeySpace[] = [...POD_KEYS, { key: NAMESPACE_NAME_LABEL, values: NAMESPACE_POOL }];

function requirementArb(keys: readonly KeySpace[]): fc.Arbitrary<SelectorRequirement> {
  return fc
    .record({
      k: fc.nat({ max: keys.length - 1 }),
      operator: fc.constantFrom(...OPERATORS),
      values: fc.array(fc.nat({ max: 5 }), { minLength: 1, maxLength: 2 }),
    })
    .map(({ k, operator, values }) => {
      const space = pick(keys, k);
      const needsValues = operator === 'In' || operator === 'NotIn';
      return { key: space.key, operator, values: needsValues ? [...new Set(values.map((v) => pick(space.values, v)))] : [] };
    });
}

function selectorArb(keys: readonly KeySpace[]): fc.Arbitrary<Selector> {
  const matchLabels = fc
    .array(fc.tuple(fc.nat({ max: keys.length - 1 }), fc.nat({ max: 5 })), { minLength: 1, maxLength: 2 })
    .map((pairs) => Object.fromEntries(pairs.map(([k, v]) => [pick(keys, k).key, pick(pick(keys, k).values, v)])));
  const expressions = fc.array(requirementArb(keys), { minLength: 1, maxLength: 2 });
  return weighted<Selector>(
    [4, fc.constant({ matchLabels: {}, matchExpressions: [] })],
    [3, matchLabels.map((m) => ({ matchLabels: m, matchExpressions: [] }))],
    [3, expressions.map((e) => ({ matchLabels: {}, matchExpressions: e }))],
    [1, fc.tuple(matchLabels, expressions).map(([m, e]) => ({ matchLabels: m, matchExpressions: e }))],
  );
}

// ------------------------------------------------------------------------------------------
// ipBlocks and peers

function ipBlockArb(ipv6: boolean): fc.Arbitrary<Peer> {
  const exceptShape = fc.record({ prefixChoice: fc.nat({ max: 20 }), anchorChoice: fc.nat({ max: 40 }), offset: fc.bigInt({ min: 0n, max: allOnes(128) }) });
  return fc
    .record({
      v6: ipv6 ? chance(30) : fc.constant(false),
      anchor: fc.nat({ max: 40 }),
      prefix: fc.nat({ max: 20 }),
      excepts: fc.array(exceptShape, { maxLength: 2 }),
    })
    .map(({ v6, anchor, prefix, excepts }) => {
      const family: Family = v6 ? 6 : 4;
      const bits = bitsOf(family);
      const anchors = CIDR_ANCHORS[family];
      const cidr = makeCIDR(family, pick(anchors, anchor).value, pick(CIDR_PREFIXES[family], prefix));
      const except: CIDR[] = [];
      if (cidr.prefix < bits) {
        // Longer prefixes only (strict subset): the pool's ones, one bit longer, or a host.
        const prefixes = [...new Set([...CIDR_PREFIXES[family].filter((p) => p > cidr.prefix), cidr.prefix + 1, bits])].sort((a, b) => a - b);
        const inside = anchors.filter((a) => cidrContains(cidr, a));
        for (const e of excepts) {
          const i = e.anchorChoice % (inside.length + 1);
          const value = i < inside.length ? inside[i]!.value : cidr.base | (e.offset & allOnes(bits - cidr.prefix));
          except.push(makeCIDR(family, value, pick(prefixes, e.prefixChoice)));
        }
      }
      return { kind: 'ipBlock' as const, ipBlock: { cidr, except } };
    });
}

/** One CIDR anchored on the pools (masked; never IPv4-mapped IPv6). */
function cidrArb(ipv6: boolean): fc.Arbitrary<CIDR> {
  return fc.record({ v6: ipv6 ? chance(30) : fc.constant(false), anchor: fc.nat({ max: 40 }), prefix: fc.nat({ max: 20 }) }).map(({ v6, anchor, prefix }) => {
    const family: Family = v6 ? 6 : 4;
    return makeCIDR(family, pick(CIDR_ANCHORS[family], anchor).value, pick(CIDR_PREFIXES[family], prefix));
  });
}

function peerArb(ipv6: boolean): fc.Arbitrary<Peer> {
  const pod = selectorArb(POD_KEYS);
  const ns = selectorArb(NAMESPACE_KEYS);
  return weighted<Peer>(
    [2, pod.map((podSelector) => ({ kind: 'selector' as const, podSelector }))],
    [2, ns.map((namespaceSelector) => ({ kind: 'selector' as const, namespaceSelector }))],
    [2, fc.tuple(pod, ns).map(([podSelector, namespaceSelector]) => ({ kind: 'selector' as const, podSelector, namespaceSelector }))],
    [3, ipBlockArb(ipv6)],
  );
}

// ------------------------------------------------------------------------------------------
// Policy ports and rules

/** The usual number and protocol for each port name; other pods use the other entries. */
const NAMED_PORT_HABITS: Record<(typeof PORT_NAMES)[number], readonly { port: number; protocol: PolicyProtocol }[]> = {
  http: [
    { port: 80, protocol: 'TCP' },
    { port: 8080, protocol: 'TCP' },
    { port: 8080, protocol: 'SCTP' },
  ],
  dns: [
    { port: 53, protocol: 'UDP' },
    { port: 53, protocol: 'TCP' },
    { port: 9090, protocol: 'UDP' },
  ],
  metrics: [
    { port: 9090, protocol: 'TCP' },
    { port: 65535, protocol: 'TCP' },
    { port: 1, protocol: 'UDP' },
  ],
};

const policyPortArb: fc.Arbitrary<PolicyPort> = weighted<PolicyPort>(
  [3, fc.record({ protocol: protocolArb, port: fc.constantFrom(...POLICY_PORTS) })],
  [
    2,
    fc.record({ protocol: protocolArb, port: fc.constantFrom(...POLICY_PORTS), end: fc.nat({ max: 9 }) }).map(({ protocol, port, end }) => {
      // endPort == port, port+1, a little further, 65535, or another pool port above it.
      const ends = [...new Set([port, port + 1, port + 10, 65535, ...POLICY_PORTS.filter((p) => p > port)])].filter((p) => p <= 65535);
      return { protocol, port, endPort: pick(ends, end) };
    }),
  ],
  [
    2,
    // Named ports mostly with the protocol their name usually has, so that they do match.
    fc
      .record({ protocol: protocolArb, port: fc.constantFrom<string>(...PORT_NAMES, UNKNOWN_PORT_NAME), habitual: chance(70) })
      .map(({ protocol, port, habitual }) => ({
        protocol: habitual && port !== UNKNOWN_PORT_NAME ? NAMED_PORT_HABITS[port as (typeof PORT_NAMES)[number]][0]!.protocol : protocol,
        port,
      })),
  ],
  [1, fc.record({ protocol: protocolArb })],
);

function ruleArb(ipv6: boolean): fc.Arbitrary<Rule> {
  return fc.record({ ports: fc.array(policyPortArb, { maxLength: 3 }), peers: fc.array(peerArb(ipv6), { maxLength: 3 }) });
}

const AFFECTS = [
  { ingress: true, egress: false },
  { ingress: false, egress: true },
  { ingress: true, egress: true },
] as const;

// ------------------------------------------------------------------------------------------
// The cluster

export interface ClusterArbitraryOptions {
  /** 1-3 (the namespace pool has three names). Default 3. */
  readonly maxNamespaces?: number;
  /** 0-3. Default 3. */
  readonly maxNodes?: number;
  /** At least 1. Default 8. */
  readonly maxPods?: number;
  /** Default 5. */
  readonly maxPolicies?: number;
  /** Generate IPv6 pod, node and ipBlock addresses. Default true. */
  readonly ipv6?: boolean;
  /**
   * Cluster-scoped policies (CNPs and ANPs; the BANP comes on top, sometimes). Default 0: a
   * NetworkPolicy-only cluster, drawn exactly as without the option.
   */
  readonly maxClusterPolicies?: number;
  /**
   * Also draw `unknown` peers (what a lenient load makes of a peer with no field netpol knows;
   * no manifest loads as one, so clusterToYaml cannot write them). Default false.
   */
  readonly unknownPeers?: boolean;
  /**
   * Workloads (pod templates): up to this many, some owned by another (a Deployment's
   * ReplicaSet), some with pods of the cluster pointing at them as their owner, so that both
   * template pods (address-less endpoints) and grouped pods occur. Default 0: drawn exactly as
   * without the option.
   */
  readonly maxWorkloads?: number;
}

const phaseArb: fc.Arbitrary<PodPhase> = weighted<PodPhase>(
  [12, fc.constant('Running')],
  [2, fc.constant('Pending')],
  [1, fc.constant('Succeeded')],
  [1, fc.constant('Failed')],
  [1, fc.constant('Unknown')],
);

/** Named ports mostly follow a habit (so rules naming them match), sometimes anything. */
const containerPortArb: fc.Arbitrary<ContainerPort> = fc
  .record({
    name: fc.option(fc.constantFrom(...PORT_NAMES), { freq: 4, nil: undefined }),
    habit: fc.nat({ max: 2 }),
    random: chance(20),
    port: fc.constantFrom(...CONTAINER_PORTS),
    protocol: protocolArb,
    init: chance(25),
  })
  .map(({ name, habit, random, port, protocol, init }) => {
    if (name === undefined) return { port, protocol, init };
    return random ? { name, port, protocol, init } : { name, ...NAMED_PORT_HABITS[name][habit]!, init };
  });

type Stack = 'v4' | 'v6' | 'dual' | 'none';

export function clusterArbitrary(opts: ClusterArbitraryOptions = {}): fc.Arbitrary<Cluster> {
  const ipv6 = opts.ipv6 ?? true;
  const maxNamespaces = Math.max(1, Math.min(NAMESPACE_POOL.length, opts.maxNamespaces ?? 3));
  const maxNodes = Math.max(0, Math.min(NODE_V4.length, opts.maxNodes ?? 3));
  const maxPods = Math.max(1, opts.maxPods ?? 8);
  const maxPolicies = Math.max(0, opts.maxPolicies ?? 5);

  // natShared: nodes behind one NAT list the same ExternalIP (an address with two nodes).
  const nodeShape = fc.record({ podPoolIP: chance(10), v6: ipv6 ? chance(50) : fc.constant(false), external: chance(20), natShared: chance(50) });
  const stackArb: fc.Arbitrary<Stack> = ipv6
    ? weighted<Stack>([6, fc.constant('v4')], [2, fc.constant('v6')], [3, fc.constant('dual')], [1, fc.constant('none')])
    : weighted<Stack>([10, fc.constant('v4')], [1, fc.constant('none')]);
  const podShape = fc.record({
    ns: fc.nat({ max: maxNamespaces - 1 }),
    labels: labelsArb,
    node: fc.option(fc.nat({ max: Math.max(0, maxNodes - 1) }), { freq: 5, nil: undefined }),
    stack: stackArb,
    v4: fc.nat({ max: POD_V4.length - 1 }),
    v6: fc.nat({ max: POD_V6.length - 1 }),
    hostNetwork: chance(15),
    phase: phaseArb,
    ports: fc.array(containerPortArb, { maxLength: 3 }),
  });
  const policyShape = fc.record({
    ns: fc.nat({ max: maxNamespaces - 1 }),
    podSelector: selectorArb(POD_KEYS),
    affects: fc.constantFrom(...AFFECTS),
    ingress: fc.array(ruleArb(ipv6), { maxLength: 2 }),
    egress: fc.array(ruleArb(ipv6), { maxLength: 2 }),
  });

  const base = fc
    .record({
      namespaces: fc.subarray([...NAMESPACE_POOL], { minLength: 1, maxLength: maxNamespaces }),
      namespaceLabels: fc.tuple(labelsArb, labelsArb, labelsArb),
      nodes: fc.array(nodeShape, { maxLength: maxNodes }),
      pods: fc.array(podShape, { minLength: 1, maxLength: maxPods }),
      policies: fc.array(policyShape, { maxLength: maxPolicies }),
    })
    .map((s): Cluster => {
      const namespaces: Namespace[] = s.namespaces.map((name, i) => ({ name, labels: { ...s.namespaceLabels[i], [NAMESPACE_NAME_LABEL]: name } }));
      const nodes: Node[] = s.nodes.map((n, i) => ({
        name: `node-${i}`,
        ips: [
          n.podPoolIP ? POD_V4[POD_V4.length - 1 - i]! : NODE_V4[i]!,
          ...(n.external ? [n.natShared ? NODE_EXTERNAL_V4[0]! : NODE_EXTERNAL_V4[i]!] : []),
          ...(n.v6 ? [NODE_V6[i]!] : []),
        ],
      }));
      const counters = new Map<string, number>();
      const nextName = (ns: string, prefix: string): string => {
        const k = `${prefix}/${ns}`;
        const n = counters.get(k) ?? 0;
        counters.set(k, n + 1);
        return `${prefix}-${n}`;
      };
      const pods: Pod[] = s.pods.map((p) => {
        const namespace = pick(namespaces, p.ns).name;
        const node = p.node !== undefined && nodes.length > 0 ? pick(nodes, p.node) : undefined;
        const hostNetwork = p.hostNetwork && node !== undefined;
        let ips: IPAddress[];
        if (hostNetwork) {
          // A hostNetwork pod reports its node's addresses (one per family).
          const v4 = node.ips.find((x) => x.family === 4);
          const v6 = node.ips.find((x) => x.family === 6);
          ips = [...(p.stack !== 'v6' || !v6 ? [v4!] : []), ...((p.stack === 'v6' || p.stack === 'dual') && v6 ? [v6] : [])];
        } else {
          ips = [...(p.stack === 'v4' || p.stack === 'dual' ? [POD_V4[p.v4]!] : []), ...(p.stack === 'v6' || p.stack === 'dual' ? [POD_V6[p.v6]!] : [])];
        }
        // The loader lists regular-container ports first, then init-container ports.
        const ports = [...p.ports.filter((x) => !x.init), ...p.ports.filter((x) => x.init)];
        return {
          namespace,
          name: nextName(namespace, 'pod'),
          labels: p.labels,
          ips,
          ...(node && { nodeName: node.name }),
          hostNetwork,
          phase: p.phase,
          ports,
        };
      });
      const policies: NetworkPolicy[] = s.policies.map((p) => {
        const namespace = pick(namespaces, p.ns).name;
        return { namespace, name: nextName(namespace, 'np'), podSelector: p.podSelector, affects: { ...p.affects }, ingress: p.ingress, egress: p.egress };
      });
      return { namespaces, pods, nodes, policies };
    });
  const maxClusterPolicies = Math.max(0, opts.maxClusterPolicies ?? 0);
  const tiered =
    maxClusterPolicies === 0
      ? base
      : fc.tuple(base, tiersArb({ ipv6, unknownPeers: opts.unknownPeers ?? false }, maxClusterPolicies)).map(([cluster, tiers]) => withTiers(cluster, tiers));
  const maxWorkloads = Math.max(0, opts.maxWorkloads ?? 0);
  if (maxWorkloads === 0) return tiered;
  return fc.tuple(tiered, fc.array(workloadShape, { maxLength: maxWorkloads })).map(([cluster, shapes]) => withWorkloads(cluster, shapes));
}

// ------------------------------------------------------------------------------------------
// Workloads

const WORKLOAD_KINDS: readonly WorkloadKind[] = ['Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet', 'ReplicationController', 'Job', 'CronJob'];

const workloadShape = fc.record({
  ns: fc.nat({ max: NAMESPACE_POOL.length - 1 }),
  kind: fc.constantFrom(...WORKLOAD_KINDS),
  labels: labelsArb,
  ports: fc.array(containerPortArb, { maxLength: 3 }),
  hostNetwork: chance(10),
  /** Owned by the workload drawn before it (when in the same namespace). */
  ownedByPrevious: chance(15),
  /** Takes over up to this many of the cluster's pods of its namespace (their owner). */
  pods: fc.nat({ max: 2 }),
});
type WorkloadShape = typeof workloadShape extends fc.Arbitrary<infer T> ? T : never;

/**
 * Adds the workloads: each in one of the cluster's namespaces, named `wl-<i>`; some take pods
 * of the cluster as theirs (those pods get it as owner: the workload is then no template), the
 * rest are represented by template pods.
 */
function withWorkloads(cluster: Cluster, shapes: readonly WorkloadShape[]): Cluster {
  const workloads: Workload[] = [];
  const tops: Owner[] = [];
  const pods = [...cluster.pods];
  const taken = new Set<number>();
  shapes.forEach((w, i) => {
    const namespace = pick(cluster.namespaces, w.ns).name;
    const prev = workloads[workloads.length - 1];
    const owned = w.ownedByPrevious && prev && prev.namespace === namespace;
    const owner = owned ? { kind: prev.kind, name: prev.name } : undefined;
    const ports = [...w.ports.filter((x) => !x.init), ...w.ports.filter((x) => x.init)];
    // A ReplicationController's selector defaults to its template labels and may not be empty.
    const kind = w.kind === 'ReplicationController' && Object.keys(w.labels).length === 0 ? 'Deployment' : w.kind;
    const workload: Workload = { kind, namespace, name: `wl-${i}`, labels: w.labels, ports, hostNetwork: w.hostNetwork, ...(owner && { owner }) };
    workloads.push(workload);
    // The pods of an owned workload belong to its top-level owner (up the whole chain), as the loader resolves them.
    const top = owned ? tops[tops.length - 1]! : { kind: workload.kind, name: workload.name };
    tops.push(top);
    let left = w.pods;
    pods.forEach((p, j) => {
      if (left === 0 || taken.has(j) || p.namespace !== namespace || p.owner) return;
      taken.add(j);
      left--;
      pods[j] = { ...p, owner: top };
    });
  });
  // Absent rather than empty, as the loader gives it.
  return { ...cluster, pods, ...(workloads.length > 0 && { workloads }) };
}

// ------------------------------------------------------------------------------------------
// Cluster-scoped policies

const NODE_KEYS: readonly KeySpace[] = POD_KEYS;

/** v1alpha2 CNPs of either tier, v1alpha1 ANPs; the BANP is drawn apart (a singleton). */
type PolicyFlavour = { kind: 'ClusterNetworkPolicy'; tier: 'Admin' | 'Baseline' } | { kind: 'AdminNetworkPolicy'; tier: 'Admin' };

const flavourArb: fc.Arbitrary<PolicyFlavour> = weighted<PolicyFlavour>(
  [4, fc.constant({ kind: 'ClusterNetworkPolicy', tier: 'Admin' } as const)],
  [3, fc.constant({ kind: 'ClusterNetworkPolicy', tier: 'Baseline' } as const)],
  [2, fc.constant({ kind: 'AdminNetworkPolicy', tier: 'Admin' } as const)],
);

const EVERY_NAMESPACE: ClusterSubject & ClusterPeer = { kind: 'namespaces', namespaceSelector: EMPTY_SELECTOR };

/** Every pod often: a subject that selects nothing leaves the tiers nothing to decide. */
const subjectArb: fc.Arbitrary<ClusterSubject> = weighted<ClusterSubject>(
  [3, fc.constant(EVERY_NAMESPACE)],
  [2, selectorArb(NAMESPACE_KEYS).map((namespaceSelector) => ({ kind: 'namespaces' as const, namespaceSelector }))],
  [
    3,
    fc
      .tuple(selectorArb(NAMESPACE_KEYS), selectorArb(POD_KEYS))
      .map(([namespaceSelector, podSelector]) => ({ kind: 'pods' as const, namespaceSelector, podSelector })),
  ],
);

/** What the cluster-scoped generators draw from. */
interface TierDraw {
  readonly ipv6: boolean;
  readonly unknownPeers: boolean;
}

/** A peer of a cluster-scoped rule; `egress` allows nodes, networks and domainNames. */
function clusterPeerArb({ ipv6, unknownPeers }: TierDraw, egress: boolean): fc.Arbitrary<ClusterPeer> {
  return weighted<ClusterPeer>(
    [unknownPeers ? 1 : 0, fc.constant({ kind: 'unknown' as const })],
    [2, fc.constant(EVERY_NAMESPACE)],
    [3, selectorArb(NAMESPACE_KEYS).map((namespaceSelector) => ({ kind: 'namespaces' as const, namespaceSelector }))],
    [
      3,
      fc
        .tuple(selectorArb(NAMESPACE_KEYS), selectorArb(POD_KEYS))
        .map(([namespaceSelector, podSelector]) => ({ kind: 'pods' as const, namespaceSelector, podSelector })),
    ],
    [egress ? 2 : 0, selectorArb(NODE_KEYS).map((nodeSelector) => ({ kind: 'nodes' as const, nodeSelector }))],
    [
      egress ? 3 : 0,
      fc
        .uniqueArray(cidrArb(ipv6), { minLength: 1, maxLength: 2, selector: (c) => `${c.family}/${c.base}/${c.prefix}` })
        .map((networks) => ({ kind: 'networks' as const, networks })),
    ],
    [
      egress ? 2 : 0,
      fc.uniqueArray(fc.constantFrom(...DOMAIN_PATTERNS), { minLength: 1, maxLength: 2 }).map((domainNames) => ({ kind: 'domainNames' as const, domainNames })),
    ],
  );
}

/** A protocols/ports entry: a number (start = end), a range (start < end), or a named port. */
const clusterPortArb: fc.Arbitrary<ClusterPort> = weighted<ClusterPort>(
  [
    3,
    fc
      .record({ protocol: protocolArb, port: fc.constantFrom(...POLICY_PORTS) })
      .map(({ protocol, port }) => ({ kind: 'range' as const, protocol, start: port, end: port })),
  ],
  [
    2,
    fc
      .record({ protocol: protocolArb, port: fc.constantFrom(...POLICY_PORTS.filter((p) => p < 65535)), end: fc.nat({ max: 9 }) })
      .map(({ protocol, port, end }) => {
        const ends = [...new Set([port + 1, port + 10, 65535, ...POLICY_PORTS.filter((p) => p > port)])].filter((p) => p <= 65535);
        return { kind: 'range' as const, protocol, start: port, end: pick(ends, end) };
      }),
  ],
  [3, fc.constantFrom<string>(...PORT_NAMES, UNKNOWN_PORT_NAME).map((name) => ({ kind: 'named' as const, name }))],
);

const ACTIONS: Record<'admin' | 'banp', fc.Arbitrary<ClusterAction>> = {
  // Pass is frequent: chains of Passes across policies are what the tiers add.
  admin: weighted<ClusterAction>([3, fc.constant('Accept')], [3, fc.constant('Deny')], [3, fc.constant('Pass')]),
  banp: weighted<ClusterAction>([1, fc.constant('Accept')], [1, fc.constant('Deny')]),
};

/**
 * A rule valid under the CRDs: domainNames peers only in egress Accept rules (not the BANP's),
 * no named ports beside nodes/networks/domainNames peers; most rules have no protocols (all
 * traffic, ICMP included).
 */
function clusterRuleArb(draw: TierDraw, egress: boolean, banp: boolean): fc.Arbitrary<ClusterRule> {
  return fc
    .record({
      named: chance(50),
      action: banp ? ACTIONS.banp : ACTIONS.admin,
      peers: fc.array(clusterPeerArb(draw, egress), { minLength: 1, maxLength: 3 }),
      allTraffic: chance(60),
      ports: fc.array(clusterPortArb, { minLength: 1, maxLength: 3 }),
    })
    .map(({ named, action, peers: drawn, allTraffic, ports: drawnPorts }) => {
      // domainNames: Accept rules only, and never in the BANP (v1alpha1 has no such BANP peer).
      let peers = action === 'Accept' && !banp ? drawn : drawn.filter((p) => p.kind !== 'domainNames');
      // A rule whose peers were all domainNames, where it may have none, gets any-namespace instead.
      if (peers.length === 0) peers = [EVERY_NAMESPACE];
      const byAddress = peers.some((p) => p.kind === 'nodes' || p.kind === 'networks' || p.kind === 'domainNames');
      const ports = allTraffic ? [] : byAddress ? drawnPorts.filter((p) => p.kind === 'range') : drawnPorts;
      // A named rule's name is a placeholder here: withTiers names it after its direction and index.
      return { ...(named && { name: '' }), action, peers, ports };
    });
}

const policyRulesArb = (draw: TierDraw, banp: boolean) =>
  fc.record({
    subject: subjectArb,
    ingress: fc.array(clusterRuleArb(draw, false, banp), { maxLength: 4 }),
    egress: fc.array(clusterRuleArb(draw, true, banp), { maxLength: 4 }),
  });

interface TierShape {
  readonly nodeLabels: readonly Labels[];
  readonly policies: readonly (PolicyFlavour & { priority: number; subject: ClusterSubject; ingress: ClusterRule[]; egress: ClusterRule[] })[];
  readonly banp: { subject: ClusterSubject; ingress: ClusterRule[]; egress: ClusterRule[] } | undefined;
}

function tiersArb(draw: TierDraw, maxPolicies: number): fc.Arbitrary<TierShape> {
  return fc.record({
    nodeLabels: fc.tuple(labelsArb, labelsArb, labelsArb),
    policies: fc.array(
      fc
        .tuple(flavourArb, fc.constantFrom(...CLUSTER_PRIORITIES), policyRulesArb(draw, false))
        .map(([flavour, priority, rules]) => ({ ...flavour, priority, ...rules })),
      { minLength: 1, maxLength: maxPolicies },
    ),
    banp: fc.option(policyRulesArb(draw, true), { freq: 3, nil: undefined }),
  });
}

/** Names rules `<direction>-<index>` when drawn as named, so explanations show both forms. */
const nameRules = (rules: readonly ClusterRule[], direction: string): ClusterRule[] =>
  rules.map((r, i) => (r.name === undefined ? r : { ...r, name: `${direction}-${i}` }));

function withTiers(cluster: Cluster, tiers: TierShape): Cluster {
  const nodes: Node[] = cluster.nodes.map((n, i) => ({ ...n, labels: { ...tiers.nodeLabels[i] } }));
  const counters = { ClusterNetworkPolicy: 0, AdminNetworkPolicy: 0 };
  const clusterPolicies: ClusterPolicy[] = tiers.policies.map((p) => ({
    kind: p.kind,
    name: `${p.kind === 'AdminNetworkPolicy' ? 'anp' : p.tier === 'Admin' ? 'admin' : 'baseline'}-${counters[p.kind]++}`,
    tier: p.tier,
    priority: p.priority,
    subject: p.subject,
    ingress: nameRules(p.ingress, 'in'),
    egress: nameRules(p.egress, 'out'),
  }));
  if (tiers.banp) {
    const { subject, ingress, egress } = tiers.banp;
    clusterPolicies.push({
      kind: 'BaselineAdminNetworkPolicy',
      name: 'default',
      tier: 'Baseline',
      priority: 1001,
      subject,
      ingress: nameRules(ingress, 'in'),
      egress: nameRules(egress, 'out'),
    });
  }
  return { ...cluster, nodes, clusterPolicies };
}

// ------------------------------------------------------------------------------------------
// Flows

export interface FlowArbitraryOptions {
  /** Also draw IPv6 flows. Default true. */
  readonly ipv6?: boolean;
  /** Percent of flows marked established (replies). Default 5. */
  readonly establishedPercent?: number;
}

/** Every rule of the cluster-scoped policies, both directions. */
const clusterRules = (cluster: Cluster): ClusterRule[] => (cluster.clusterPolicies ?? []).flatMap((p) => [...p.ingress, ...p.egress]);

/** Every CIDR the cluster's policies mention: ipBlocks with their excepts, `networks` peers. */
export function clusterCIDRs(cluster: Cluster): CIDR[] {
  const out: CIDR[] = [];
  for (const p of cluster.policies) {
    for (const r of [...p.ingress, ...p.egress]) {
      for (const peer of r.peers) if (peer.kind === 'ipBlock') out.push(peer.ipBlock.cidr, ...peer.ipBlock.except);
    }
  }
  for (const r of clusterRules(cluster)) for (const peer of r.peers) if (peer.kind === 'networks') out.push(...peer.networks);
  return out;
}

/** Addresses of one family worth probing, by where they come from (each list deduplicated). */
export interface AddressPools {
  readonly pods: readonly IPAddress[];
  readonly nodes: readonly IPAddress[];
  /** First and last address of every CIDR and except, and the addresses just outside them. */
  readonly edges: readonly IPAddress[];
  readonly external: readonly IPAddress[];
}

const dedupe = (family: Family, values: readonly bigint[]): IPAddress[] => {
  const seen = new Map<number | string, IPAddress>();
  for (const value of values) {
    const a: IPAddress = { family, value };
    if (!seen.has(ipKey(a))) seen.set(ipKey(a), a);
  }
  return [...seen.values()];
};

export function addressPools(cluster: Cluster, family: Family): AddressPools {
  const max = allOnes(bitsOf(family));
  const of = (ips: readonly IPAddress[]): bigint[] => ips.filter((a) => a.family === family).map((a) => a.value);
  const edges: bigint[] = [];
  for (const c of clusterCIDRs(cluster)) {
    if (c.family !== family) continue;
    const last = lastOf(c);
    edges.push(c.base, last);
    if (c.base > 0n) edges.push(c.base - 1n);
    if (last < max) edges.push(last + 1n);
  }
  return {
    pods: dedupe(
      family,
      cluster.pods.flatMap((p) => of(p.ips)),
    ),
    nodes: dedupe(
      family,
      cluster.nodes.flatMap((n) => of(n.ips)),
    ),
    edges: dedupe(family, edges),
    external: family === 4 ? EXTERNAL_V4 : EXTERNAL_V6,
  };
}

/** Every address of addressPools, deduplicated. */
export function interestingAddresses(cluster: Cluster, family: Family): IPAddress[] {
  const p = addressPools(cluster, family);
  return dedupe(
    family,
    [...p.pods, ...p.nodes, ...p.edges, ...p.external].map((a) => a.value),
  );
}

/** Destination ports worth probing: 0/1/65535, rule ports and endPorts (range ends) with ±1, container ports. */
export function interestingPorts(cluster: Cluster): number[] {
  const ports = new Set<number>([0, 1, 2, 65534, 65535]);
  for (const p of cluster.policies) {
    for (const r of [...p.ingress, ...p.egress]) {
      for (const port of r.ports) {
        for (const n of [port.port, port.endPort]) {
          if (typeof n !== 'number') continue;
          for (const d of [-1, 0, 1]) if (n + d >= 0 && n + d <= 65535) ports.add(n + d);
        }
      }
    }
  }
  for (const r of clusterRules(cluster)) {
    for (const port of r.ports) {
      if (port.kind !== 'range') continue;
      for (const n of [port.start, port.end]) for (const d of [-1, 0, 1]) if (n + d >= 0 && n + d <= 65535) ports.add(n + d);
    }
  }
  for (const pod of cluster.pods) for (const cp of pod.ports) ports.add(cp.port);
  return [...ports].sort((a, b) => a - b);
}

/**
 * (protocol, port) pairs the cluster itself pairs: those of container ports, and those of
 * rule ports (numbers, endPorts and ±1 around them).
 */
export function interestingL4(cluster: Cluster): { containers: { protocol: number; port: number }[]; rules: { protocol: number; port: number }[] } {
  const collect = (entries: Iterable<[PolicyProtocol, number]>): { protocol: number; port: number }[] => {
    const out = new Map<string, { protocol: number; port: number }>();
    for (const [protocol, port] of entries) if (port >= 0 && port <= 65535) out.set(`${protocol}/${port}`, { protocol: PROTOCOL_NUMBERS[protocol], port });
    return [...out.values()].sort((a, b) => a.protocol - b.protocol || a.port - b.port);
  };
  const rulePairs: [PolicyProtocol, number][] = [];
  for (const p of cluster.policies) {
    for (const r of [...p.ingress, ...p.egress]) {
      for (const port of r.ports) {
        for (const n of [port.port, port.endPort]) if (typeof n === 'number') for (const d of [-1, 0, 1]) rulePairs.push([port.protocol, n + d]);
      }
    }
  }
  for (const r of clusterRules(cluster)) {
    for (const port of r.ports)
      if (port.kind === 'range') for (const n of [port.start, port.end]) for (const d of [-1, 0, 1]) rulePairs.push([port.protocol, n + d]);
  }
  return {
    containers: collect(cluster.pods.flatMap((pod) => pod.ports.map((cp): [PolicyProtocol, number] => [cp.protocol, cp.port]))),
    rules: collect(rulePairs),
  };
}

const flowProtocolArb: fc.Arbitrary<number> = weighted<number>(
  [6, fc.constant(PROTOCOL_NUMBERS.TCP)],
  [3, fc.constant(PROTOCOL_NUMBERS.UDP)],
  [2, fc.constant(PROTOCOL_NUMBERS.SCTP)],
  [1, fc.constant(PROTOCOL_NUMBERS.ICMP)],
  [1, fc.constant(PROTOCOL_NUMBERS.ICMPv6)],
  [1, fc.constant(47)],
);

export function flowArbitrary(cluster: Cluster, opts: FlowArbitraryOptions = {}): fc.Arbitrary<Flow> {
  const families: Family[] = opts.ipv6 === false ? [4] : [4, 6];
  const established = chance(opts.establishedPercent ?? 5);
  const ports = interestingPorts(cluster);
  const portArb = weighted<number>([9, fc.constantFrom(...ports)], [1, fc.integer({ min: 0, max: 65535 })]);
  // Protocol and port together, as the cluster's container ports and rule ports pair them.
  const index = new ClusterIndex(cluster);
  const pairs = interestingL4(cluster);
  type L4 = { protocol: number; port: number };
  // Clusters with cluster-scoped policies get more ICMP: rules without protocols match it.
  const tiered = (cluster.clusterPolicies ?? []).length > 0;
  const l4Arb = weighted<L4>(
    [2, fc.record({ protocol: flowProtocolArb, port: portArb })],
    [tiered ? 1 : 0, fc.constantFrom(PROTOCOL_NUMBERS.ICMP, PROTOCOL_NUMBERS.ICMPv6).map((protocol) => ({ protocol, port: 0 }))],
    ...(pairs.containers.length > 0 ? [[3, fc.constantFrom(...pairs.containers)] as [number, fc.Arbitrary<L4>]] : []),
    ...(pairs.rules.length > 0 ? [[3, fc.constantFrom(...pairs.rules)] as [number, fc.Arbitrary<L4>]] : []),
  );

  const perFamily = families.map((family) => {
    // Mostly pod IPs, so that both ends are often pods and isolation decides.
    const pools = addressPools(cluster, family);
    const fromPool = (weight: number, list: readonly IPAddress[]): [number, fc.Arbitrary<IPAddress>][] =>
      list.length > 0 ? [[weight, fc.constantFrom(...list)]] : [];
    const addressArb = weighted<IPAddress>(
      ...fromPool(Math.min(16, 4 * pools.pods.length), pools.pods),
      ...fromPool(2, pools.nodes),
      ...fromPool(3, pools.edges),
      ...fromPool(1, pools.external),
      [1, fc.bigInt({ min: 0n, max: allOnes(bitsOf(family)) }).map((value) => ({ family, value }))],
    );
    const all = interestingAddresses(cluster, family);
    const inCluster = pools.pods.length + pools.nodes.length + pools.edges.length;
    const flow = fc
      .record({
        src: addressArb,
        dst: addressArb,
        // In small clusters src and dst coincide too often: keep a self flow only sometimes.
        other: fc.nat({ max: 1000 }),
        keepSelf: chance(25),
        l4: l4Arb,
        // Often aim at a port the destination pod really has (named ports resolve there).
        useDstPort: chance(35),
        dstPort: fc.nat({ max: 5 }),
        icmpType: fc.option(fc.integer({ min: 128, max: 137 }), { freq: 3, nil: undefined }),
        established,
      })
      .map(({ src, dst: dst0, other, keepSelf, l4, useDstPort, dstPort, icmpType, established: reply }): Flow => {
        const others = keepSelf || ipKey(src) !== ipKey(dst0) ? [] : all.filter((a) => ipKey(a) !== ipKey(src));
        const dst = others.length > 0 ? pick(others, other) : dst0;
        const owned = useDstPort ? (index.podByIP(dst)?.ports ?? []) : [];
        const cp = owned.length > 0 ? pick(owned, dstPort) : undefined;
        const { protocol, port } = cp ? { protocol: PROTOCOL_NUMBERS[cp.protocol], port: cp.port } : l4;
        return {
          src,
          dst,
          protocol,
          ...(hasPorts(protocol) && { port }),
          ...(protocol === PROTOCOL_NUMBERS.ICMPv6 && icmpType !== undefined && { icmpType }),
          ...(reply && { established: true }),
        };
      });
    return { weight: Math.max(1, inCluster), arbitrary: withDstName(cluster, flow) };
  });
  return fc.oneof(...perFamily);
}

/**
 * Flows of a cluster with cluster-scoped policies carry a destination name half the time (what
 * domainNames peers match); other clusters' flows are left exactly as drawn.
 */
function withDstName(cluster: Cluster, flow: fc.Arbitrary<Flow>): fc.Arbitrary<Flow> {
  if ((cluster.clusterPolicies ?? []).length === 0) return flow;
  return fc
    .tuple(flow, fc.option(fc.constantFrom(...FLOW_NAMES), { freq: 2, nil: undefined }))
    .map(([f, dstName]) => (dstName === undefined ? f : { ...f, dstName }));
}

// ------------------------------------------------------------------------------------------
// Scenarios

export interface ScenarioArbitraryOptions extends ClusterArbitraryOptions, FlowArbitraryOptions {
  /** Default 1. */
  readonly minFlows?: number;
  /** Default 20. */
  readonly maxFlows?: number;
}

export interface Scenario {
  readonly cluster: Cluster;
  readonly flows: readonly Flow[];
}

/** A cluster and 1-20 flows for it. */
export function scenarioArbitrary(opts: ScenarioArbitraryOptions = {}): fc.Arbitrary<Scenario> {
  const minLength = Math.max(0, opts.minFlows ?? 1);
  const maxLength = Math.max(minLength, opts.maxFlows ?? 20);
  return clusterArbitrary(opts).chain((cluster) => fc.array(flowArbitrary(cluster, opts), { minLength, maxLength }).map((flows) => ({ cluster, flows })));
}

/** Every combination of the evaluation options (the engines must agree under each). */
export const evaluationOptionsArbitrary: fc.Arbitrary<EvaluationOptions> = fc.record({
  ipBlockMatchesPods: fc.boolean(),
  allowIngressFromLocalNode: fc.boolean(),
  allowEgressToLocalNode: fc.boolean(),
  initContainerPorts: fc.boolean(),
  ipv4MappedAsIPv4: fc.boolean(),
  allowICMPv6NeighborDiscovery: fc.boolean(),
});
