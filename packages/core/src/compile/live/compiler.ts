/**
 * The live compiler: the same image compile() makes, kept up to date object by object.
 *
 * - A pod whose identity exists: its address entries and trie leaves only.
 * - A new label set: a new identity, matched against the policies of its namespace and the
 *   peers that can reach it (indexed by namespace), then its classes (new rows or columns
 *   only if its behaviour is new).
 * - A policy: its subjects' local classes (new rows) and, for peers never seen before, the
 *   identities they match (new columns); new ipBlock prefixes go into the tries and the
 *   addresses under them are classified again. Removing a policy only changes its subjects.
 * - A namespace's labels: the namespace-selector peers of the identities in it.
 * - Nodes and hostNetwork pods: the node addresses, recomputed (they are few).
 *
 * Rows and columns of classes nobody uses any more stay behind as garbage; `garbage()` says
 * how much, and the owner rebuilds from scratch when it dominates.
 */
import { addressWords, bitsOf, ipKey, type Family, type IPAddress } from '../../ip/address.js';
import { cidrContains, type CIDR } from '../../ip/cidr.js';
import { selectorMatches } from '../../model/selector.js';
import type { Cluster, Direction, Labels, Namespace, NetworkPolicy, Node, Peer, Pod, PolicyProtocol } from '../../model/types.js';
import { resolveOptions, type EvaluationOptions, type ResolvedOptions } from '../../model/options.js';
import { IPBlockIndex } from '../address-space.js';
import { peerKey, type PeerInfo, type RuleInfo } from '../identities.js';
import { buildHosts6, E, ENTRY_STRIDE, imageFlags } from '../layout.js';
import { lookup4 } from '../lpm.js';
import { NodeIds } from '../node-ids.js';
import { identityKey, labelPairKey, namedPortProfile, type NamedPorts } from '../pod-identity.js';
import { namedPortCuts, PROTOCOL_SLOTS, rulePortCuts } from '../ports.js';
import { DirectionClasses, type RuleSource } from './classes.js';
import { MasterImage } from './master.js';
import { addTo, deleteFrom, pushTo } from './multimap.js';
import { LivePorts } from './ports.js';
import { insertHost6, removeHost6, type HostTableStore } from './hosts6.js';
import { initTrie, insertPrefix, removePrefix, type TrieStore } from './trie.js';

interface Identity {
  readonly key: string;
  readonly namespace: string;
  readonly labels: Labels;
  readonly namedPorts: NamedPorts;
  readonly profileKey: string;
  selectorPeers: number[];
  readonly isolatedBy: Record<Direction, number[]>;
  readonly hosts: Set<Host>;
  /** Classes per ipBlock-peer list (the arrays IPBlockIndex returns), until the identity changes. */
  classCache: Map<readonly number[], readonly number[]>;
}

interface PodState {
  readonly key: string;
  pod: Pod;
  readonly slot: number;
}

/** An address that is a pod's, a node's, or both: its own entry and a full-length prefix. */
interface Host {
  readonly key: number | string;
  readonly ip: IPAddress;
  readonly words: number[];
  readonly entry: number;
  pod: PodState | undefined;
  identity: Identity | undefined;
  node: string | undefined;
}

/** An ipBlock cidr or except: one entry for every address it is the longest prefix of. */
interface Region {
  readonly cidr: CIDR;
  readonly words: number[];
  readonly entry: number;
}

interface PolicyState {
  readonly id: number;
  readonly policy: NetworkPolicy;
  readonly rules: Record<Direction, number[]>;
}

const DIRECTIONS: readonly Direction[] = ['ingress', 'egress'];
const NO_PEERS: readonly number[] = [];
const isTerminal = (p: Pod): boolean => p.phase === 'Succeeded' || p.phase === 'Failed';
const podKey = (namespace: string, name: string): string => `${namespace}/${name}`;

export class LiveCompiler implements RuleSource {
  readonly options: ResolvedOptions;
  readonly master: MasterImage;
  private readonly ports: LivePorts;
  private readonly classes: Record<Direction, DirectionClasses>;

  // The objects, in the order a fresh load would list them.
  private readonly namespaces = new Map<string, Namespace>();
  private readonly nodes = new Map<string, Node>();
  private readonly pods = new Map<string, PodState>();
  private readonly policies = new Map<string, PolicyState>();
  private readonly policiesByNs = new Map<string, Set<PolicyState>>();
  private nextPodSlot = 1;
  private nextPolicyId = 0;

  // Rules and distinct peers; ids are never reused, so a class key never changes meaning.
  private readonly rules: RuleInfo[] = [];
  private readonly rulesByPolicy: Record<Direction, number[]>[] = [];
  private readonly peers: PeerInfo[] = [];
  private readonly peerIds = new Map<string, number>();
  private readonly rulesWithoutPeers: Record<Direction, number[]> = { ingress: [], egress: [] };
  private readonly rulesByPeer = new Map<number, number[]>();
  /** podSelector-only peers by namespace; namespace-selector peers; both per direction mixed. */
  private readonly scopedPeers = new Map<string, PeerInfo[]>();
  private readonly nsSelectorPeers: PeerInfo[] = [];
  private readonly nsPeerCache = new Map<string, PeerInfo[]>();
  private ipIndex = new IPBlockIndex([]);
  private readonly ipBlockPeers: PeerInfo[] = [];

  // Identities, with indexes for selector matching.
  private readonly identities = new Map<string, Identity>();
  private readonly byNamespace = new Map<string, Set<Identity>>();
  private readonly byPair = new Map<string, Set<Identity>>();

  // Addresses.
  private readonly hosts = new Map<number | string, Host>();
  private readonly claims = new Map<number | string, { ip: IPAddress; pods: PodState[] }>();
  private nodeAddresses = new Map<number | string, { ip: IPAddress; node: string }>();
  private readonly nodeIds = new NodeIds();
  private readonly regions = new Map<string, Region>();
  /** Entry → prefix length of the host or region it stands for (-1: the default entry). */
  private readonly entryLength: number[] = [-1];
  private readonly freeEntries: number[] = [];
  private entryCount = 1;
  /** Regions only, for finding the prefix around an address that goes away. */
  private readonly regionTries: Record<Family, TrieStore>;
  /** The IPv6 host table must be rewritten whole (its slot count changed) at commit. */
  private hosts6Dirty = false;
  private hosts6Count = 0;
  private readonly hostTable: HostTableStore;
  /** ipBlock-peer lists by content, so that equal lists are one array (the class caches' key). */
  private readonly peerLists = new Map<string, readonly number[]>();
  /** Entries whose classes must be computed again at the end of the batch. */
  private readonly stale = new Set<Host | Region | 'default'>();
  private readonly lengthOf = (e: number): number => this.entryLength[e]!;
  private readonly cut = (slot: number, port: number): void => this.ports.cut(slot, port);

  constructor(cluster: Cluster, options: EvaluationOptions = {}) {
    this.options = resolveOptions(options);
    this.master = new MasterImage(imageFlags(this.options));
    this.ports = new LivePorts(this.master);
    this.classes = { egress: new DirectionClasses('egress', this.master, this.ports, this), ingress: new DirectionClasses('ingress', this.master, this.ports, this) };
    initTrie(this.master.trie4, 0);
    initTrie(this.master.trie6, 0);
    this.regionTries = { 4: plainTrie(), 6: plainTrie() };
    const master = this.master;
    this.hostTable = {
      get table() {
        return master.views.hosts6;
      },
      get slots() {
        return master.caps.hosts6Slots;
      },
      touch: (start, end) => master.touch('hosts6', start, end),
    };
    initTrie(this.regionTries[4], 0);
    initTrie(this.regionTries[6], 0);
    this.stale.add('default');
    for (const ns of cluster.namespaces) this.setNamespace(ns);
    for (const node of cluster.nodes) this.setNode(node);
    for (const p of cluster.policies) this.setPolicy(p);
    for (const pod of cluster.pods) this.setPod(pod);
    this.commit();
    const c = this.classes;
    // (The tries' use is the master's own to read.)
    this.master.reserveHeadroom({
      entries: this.entryCount,
      portClasses: this.ports.count,
      portSets: this.ports.setCount,
      egressRows: c.egress.locals.length,
      egressCols: c.egress.peerClasses.length,
      ingressRows: c.ingress.locals.length,
      ingressCols: c.ingress.peerClasses.length,
      hosts6Slots: this.master.caps.hosts6Slots,
    });
    this.hosts6Dirty = true; // rewritten at its new size
    this.commit();
  }

  // ---- RuleSource
  rulesOf(policy: number, direction: Direction): readonly number[] {
    return this.rulesByPolicy[policy]![direction];
  }
  rule(id: number): RuleInfo {
    return this.rules[id]!;
  }
  openRules(direction: Direction): readonly number[] {
    return this.rulesWithoutPeers[direction];
  }
  rulesNaming(peer: number): readonly number[] {
    return this.rulesByPeer.get(peer) ?? NO_PEERS;
  }

  /** The objects now compiled, in load order (for the reference evaluator and fresh compiles). */
  cluster(): Cluster {
    const pods = [...this.pods.values()].map((p) => p.pod);
    const policies = [...this.policies.values()].map((p) => p.policy);
    // Namespaces used but not given appear with only their name label, as loading does.
    const implicit = [...new Set([...pods, ...policies].map((o) => o.namespace))].filter((n) => !this.namespaces.has(n)).sort();
    return {
      namespaces: [...this.namespaces.values(), ...implicit.map((name) => ({ name, labels: this.namespaceLabels(name) }))],
      pods,
      nodes: [...this.nodes.values()],
      policies,
    };
  }

  /** Unused classes, and all classes (rows plus columns, both directions). */
  garbage(): { unused: number; total: number } {
    const c = this.classes;
    return {
      unused: c.egress.unused + c.ingress.unused,
      total: c.egress.locals.length + c.ingress.locals.length + c.egress.peerClasses.length + c.ingress.peerClasses.length,
    };
  }

  // ---- namespaces

  setNamespace(ns: Namespace): void {
    this.namespaces.set(ns.name, ns);
    this.namespaceChanged(ns.name);
  }

  deleteNamespace(name: string): void {
    if (this.namespaces.delete(name)) this.namespaceChanged(name);
  }

  private namespaceLabels(name: string): Labels {
    return this.namespaces.get(name)?.labels ?? { 'kubernetes.io/metadata.name': name };
  }

  /** Namespace-selector peers of the identities in it may change. */
  private namespaceChanged(name: string): void {
    this.nsPeerCache.delete(name);
    for (const identity of this.byNamespace.get(name) ?? []) {
      const next = this.matchPeers(identity);
      if (next.join() !== identity.selectorPeers.join()) {
        identity.selectorPeers = next;
        this.identityChanged(identity);
      }
    }
  }

  // ---- nodes and node addresses

  setNode(node: Node): void {
    this.nodes.set(node.name, node);
    this.nodesChanged();
  }

  deleteNode(name: string): void {
    if (this.nodes.delete(name)) this.nodesChanged();
  }

  /** Node IPs first, then hostNetwork pods' IPs; the first claim of an address wins. */
  private nodesChanged(): void {
    const next = new Map<number | string, { ip: IPAddress; node: string }>();
    const claim = (node: string, ip: IPAddress): void => {
      const k = ipKey(ip);
      if (!next.has(k)) next.set(k, { ip, node });
    };
    for (const node of this.nodes.values()) for (const ip of node.ips) claim(node.name, ip);
    for (const { pod } of this.pods.values()) if (pod.hostNetwork && pod.nodeName) for (const ip of pod.ips) claim(pod.nodeName, ip);
    const before = this.nodeAddresses;
    this.nodeAddresses = next;
    for (const [k, v] of next) if (before.get(k)?.node !== v.node) this.refreshHost(k, v.ip);
    for (const [k, v] of before) if (!next.has(k)) this.refreshHost(k, v.ip);
  }

  // ---- pods

  setPod(pod: Pod): void {
    const key = podKey(pod.namespace, pod.name);
    const old = this.pods.get(key);
    const before = old?.pod;
    const state: PodState = old ?? { key, pod, slot: this.nextPodSlot++ };
    if (old) this.unclaim(old);
    state.pod = pod;
    if (!old) this.pods.set(key, state);
    this.claim(state);
    const touched = new Map<number | string, IPAddress>();
    for (const ip of [...(before?.ips ?? []), ...pod.ips]) touched.set(ipKey(ip), ip);
    // Same addresses with new labels: same hosts, new classes.
    for (const [k, ip] of touched) this.refreshHost(k, ip);
    if (pod.hostNetwork || before?.hostNetwork) this.nodesChanged();
  }

  deletePod(namespace: string, name: string): void {
    const state = this.pods.get(podKey(namespace, name));
    if (!state) return;
    this.unclaim(state);
    this.pods.delete(state.key);
    for (const ip of state.pod.ips) this.refreshHost(ipKey(ip), ip);
    if (state.pod.hostNetwork) this.nodesChanged();
  }

  /** The addresses a pod claims as a pod-network pod (hostNetwork and finished pods claim none). */
  private claimedIPs(state: PodState): readonly IPAddress[] {
    return state.pod.hostNetwork || isTerminal(state.pod) ? [] : state.pod.ips;
  }

  private claim(state: PodState): void {
    for (const ip of this.claimedIPs(state)) {
      const k = ipKey(ip);
      let c = this.claims.get(k);
      if (!c) this.claims.set(k, (c = { ip, pods: [] }));
      if (!c.pods.includes(state)) c.pods.push(state);
    }
  }

  private unclaim(state: PodState): void {
    for (const ip of this.claimedIPs(state)) {
      const k = ipKey(ip);
      const c = this.claims.get(k);
      if (!c) continue;
      c.pods = c.pods.filter((p) => p !== state);
      if (c.pods.length === 0) this.claims.delete(k);
    }
  }

  /** The pod that owns an address: the first Running claimant in load order, else the first. */
  private owner(k: number | string): PodState | undefined {
    const c = this.claims.get(k);
    if (!c) return undefined;
    let first: PodState | undefined;
    let best = Infinity;
    let firstRunning: PodState | undefined;
    let bestRunning = Infinity;
    // Load order is the pods map's order; slots grow with first insertion, like that order.
    for (const p of c.pods) {
      if (p.slot < best) (best = p.slot), (first = p);
      if (p.pod.phase === 'Running' && p.slot < bestRunning) (bestRunning = p.slot), (firstRunning = p);
    }
    return firstRunning ?? first;
  }

  /**
   * The port classes in use and where classes already start: what a batch's new ports would
   * add is counted against the limit before any change is made (a split is not undone).
   */
  portClasses(): { readonly count: number; isCut(protocol: PolicyProtocol, port: number): boolean } {
    const ports = this.ports;
    return { count: ports.count, isCut: (protocol, port) => ports.isCut(PROTOCOL_SLOTS[protocol], port) };
  }

  // ---- identities

  private identityOf(pod: Pod): Identity {
    // Every named port counts: a rule added later may name any of them.
    const key = identityKey(pod, this.options);
    const known = this.identities.get(key);
    if (known) return known;
    const { ports: named, key: profileKey } = namedPortProfile(pod, this.options);
    const identity: Identity = { key, namespace: pod.namespace, labels: pod.labels, namedPorts: named, profileKey, selectorPeers: [], isolatedBy: { ingress: [], egress: [] }, hosts: new Set(), classCache: new Map() };
    namedPortCuts(named, this.cut);
    for (const state of this.policiesByNs.get(pod.namespace) ?? []) {
      if (!selectorMatches(state.policy.podSelector, identity.labels)) continue;
      for (const d of DIRECTIONS) if (state.policy.affects[d]) identity.isolatedBy[d].push(state.id);
    }
    for (const d of DIRECTIONS) identity.isolatedBy[d].sort((a, b) => a - b);
    identity.selectorPeers = this.matchPeers(identity);
    this.identities.set(key, identity);
    addTo(this.byNamespace, pod.namespace, identity);
    for (const k in identity.labels) addTo(this.byPair, labelPairKey(pod.namespace, k, identity.labels[k]), identity);
    return identity;
  }

  private dropIdentity(identity: Identity): void {
    this.identities.delete(identity.key);
    deleteFrom(this.byNamespace, identity.namespace, identity);
    for (const k in identity.labels) deleteFrom(this.byPair, labelPairKey(identity.namespace, k, identity.labels[k]), identity);
  }

  private peerMatches(info: PeerInfo, identity: Identity): boolean {
    const peer = info.peer as Extract<Peer, { kind: 'selector' }>;
    if (peer.namespaceSelector ? !selectorMatches(peer.namespaceSelector, this.namespaceLabels(identity.namespace)) : info.namespace !== identity.namespace) return false;
    return !peer.podSelector || selectorMatches(peer.podSelector, identity.labels);
  }

  /** Selector peers matching an identity: those scoped to its namespace, and those whose namespace selector picks it. */
  private matchPeers(identity: Identity): number[] {
    let nsPeers = this.nsPeerCache.get(identity.namespace);
    if (!nsPeers) {
      const labels = this.namespaceLabels(identity.namespace);
      nsPeers = this.nsSelectorPeers.filter((info) => selectorMatches((info.peer as { namespaceSelector: NonNullable<Extract<Peer, { kind: 'selector' }>['namespaceSelector']> }).namespaceSelector, labels));
      this.nsPeerCache.set(identity.namespace, nsPeers);
    }
    const out: number[] = [];
    for (const list of [this.scopedPeers.get(identity.namespace) ?? [], nsPeers]) {
      for (const info of list) {
        const sel = (info.peer as Extract<Peer, { kind: 'selector' }>).podSelector;
        if (!sel || selectorMatches(sel, identity.labels)) out.push(info.id);
      }
    }
    return out.sort((a, b) => a - b);
  }

  /** Identities of a namespace a selector may match (the rarest matchLabels pair narrows it). */
  private candidates(ns: string, selector: { matchLabels: Labels } | undefined): Iterable<Identity> {
    let best: Set<Identity> = this.byNamespace.get(ns) ?? new Set();
    if (selector) {
      for (const k in selector.matchLabels) {
        const list = this.byPair.get(labelPairKey(ns, k, selector.matchLabels[k]));
        if (!list) return [];
        if (list.size < best.size) best = list;
      }
    }
    return best;
  }

  private identityChanged(identity: Identity): void {
    identity.classCache = new Map();
    for (const h of identity.hosts) this.stale.add(h);
  }

  // ---- policies

  setPolicy(policy: NetworkPolicy): void {
    const key = podKey(policy.namespace, policy.name);
    if (this.policies.has(key)) this.removePolicy(key, false);
    const id = this.nextPolicyId++;
    const state: PolicyState = { id, policy, rules: { ingress: [], egress: [] } };
    const fresh: PeerInfo[] = [];
    for (const d of DIRECTIONS) {
      if (!policy.affects[d]) continue; // rules of an unaffected direction are ignored (§2.1)
      policy[d].forEach((rule, index) => {
        const peerIds = rule.peers.map((peer) => this.peerId(d, peer, policy.namespace, fresh));
        rulePortCuts(rule, this.cut);
        const info: RuleInfo = { id: this.rules.length, policy: id, direction: d, index, rule, peerIds };
        this.rules.push(info);
        if (peerIds.length === 0) this.rulesWithoutPeers[d].push(info.id);
        for (const pid of new Set(peerIds)) pushTo(this.rulesByPeer, pid, info.id);
        state.rules[d].push(info.id);
      });
    }
    this.rulesByPolicy[id] = state.rules;
    // Keep the map's order a fresh load would have: a replaced policy keeps its place.
    this.policies.set(key, state);
    addTo(this.policiesByNs, policy.namespace, state);
    this.peersAdded(fresh);
    for (const identity of this.candidates(policy.namespace, policy.podSelector)) {
      if (!selectorMatches(policy.podSelector, identity.labels)) continue;
      for (const d of DIRECTIONS) if (policy.affects[d]) identity.isolatedBy[d].push(id);
      this.identityChanged(identity);
    }
  }

  deletePolicy(namespace: string, name: string): void {
    this.removePolicy(podKey(namespace, name), true);
  }

  private removePolicy(key: string, forget: boolean): void {
    const state = this.policies.get(key);
    if (!state) return;
    if (forget) this.policies.delete(key);
    deleteFrom(this.policiesByNs, state.policy.namespace, state);
    for (const identity of this.candidates(state.policy.namespace, state.policy.podSelector)) {
      let changed = false;
      for (const d of DIRECTIONS) {
        const i = identity.isolatedBy[d].indexOf(state.id);
        if (i >= 0) identity.isolatedBy[d].splice(i, 1), (changed = true);
      }
      if (changed) this.identityChanged(identity);
    }
  }

  private peerId(direction: Direction, peer: Peer, namespace: string, fresh: PeerInfo[]): number {
    const key = peerKey(direction, peer, namespace);
    let id = this.peerIds.get(key);
    if (id === undefined) {
      id = this.peers.length;
      const info: PeerInfo = { id, direction, peer, namespace };
      this.peers.push(info);
      this.peerIds.set(key, id);
      fresh.push(info);
    }
    return id;
  }

  /** Peers seen for the first time: index them and give the identities they match their ids. */
  private peersAdded(fresh: readonly PeerInfo[]): void {
    const blocks: CIDR[] = [];
    for (const info of fresh) {
      if (info.peer.kind === 'ipBlock') {
        this.ipBlockPeers.push(info);
        blocks.push(info.peer.ipBlock.cidr);
        continue;
      }
      const peer = info.peer;
      if (peer.namespaceSelector) {
        this.nsSelectorPeers.push(info);
        this.nsPeerCache.clear();
      } else pushTo(this.scopedPeers, info.namespace, info);
      const namespaces = peer.namespaceSelector ? [...this.byNamespace.keys()].filter((ns) => selectorMatches(peer.namespaceSelector!, this.namespaceLabels(ns))) : [info.namespace];
      for (const ns of namespaces) {
        for (const identity of this.candidates(ns, peer.podSelector)) {
          if (!this.peerMatches(info, identity)) continue;
          identity.selectorPeers.push(info.id); // ids only grow: still ascending
          this.identityChanged(identity);
        }
      }
    }
    if (blocks.length > 0) this.ipBlocksAdded(blocks);
  }

  /** New ipBlock peers: new prefixes into the tries; addresses inside them are classified again. */
  private ipBlocksAdded(blocks: readonly CIDR[]): void {
    this.ipIndex = new IPBlockIndex(this.ipBlockPeers);
    for (const f of [4, 6] as const) {
      for (const c of this.ipIndex.prefixes[f]) {
        const key = `${f}/${c.base}/${c.prefix}`;
        if (this.regions.has(key)) continue;
        const region: Region = { cidr: c, words: addressWords(c.base, f), entry: this.allocEntry(c.prefix) };
        this.regions.set(key, region);
        insertPrefix(f === 4 ? this.master.trie4 : this.master.trie6, region.words, c.prefix, region.entry, this.lengthOf);
        insertPrefix(this.regionTries[f], region.words, c.prefix, region.entry, this.lengthOf);
      }
    }
    // Only addresses inside a new block can change (a region or host outside it, or around
    // it, is not contained by the new peer). IPv4 as number ranges: bigint tests per host
    // were most of a policy add's time.
    const ranges = blocks.filter((b) => b.family === 4).map((b) => [Number(b.base), Number(b.base) + 2 ** (32 - b.prefix) - 1] as const);
    const v6 = blocks.filter((b) => b.family === 6);
    const inside = (family: Family, words: readonly number[], ip: IPAddress): boolean =>
      family === 4 ? ranges.some(([lo, hi]) => words[0]! >= lo && words[0]! <= hi) : v6.some((b) => cidrContains(b, ip));
    for (const r of this.regions.values()) if (inside(r.cidr.family, r.words, { family: r.cidr.family, value: r.cidr.base })) this.stale.add(r);
    if (!this.options.ipBlockMatchesPods) return;
    for (const h of this.hosts.values()) if (inside(h.ip.family, h.words, h.ip)) this.stale.add(h);
  }

  // ---- entries, hosts and classes

  private allocEntry(length: number): number {
    const e = this.freeEntries.pop() ?? this.entryCount++;
    this.master.ensure({ entries: e + 1 });
    this.entryLength[e] = length;
    return e;
  }

  /** The address changed owner, node or identity: create, update or remove its host. */
  private refreshHost(k: number | string, ip: IPAddress): void {
    const pod = this.owner(k);
    const node = this.nodeAddresses.get(k)?.node;
    let h = this.hosts.get(k);
    if (!pod && !node) {
      if (h) this.removeHost(h);
      return;
    }
    if (!h) {
      // A host outranks a region of the same length (an ipBlock /32 equal to a pod IP), as in compile().
      h = { key: k, ip, words: addressWords(ip.value, ip.family), entry: this.allocEntry(bitsOf(ip.family) + 0.5), pod: undefined, identity: undefined, node: undefined };
      this.hosts.set(k, h);
      if (ip.family === 4) insertPrefix(this.master.trie4, h.words, 32, h.entry, this.lengthOf);
      else this.addHost6(h);
    }
    h.pod = pod;
    h.node = node;
    const identity = pod ? this.identityOf(pod.pod) : undefined;
    if (identity !== h.identity) {
      if (h.identity) this.leave(h.identity, h);
      h.identity = identity;
      identity?.hosts.add(h);
    }
    this.stale.add(h);
  }

  private leave(identity: Identity, h: Host): void {
    identity.hosts.delete(h);
    if (identity.hosts.size === 0) this.dropIdentity(identity);
  }

  private removeHost(h: Host): void {
    this.hosts.delete(h.key);
    this.stale.delete(h);
    if (h.identity) this.leave(h.identity, h);
    if (h.ip.family === 4) {
      const cover = lookup4(this.regionTries[4].t, h.words[0]!);
      removePrefix(this.master.trie4, h.words, 32, h.entry, cover);
    } else {
      this.hosts6Count--;
      if (!this.hosts6Dirty) removeHost6(this.hostTable, h.words);
    }
    this.writeEntry(h.entry, [0, 0, 0, 0, 0, 0, 0, 0]);
    this.freeEntries.push(h.entry);
  }

  /** At most half full; past that, twice the slots and a rewrite at commit. */
  private addHost6(h: Host): void {
    this.hosts6Count++;
    if (this.hosts6Count * 2 + 1 > this.master.caps.hosts6Slots) {
      this.master.ensure({ hosts6Slots: this.hosts6Count * 2 + 1 });
      this.hosts6Dirty = true;
    } else if (!this.hosts6Dirty) insertHost6(this.hostTable, h.words, h.entry);
  }

  private ipPeersOf(ip: IPAddress, length: number): readonly number[] {
    const list = this.ipIndex.peersContaining(ip.family, ip.value, length);
    if (list.length === 0) return NO_PEERS;
    const key = list.join(',');
    let same = this.peerLists.get(key);
    if (!same) this.peerLists.set(key, (same = list));
    return same;
  }

  /** [egress local, ingress local, egress peer, ingress peer] of an identity (or none) with ipBlock peers. */
  private classify(identity: Identity | undefined, ipPeers: readonly number[]): readonly number[] {
    const cached = identity?.classCache.get(ipPeers);
    if (cached) return cached;
    const matched = identity ? [...new Set([...identity.selectorPeers, ...ipPeers])].sort((a, b) => a - b) : ipPeers;
    const of = (d: Direction): number[] => matched.filter((p) => this.peers[p]!.direction === d);
    const c = this.classes;
    const out = [
      identity ? c.egress.local(identity.isolatedBy.egress, undefined, '') : 0,
      // Ingress named ports resolve on the subject: its port profile is part of its class.
      identity ? c.ingress.local(identity.isolatedBy.ingress, identity.namedPorts, identity.profileKey) : 0,
      // Egress named ports resolve on the destination: its profile is part of its class.
      c.egress.peer(of('egress'), identity?.namedPorts, identity?.profileKey ?? ''),
      c.ingress.peer(of('ingress'), undefined, ''),
    ];
    identity?.classCache.set(ipPeers, out);
    return out;
  }

  private readonly fields = new Uint32Array(ENTRY_STRIDE);

  /** Classes each entry uses, for reference counts (the garbage estimate). */
  private readonly entryClasses: (readonly number[] | undefined)[] = [];

  private countRefs(cls: readonly number[] | undefined, by: 1 | -1): void {
    if (!cls) return;
    const c = this.classes;
    c.egress.refLocal(cls[0]!, by);
    c.ingress.refLocal(cls[1]!, by);
    c.egress.refPeer(cls[2]!, by);
    c.ingress.refPeer(cls[3]!, by);
  }

  private writeEntry(e: number, fields: ArrayLike<number>, classes?: readonly number[]): void {
    const ent = this.master.views.entries;
    const o = e * ENTRY_STRIDE;
    this.countRefs(this.entryClasses[e], -1);
    this.entryClasses[e] = classes;
    this.countRefs(classes, 1);
    ent.set(fields, o);
    this.master.touch('entries', o, o + ENTRY_STRIDE);
  }

  private classifyHost(h: Host): void {
    const ipPeers = this.options.ipBlockMatchesPods ? this.ipPeersOf(h.ip, bitsOf(h.ip.family)) : NO_PEERS;
    const cls = this.classify(h.identity, ipPeers);
    const f = this.fields;
    f[E.podSlot] = h.pod ? h.pod.slot : 0;
    f[E.podNode] = h.pod ? this.nodeIds.id(h.pod.pod.nodeName) : 0;
    f[E.addrNode] = this.nodeIds.id(h.node);
    f.set(cls, E.egressLocal);
    f[7] = 0;
    this.writeEntry(h.entry, f, cls);
  }

  private classifyRegion(entry: number, ipPeers: readonly number[]): void {
    const f = this.fields;
    f.fill(0);
    const cls = this.classify(undefined, ipPeers);
    f.set(cls, E.egressLocal);
    this.writeEntry(entry, f, cls);
  }

  /** Finishes a batch: classifies what changed and rewrites the IPv6 host table if needed. */
  commit(): void {
    for (const s of this.stale) {
      if (s === 'default') this.classifyRegion(0, []);
      else if ('cidr' in s) this.classifyRegion(s.entry, this.ipPeersOf({ family: s.cidr.family, value: s.cidr.base }, s.cidr.prefix));
      else this.classifyHost(s);
    }
    this.stale.clear();
    if (this.hosts6Dirty) this.writeHosts6();
  }

  private writeHosts6(): void {
    this.hosts6Dirty = false;
    const list: { words: number[]; entry: number }[] = [];
    for (const h of this.hosts.values()) if (h.ip.family === 6) list.push({ words: h.words, entry: h.entry });
    // The table keeps its slot count (the image's capacity) until it would be more than half full.
    this.master.ensure({ hosts6Slots: buildHosts6(list).slots });
    const { table } = buildHosts6(list, this.master.caps.hosts6Slots);
    this.master.views.hosts6.set(table);
    this.master.touch('hosts6', 0, table.length);
  }
}

/** A trie in a growable JS array (the regions-only tries). */
function plainTrie(): TrieStore {
  let t = new Uint32Array(65536 + 256 * 16);
  return {
    get t() {
      return t;
    },
    used: 0,
    reserve(n: number) {
      if (this.used + n <= t.length) return;
      const next = new Uint32Array(Math.max(t.length * 2, this.used + n));
      next.set(t);
      t = next;
    },
    touch() {},
  };
}
