/**
 * Cluster builders for the cluster-scoped tier tables: Cluster objects written directly in
 * TypeScript (model/types.ts), so the tables do not depend on the loader, and the engines the
 * tables run on, built from a Cluster. Tables register once per engine of TIER_ENGINES, named
 * `[engine] ...`, as fixtures.ts's tables do; an engine joins the list once it answers tiers.
 */
import { describe } from 'vitest';
import { CompiledDataplane, parseCIDR, parseIP, ReferenceEvaluator } from '@netpol/core';
import { LiveCompiler } from '../../packages/core/src/compile/live/compiler.js';
import { explainImage } from '../../packages/core/src/dataplane/explain.js';
import { ignoredObjectKey } from '../../packages/core/src/model/types.js';
import { CopyDataplane } from '../../packages/core/src/update/generations.js';
import { liveProvenance } from '../../packages/core/src/update/live.js';
import type {
  CIDR,
  Cluster,
  ClusterAction,
  ClusterPeer,
  ClusterPolicy,
  ClusterPort,
  ClusterRule,
  ClusterSubject,
  EvaluationOptions,
  Explanation,
  Flow,
  IPAddress,
  Labels,
  Namespace,
  NetworkPolicy,
  Node,
  Pod,
  Selector,
  Verdict,
} from '@netpol/core';

const ip = (text: string): IPAddress => {
  const a = parseIP(text);
  if (!a) throw new Error(`bad IP in test: ${text}`);
  return a;
};

const cidr = (text: string): CIDR => {
  const r = parseCIDR(text);
  if (!r.ok) throw new Error(`bad CIDR in test: ${text}`);
  return r.cidr;
};

/** matchLabels only; `{}` selects everything. */
export const sel = (matchLabels: Labels = {}): Selector => ({ matchLabels, matchExpressions: [] });

export const namespace = (name: string, labels: Labels = {}): Namespace => ({ name, labels: { 'kubernetes.io/metadata.name': name, ...labels } });

export interface PodOptions {
  readonly labels?: Labels;
  readonly node?: string;
  readonly hostNetwork?: boolean;
  /** [name, port, protocol = TCP, init = false]. */
  readonly ports?: ReadonlyArray<readonly [string, number, ('TCP' | 'UDP' | 'SCTP')?, boolean?]>;
}

export const podOf = (ns: string, name: string, ips: string, o: PodOptions = {}): Pod => ({
  namespace: ns,
  name,
  labels: o.labels ?? {},
  ips: ips.split(',').map(ip),
  ...(o.node !== undefined && { nodeName: o.node }),
  hostNetwork: o.hostNetwork ?? false,
  phase: 'Running',
  ports: (o.ports ?? []).map(([n, port, protocol, init]) => ({ name: n, port, protocol: protocol ?? 'TCP', init: init ?? false })),
});

export const nodeOf = (name: string, ips: string, labels: Labels = {}): Node => ({ name, ips: ips.split(',').map(ip), labels });

/** A NetworkPolicy: `affects` the directions given; rules allow the listed pod labels (same namespace), or anyone with `{}`. */
export function netpol(ns: string, name: string, podSelector: Labels, o: { ingress?: Labels[]; egress?: Labels[] }): NetworkPolicy {
  const rules = (list: Labels[] | undefined) =>
    (list ?? []).map((l) => ({ ports: [], peers: Object.keys(l).length === 0 ? [] : [{ kind: 'selector' as const, podSelector: sel(l) }] }));
  return {
    namespace: ns,
    name,
    podSelector: sel(podSelector),
    affects: { ingress: o.ingress !== undefined, egress: o.egress !== undefined },
    ingress: rules(o.ingress),
    egress: rules(o.egress),
  };
}

// Subjects
export const inNamespaces = (ns: Labels = {}): ClusterSubject => ({ kind: 'namespaces', namespaceSelector: sel(ns) });
export const podsOf = (ns: Labels, pods: Labels): ClusterSubject => ({ kind: 'pods', namespaceSelector: sel(ns), podSelector: sel(pods) });

// Peers
export const namespacesPeer = (ns: Labels = {}): ClusterPeer => ({ kind: 'namespaces', namespaceSelector: sel(ns) });
export const podsPeer = (ns: Labels, pods: Labels): ClusterPeer => ({ kind: 'pods', namespaceSelector: sel(ns), podSelector: sel(pods) });
export const nodesPeer = (labels: Labels = {}): ClusterPeer => ({ kind: 'nodes', nodeSelector: sel(labels) });
export const networksPeer = (...cidrs: string[]): ClusterPeer => ({ kind: 'networks', networks: cidrs.map(cidr) });
export const domainsPeer = (...names: string[]): ClusterPeer => ({ kind: 'domainNames', domainNames: names });
export const unknownPeer: ClusterPeer = { kind: 'unknown' };

// Ports
export const tcp = (start: number, end = start): ClusterPort => ({ kind: 'range', protocol: 'TCP', start, end });
export const udp = (start: number, end = start): ClusterPort => ({ kind: 'range', protocol: 'UDP', start, end });
export const namedPort = (name: string): ClusterPort => ({ kind: 'named', name });

export const rule = (action: ClusterAction, peers: ClusterPeer[], ports: ClusterPort[] = [], name?: string): ClusterRule => ({
  action,
  peers,
  ports,
  ...(name !== undefined && { name }),
});

type Rules = { readonly ingress?: ClusterRule[]; readonly egress?: ClusterRule[] };

export const cnp = (name: string, tier: 'Admin' | 'Baseline', priority: number, subject: ClusterSubject, r: Rules): ClusterPolicy => ({
  kind: 'ClusterNetworkPolicy',
  name,
  tier,
  priority,
  subject,
  ingress: r.ingress ?? [],
  egress: r.egress ?? [],
});
export const anp = (name: string, priority: number, subject: ClusterSubject, r: Rules): ClusterPolicy => ({
  ...cnp(name, 'Admin', priority, subject, r),
  kind: 'AdminNetworkPolicy',
});
export const banp = (subject: ClusterSubject, r: Rules): ClusterPolicy => ({
  ...cnp('default', 'Baseline', 1001, subject, r),
  kind: 'BaselineAdminNetworkPolicy',
});

/** What the tier tables ask of an engine. */
export interface Built {
  verdict(flow: Flow): Verdict;
  explain(flow: Flow): Explanation;
}

export interface TierEngine {
  readonly name: string;
  readonly explains: boolean;
  build(cluster: Cluster, options?: EvaluationOptions): Built;
}

const reference: TierEngine = { name: 'reference', explains: true, build: (c, o = {}) => new ReferenceEvaluator(c, o) };

/** The compiled image and the JS kernel, explain from its provenance. */
const compiled: TierEngine = { name: 'compiled', explains: true, build: (c, o = {}) => new CompiledDataplane(c, { ...o, native: 'off' }) };

/** The live image as a published generation reads it (names through its classes), explain from the live provenance. */
function liveBuilt(compiler: LiveCompiler, cluster: Cluster): Built {
  const dp = new CopyDataplane(compiler.master.buffer, { native: 'off' });
  dp.names = compiler.nameClasses();
  const prov = liveProvenance(compiler, dp, (cluster.ignoredObjects ?? []).map(ignoredObjectKey));
  return {
    verdict: (f) => dp.verdict(f),
    explain: (f) => {
      const [s, d] = dp.entries(f);
      return explainImage(dp.kernel, prov, f, s, d);
    },
  };
}

/** The live compiler built at once from the cluster (its objects, not manifests: the tables hold some no loader accepts). */
const live: TierEngine = { name: 'live', explains: true, build: (c, o = {}) => liveBuilt(new LiveCompiler(c, o), c) };

/** The live compiler fed the objects one by one from an empty start, committing after each: the tier part follows each change. */
const liveApply: TierEngine = {
  name: 'live-apply',
  explains: true,
  build: (c, o = {}) => {
    const compiler = new LiveCompiler({ namespaces: [], pods: [], nodes: [], policies: [] }, o);
    const steps = [
      ...(c.clusterPolicies ?? []).map((p) => () => compiler.setClusterPolicy(p)),
      ...c.pods.map((p) => () => compiler.setPod(p)),
      ...c.policies.map((p) => () => compiler.setPolicy(p)),
      ...c.nodes.map((n) => () => compiler.setNode(n)),
      ...c.namespaces.map((n) => () => compiler.setNamespace(n)),
    ];
    for (const step of steps) {
      step();
      compiler.commit();
    }
    return liveBuilt(compiler, c);
  },
};

/** The engines the tier tables run on. */
export const TIER_ENGINES: readonly TierEngine[] = [reference, compiled, live, liveApply];

/** `describe(title, body)` once per engine, named `[engine] title`. */
export function describeTiers(engines: readonly TierEngine[], title: string, body: (engine: TierEngine) => void): void {
  for (const engine of engines) describe(`[${engine.name}] ${title}`, () => body(engine));
}
