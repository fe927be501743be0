/**
 * Identities: pods with the same namespace, labels and named-port profile behave the same
 * under every policy, so selectors are evaluated once per identity, never per pod or packet.
 */
import type { ClusterIndex } from '../model/cluster-index.js';
import { selectorMatches } from '../model/selector.js';
import type { Direction, NetworkPolicy, Pod, PolicyPort, Selector } from '../model/types.js';
import type { ResolvedOptions } from '../model/options.js';
import { pushTo } from './multimap.js';
import { identityKey, labelPairKey, namedKey, namedPortProfile, type NamedPorts } from './pod-identity.js';
import { RuleTable, type PeerInfo, type RuleInfo } from './rule-table.js';

export interface Identity {
  readonly id: number;
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly namedPorts: NamedPorts;
  /** Canonical text of namedPorts, restricted to the names rules use. */
  readonly profileKey: string;
  /** Selector peers (global peer ids) that match this identity, ascending. */
  readonly selectorPeers: number[];
  /** Policies (ids) that select this identity, per direction they affect. */
  readonly isolatedBy: Record<Direction, number[]>;
}

export interface PolicyTables {
  readonly policies: readonly NetworkPolicy[];
  readonly rules: readonly RuleInfo[];
  /** Distinct peers (see PeerInfo); RuleInfo.peerIds index into this. */
  readonly peers: readonly PeerInfo[];
  /** Rule ids per policy and direction (empty when the direction is not affected). */
  readonly rulesOf: readonly Record<Direction, number[]>[];
  /** `name/protocol` pairs that some rule uses as a named port. */
  readonly namedPortKeys: ReadonlySet<string>;
}

/** The rules and distinct peers of a fixed list of policies (policy ids are list indexes). */
export function policyTables(policies: readonly NetworkPolicy[]): PolicyTables {
  const table = new RuleTable();
  const rulesOf = policies.map((policy, pi) => table.add(policy, pi).rules);
  const namedPortKeys = new Set<string>();
  for (const { rule } of table.rules) for (const p of rule.ports) if (typeof p.port === 'string') namedPortKeys.add(namedKey(p.port, p.protocol));
  return { policies, rules: table.rules, peers: table.peers, rulesOf, namedPortKeys };
}

/**
 * Groups the pods that own addresses, then `addressless` (pods without an address: workloads'
 * template pods), into identities and evaluates every selector once each.
 */
export function buildIdentities(
  index: ClusterIndex,
  tables: PolicyTables,
  options: ResolvedOptions,
  addressless: readonly Pod[] = [],
): { identities: Identity[]; identityOf: Map<Pod, number> } {
  const identities: Identity[] = [];
  const byKey = new Map<string, number>();
  const identityOf = new Map<Pod, number>();
  const byNamespace = new Map<string, Identity[]>();
  const used = tables.namedPortKeys;
  const add = (pod: Pod): void => {
    if (identityOf.has(pod)) return;
    // A cheap raw signature first; the named-port profile is built once per identity.
    const key = identityKey(pod, options, used);
    let id = byKey.get(key);
    if (id === undefined) {
      const { ports, key: profileKey } = namedPortProfile(pod, options, used);
      id = identities.length;
      const identity: Identity = {
        id,
        namespace: pod.namespace,
        labels: pod.labels,
        namedPorts: ports,
        profileKey,
        selectorPeers: [],
        isolatedBy: { ingress: [], egress: [] },
      };
      identities.push(identity);
      byKey.set(key, id);
      pushTo(byNamespace, pod.namespace, identity);
    }
    identityOf.set(pod, id);
  };
  for (const { pod } of index.podAddresses()) add(pod);
  for (const pod of addressless) add(pod);

  // Index identities by label pair per namespace: a selector with matchLabels only looks
  // at the identities carrying its rarest pair.
  const byPair = new Map<string, Identity[]>();
  for (const identity of identities) for (const k in identity.labels) pushTo(byPair, labelPairKey(identity.namespace, k, identity.labels[k]), identity);
  const candidates = (ns: string, selector: Selector | undefined): readonly Identity[] => {
    const all = byNamespace.get(ns) ?? [];
    if (!selector) return all;
    let best: readonly Identity[] = all;
    for (const k in selector.matchLabels) {
      const list = byPair.get(labelPairKey(ns, k, selector.matchLabels[k])) ?? [];
      if (list.length < best.length) best = list;
    }
    return best;
  };

  // Subjects: a policy selects identities of its own namespace only.
  tables.policies.forEach((policy, pi) => {
    for (const identity of candidates(policy.namespace, policy.podSelector)) {
      if (!selectorMatches(policy.podSelector, identity.labels)) continue;
      if (policy.affects.ingress) identity.isolatedBy.ingress.push(pi);
      if (policy.affects.egress) identity.isolatedBy.egress.push(pi);
    }
  });

  // Selector peers: namespaces first (few), then pods inside the chosen namespaces.
  const namespaces = [...byNamespace.keys()];
  for (const info of tables.peers) {
    const peer = info.peer;
    if (peer.kind !== 'selector') continue;
    const chosen = peer.namespaceSelector ? namespaces.filter((ns) => selectorMatches(peer.namespaceSelector!, index.namespaceLabels(ns))) : [info.namespace];
    for (const ns of chosen) {
      for (const identity of candidates(ns, peer.podSelector)) {
        if (!peer.podSelector || selectorMatches(peer.podSelector, identity.labels)) identity.selectorPeers.push(info.id);
      }
    }
  }
  return { identities, identityOf };
}

/** The ports a rule's port entry admits for an owner with these named ports. */
export function resolvePort(p: PolicyPort, owner: NamedPorts | undefined): { all: true } | { ranges: [number, number][] } {
  if (p.port === undefined) return { all: true };
  if (typeof p.port === 'number') return { ranges: [[p.port, p.endPort ?? p.port]] };
  const numbers = owner?.get(namedKey(p.port, p.protocol)) ?? [];
  return { ranges: numbers.map((n) => [n, n]) };
}
