/**
 * The remote ends NetworkPolicy rules can match, enumerated over the input, and which of them
 * each peer and rule matches: what the rule checks compare grants over. A remote is
 *   - a pod (an endpoint) at one of its addresses, one remote per address family, or without an
 *     address (a workload's template pod, a pod not given an IP yet): selectors match it by its
 *     labels and namespace, ipBlocks by that address;
 *   - a block of the address space as the direction's ipBlocks (and cluster `networks`) cut it
 *     (externalBlocks): every address in it that is no pod's is matched by exactly the same
 *     ipBlocks and by no selector, so one remote stands for all of them (node addresses
 *     included: NetworkPolicy peers match them as any address).
 * Matching uses peerMiss, the reference evaluator's own test, with the default options
 * (ipBlocks match pod addresses). Built once per lint run (ctx.memo) and shared by the checks.
 */
import { externalBlocks, ipBlockBlock } from '../../analysis/external-endpoints.js';
import { wholeFamily, type AddressBlock } from '../../analysis/address-blocks.js';
import type { IPAddress } from '../../ip/address.js';
import { ClusterIndex } from '../../model/cluster-index.js';
import { peerMiss, type PeerTarget } from '../../model/rule-miss.js';
import { selectorMatches } from '../../model/selector.js';
import type { Cluster, Direction, NetworkPolicy, Peer, Pod, Rule } from '../../model/types.js';
import type { LintContext } from '../types.js';

/** A remote end of a rule (see the module comment). */
export type Remote =
  | { readonly kind: 'pod'; readonly pod: Pod; readonly address?: IPAddress }
  | { readonly kind: 'block'; readonly block: AddressBlock; readonly address: IPAddress };

/** An address of the sorted index: a pod's, or a block's first. */
interface Located {
  readonly value: bigint;
  readonly remote: number;
}

/** The indices of `sorted` whose value lies in [first, last]. */
function* inRange(sorted: readonly Located[], first: bigint, last: bigint): Generator<number> {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]!.value < first) lo = mid + 1;
    else hi = mid;
  }
  for (let i = lo; i < sorted.length && sorted[i]!.value <= last; i++) yield sorted[i]!.remote;
}

/** The remotes of one direction and what matches them. */
export class DirectionRemotes {
  readonly remotes: readonly Remote[];
  /** Per family, the remotes with an address, sorted by it. */
  private readonly byAddress: Readonly<Record<4 | 6, readonly Located[]>>;
  private readonly all: Int32Array;

  constructor(
    readonly scope: RuleScope,
    readonly direction: Direction,
  ) {
    const remotes: Remote[] = [...scope.podRemotes];
    const blocks = externalBlocks(scope.cluster, direction);
    if (!blocks.some((b) => b.family === 6)) blocks.push({ ...wholeFamily(6), name: '' });
    for (const block of blocks) remotes.push({ kind: 'block', block, address: { family: block.family, value: block.ranges[0]!.first } });
    this.remotes = remotes;
    const byAddress: Record<4 | 6, Located[]> = { 4: [], 6: [] };
    remotes.forEach((r, i) => r.address && byAddress[r.address.family].push({ value: r.address.value, remote: i }));
    for (const list of Object.values(byAddress)) list.sort((a, b) => (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
    this.byAddress = byAddress;
    this.all = Int32Array.from(remotes.keys());
  }

  /** Whether `peer` of a policy in `namespace` matches remote `i` (peerMiss, as the reference evaluator decides). */
  matches(peer: Peer, namespace: string, i: number): boolean {
    const r = this.remotes[i]!;
    const target: PeerTarget = {
      policyNamespace: namespace,
      address: r.address,
      pod: r.kind === 'pod' ? r.pod : undefined,
      isNode: false,
      namespaceLabels: (ns) => this.scope.index.namespaceLabels(ns),
      ipBlockMatchesPods: true,
    };
    return peerMiss(peer, target) === undefined;
  }

  /** The remotes `peer` (of a policy in `namespace`) matches, ascending. */
  peerRemotes(peer: Peer, namespace: string): number[] {
    const out: number[] = [];
    if (peer.kind === 'ipBlock') {
      const block = ipBlockBlock(peer.ipBlock);
      for (const r of block.ranges) for (const i of inRange(this.byAddress[block.family], r.first, r.last)) out.push(i);
      return out.sort((a, b) => a - b);
    }
    const namespaces = peer.namespaceSelector
      ? this.scope.namespaces.filter((ns) => selectorMatches(peer.namespaceSelector!, this.scope.index.namespaceLabels(ns)))
      : [namespace];
    for (const ns of namespaces) {
      for (const i of this.scope.podRemotesIn(ns)) {
        const pod = (this.remotes[i] as { pod: Pod }).pod;
        if (!peer.podSelector || selectorMatches(peer.podSelector, pod.labels)) out.push(i);
      }
    }
    return out.sort((a, b) => a - b);
  }

  /** The remotes a rule matches (any of its peers; every remote when it has none), ascending. */
  ruleRemotes(rule: Rule, namespace: string): Int32Array {
    if (rule.peers.length === 0) return this.all;
    if (rule.peers.length === 1) return Int32Array.from(this.peerRemotes(rule.peers[0]!, namespace));
    const set = new Set<number>();
    for (const p of rule.peers) for (const i of this.peerRemotes(p, namespace)) set.add(i);
    return Int32Array.from([...set].sort((a, b) => a - b));
  }
}

/** The endpoints, their remotes and the policies' subjects of one lint run. */
export class RuleScope {
  readonly index: ClusterIndex;
  /** Every namespace a pod of the input is in, and the input's namespaces. */
  readonly namespaces: readonly string[];
  /** Pod remotes (the same ids in both directions: they come first). */
  readonly podRemotes: readonly Remote[];
  private readonly podRemotesByNs = new Map<string, number[]>();
  private readonly podsByNs = new Map<string, Pod[]>();
  private readonly subjectsOf = new Map<NetworkPolicy, readonly Pod[]>();
  private readonly directions = new Map<Direction, DirectionRemotes>();

  constructor(
    readonly cluster: Cluster,
    /** The pods policies apply to (LintContext.endpoints). */
    readonly pods: readonly Pod[],
  ) {
    this.index = new ClusterIndex(cluster);
    const remotes: Remote[] = [];
    for (const pod of pods) {
      let list = this.podsByNs.get(pod.namespace);
      if (!list) this.podsByNs.set(pod.namespace, (list = []));
      list.push(pod);
      let ids = this.podRemotesByNs.get(pod.namespace);
      if (!ids) this.podRemotesByNs.set(pod.namespace, (ids = []));
      if (pod.ips.length === 0) ids.push(remotes.push({ kind: 'pod', pod }) - 1);
      for (const address of pod.ips) ids.push(remotes.push({ kind: 'pod', pod, address }) - 1);
    }
    this.podRemotes = remotes;
    this.namespaces = [...new Set([...cluster.namespaces.map((n) => n.name), ...this.podsByNs.keys()])];
  }

  /** The endpoints of a namespace. */
  podsIn(namespace: string): readonly Pod[] {
    return this.podsByNs.get(namespace) ?? [];
  }

  /** The pod remotes of a namespace. */
  podRemotesIn(namespace: string): readonly number[] {
    return this.podRemotesByNs.get(namespace) ?? [];
  }

  /** The endpoints a policy selects (its namespace, its podSelector). */
  subjects(policy: NetworkPolicy): readonly Pod[] {
    let s = this.subjectsOf.get(policy);
    if (!s) this.subjectsOf.set(policy, (s = this.podsIn(policy.namespace).filter((p) => selectorMatches(policy.podSelector, p.labels))));
    return s;
  }

  /** The remotes of a direction (built on first use). */
  remotes(direction: Direction): DirectionRemotes {
    let d = this.directions.get(direction);
    if (!d) this.directions.set(direction, (d = new DirectionRemotes(this, direction)));
    return d;
  }
}

/** The run's RuleScope, shared by the rule checks. */
export const ruleScope = (ctx: LintContext): RuleScope => ctx.memo('rule-scope', () => new RuleScope(ctx.cluster, ctx.endpoints));
