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
 * Matching follows peerMiss, the reference evaluator's own test, with the default options
 * (ipBlocks match pod addresses): selectors by namespace labels and pod labels (tested once
 * per group of pods with the same labels), ipBlocks by address (a binary search per range).
 * Built once per lint run (ctx.memo) and shared by the checks.
 */
import { externalBlocks, ipBlockBlock } from '../../analysis/external-endpoints.js';
import { wholeFamily, type AddressBlock } from '../../analysis/address-blocks.js';
import type { IPAddress } from '../../ip/address.js';
import { formatCIDR } from '../../ip/cidr.js';
import { ClusterIndex } from '../../model/cluster-index.js';
import { selectorMatches } from '../../model/selector.js';
import type { Cluster, Direction, Labels, NetworkPolicy, Peer, Pod, Rule } from '../../model/types.js';
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
  /** One number per remote, all 0 between uses: working space a caller must leave as it found it. */
  readonly scratch: Int32Array;
  private readonly peerMemo = new Map<string, Int32Array>();

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
    this.scratch = new Int32Array(remotes.length);
  }

  /**
   * The remotes `peer` (of a policy in `namespace`) matches, in no particular order. Memoized by
   * what the peer says (policies repeat the same peers: kube-dns, "the monitoring namespace"):
   * each distinct peer is matched once.
   */
  peerRemotes(peer: Peer, namespace: string): Int32Array {
    const key = peerKey(peer, namespace);
    let out = this.peerMemo.get(key);
    if (!out) this.peerMemo.set(key, (out = this.match(peer, namespace)));
    return out;
  }

  private match(peer: Peer, namespace: string): Int32Array {
    const out: number[] = [];
    if (peer.kind === 'ipBlock') {
      const block = ipBlockBlock(peer.ipBlock);
      for (const r of block.ranges) for (const i of inRange(this.byAddress[block.family], r.first, r.last)) out.push(i);
      return Int32Array.from(out);
    }
    // A selector matches pods by labels and namespace only (peerMiss's terms): one test per label group.
    const namespaces = peer.namespaceSelector
      ? this.scope.namespaces.filter((ns) => selectorMatches(peer.namespaceSelector!, this.scope.index.namespaceLabels(ns)))
      : [namespace];
    for (const ns of namespaces) {
      for (const g of this.scope.labelGroups(ns)) if (!peer.podSelector || selectorMatches(peer.podSelector, g.labels)) for (const r of g.remotes) out.push(r);
    }
    return Int32Array.from(out);
  }

  /** The remotes a rule matches (any of its peers; every remote when it has none), each once, in no particular order. */
  ruleRemotes(rule: Rule, namespace: string): Int32Array {
    if (rule.peers.length === 0) return this.all;
    if (rule.peers.length === 1) return this.peerRemotes(rule.peers[0]!, namespace);
    const set = new Set<number>();
    for (const p of rule.peers) for (const i of this.peerRemotes(p, namespace)) set.add(i);
    return Int32Array.from(set);
  }
}

/** What a peer says, as text (CIDRs formatted; a podSelector alone is scoped to the policy's namespace). */
function peerKey(peer: Peer, namespace: string): string {
  if (peer.kind === 'ipBlock') return `ip ${formatCIDR(peer.ipBlock.cidr)} ${peer.ipBlock.except.map(formatCIDR).join(' ')}`;
  return `sel ${JSON.stringify([peer.namespaceSelector ?? namespace, peer.podSelector ?? null])}`;
}

/** Pods of one namespace with the same labels: every selector treats them alike. */
export interface LabelGroup {
  readonly labels: Labels;
  readonly pods: readonly Pod[];
  /** Their pod remotes (ids shared by both directions). */
  readonly remotes: readonly number[];
}

/** Labels as text, keys sorted: equal labels, equal text. */
const labelsKey = (labels: Labels): string => JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

/** The endpoints, their remotes and the policies' subjects of one lint run. */
export class RuleScope {
  readonly index: ClusterIndex;
  /** Every namespace a pod of the input is in, and the input's namespaces. */
  readonly namespaces: readonly string[];
  /** Pod remotes (the same ids in both directions: they come first). */
  readonly podRemotes: readonly Remote[];
  private readonly groupsByNs = new Map<string, LabelGroup[]>();
  private readonly podsByNs = new Map<string, Pod[]>();
  private readonly groupOf = new Map<Pod, LabelGroup>();
  private readonly subjectsOf = new Map<NetworkPolicy, readonly Pod[]>();
  private readonly directions = new Map<Direction, DirectionRemotes>();

  constructor(
    readonly cluster: Cluster,
    /** The pods policies apply to (LintContext.endpoints). */
    readonly pods: readonly Pod[],
  ) {
    this.index = new ClusterIndex(cluster);
    const remotes: Remote[] = [];
    const groups = new Map<string, { labels: Labels; pods: Pod[]; remotes: number[] }>();
    for (const pod of pods) {
      let list = this.podsByNs.get(pod.namespace);
      if (!list) this.podsByNs.set(pod.namespace, (list = []));
      list.push(pod);
      const key = `${pod.namespace}\0${labelsKey(pod.labels)}`;
      let g = groups.get(key);
      if (!g) {
        groups.set(key, (g = { labels: pod.labels, pods: [], remotes: [] }));
        const inNs = this.groupsByNs.get(pod.namespace);
        if (inNs) inNs.push(g);
        else this.groupsByNs.set(pod.namespace, [g]);
      }
      g.pods.push(pod);
      this.groupOf.set(pod, g);
      if (pod.ips.length === 0) g.remotes.push(remotes.push({ kind: 'pod', pod }) - 1);
      for (const address of pod.ips) g.remotes.push(remotes.push({ kind: 'pod', pod, address }) - 1);
    }
    this.podRemotes = remotes;
    this.namespaces = [...new Set([...cluster.namespaces.map((n) => n.name), ...this.podsByNs.keys()])];
  }

  /** The endpoints of a namespace. */
  podsIn(namespace: string): readonly Pod[] {
    return this.podsByNs.get(namespace) ?? [];
  }

  /** The endpoints of a namespace by labels. */
  labelGroups(namespace: string): readonly LabelGroup[] {
    return this.groupsByNs.get(namespace) ?? [];
  }

  /** The endpoints a policy selects (its namespace, its podSelector), in input order. */
  subjects(policy: NetworkPolicy): readonly Pod[] {
    let s = this.subjectsOf.get(policy);
    if (!s) {
      const chosen = new Set(this.labelGroups(policy.namespace).filter((g) => selectorMatches(policy.podSelector, g.labels)));
      this.subjectsOf.set(policy, (s = this.podsIn(policy.namespace).filter((p) => chosen.has(this.groupOf.get(p)!))));
    }
    return s;
  }

  /** The remotes of a direction (built on first use). */
  remotes(direction: Direction): DirectionRemotes {
    let d = this.directions.get(direction);
    if (!d) this.directions.set(direction, (d = new DirectionRemotes(this, direction)));
    return d;
  }
}

/** A rule of a direction a policy isolates (rules of another direction are ignored). */
export interface ActiveRule {
  readonly direction: Direction;
  readonly ruleIndex: number;
  readonly rule: Rule;
}

/** The rules of the directions a policy isolates, with their indices, ingress first. */
export function* activeRules(policy: NetworkPolicy): Generator<ActiveRule> {
  for (const direction of ['ingress', 'egress'] as const) {
    if (policy.affects[direction]) for (const [ruleIndex, rule] of policy[direction].entries()) yield { direction, ruleIndex, rule };
  }
}

/** The run's RuleScope, shared by the rule checks. */
export const ruleScope = (ctx: LintContext): RuleScope => ctx.memo('rule-scope', () => new RuleScope(ctx.cluster, ctx.endpoints));
