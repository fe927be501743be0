/**
 * The cluster-scoped tiers in the image: every address entry gets, per direction, a tier row
 * (which cluster-scoped policies select it as a subject, in evaluation order) and a tier
 * column (which cluster-scoped peers match it as the remote end); destination names get a
 * name class (which domainNames peers match them). A cell of (row, column, name class) is the
 * first-match outcome of the row's rules over the port classes: the port classes each tier
 * accepts and denies (Pass resolved here: a passed class is in neither set of its tier).
 *
 * Every matching decision is model/cluster-match.ts's: classes only group endpoints that its
 * predicates answer alike, and each class is asked once, through a representative.
 */
import type { ClusterIndex } from '../model/cluster-index.js';
import { CapacityError, LIMITS } from '../model/limits.js';
import { selectorMatches } from '../model/selector.js';
import { clusterPeerMatches, clusterPortMatches, subjectSelects, type ClusterPeerTarget } from '../model/cluster-match.js';
import type { ResolvedOptions } from '../model/options.js';
import { PROTOCOL_NUMBERS } from '../model/protocol.js';
import type { ClusterPeer, ClusterPolicy, ClusterRule, Direction, PolicyProtocol, Pod } from '../model/types.js';
import type { IPAddress } from '../ip/address.js';
import { IPBlockIndex } from './address-space.js';
import { Interner } from './interner.js';
import { TIER_DECISION_STRIDE } from './layout.js';
import { buildMatrix, type Matrix, type PortSetTable } from './matrix.js';
import { NameClasses } from './name-classes.js';
import { namedKey, namedPortProfile } from './pod-identity.js';
import { PROTOCOL_SLOTS, type PortClasses, type PortCut } from './ports.js';
import type { PeerInfo } from './rule-table.js';

const DIRECTIONS = ['egress', 'ingress'] as const;
const NO_NETWORKS: readonly number[] = [];
const PROTOCOLS: readonly PolicyProtocol[] = ['TCP', 'UDP', 'SCTP'];

/** An address entry as the tiers see it. */
export interface TierEndpoint {
  /** The pod-network pod owning the address (any pod of its identity answers alike). */
  readonly pod: Pod | undefined;
  /** Its identity id (classes are per identity, never per pod). */
  readonly identity: number;
  /**
   * The address, or for a region the prefix's base address; undefined: the default entry, or
   * a pod without an address (a workload's template pod: matched by namespaces/pods peers only).
   */
  readonly address: IPAddress | undefined;
  /** Prefix length of the region (32 or 128 for a host address). */
  readonly prefix: number;
  /** The Node owning the address, if any. */
  readonly node: string | undefined;
}

/** What explain needs of an entry: the cluster-scoped policies selecting it as a subject, per direction. */
export interface TierEntryFacts {
  /** Indexes into `TierProvenance.policies`, ascending (evaluation order). */
  readonly subjectOf: Readonly<Record<Direction, readonly number[]>>;
  /** The Node owning the address, if any (nodes peers match through its labels). */
  readonly node: string | undefined;
}

interface RowClass {
  readonly policies: readonly number[];
  /** Ingress: the subject is the destination, whose named ports resolve rules' named ports. */
  readonly pod: Pod | undefined;
  readonly profileKey: string;
}

interface ColClass {
  /** Ids of the (non-domainNames) peers that match this end. */
  readonly peers: ReadonlySet<number>;
  /** Egress: the remote is the destination, whose named ports resolve rules' named ports. */
  readonly pod: Pod | undefined;
  readonly profileKey: string;
}

const NO_ROW: RowClass = { policies: [], pod: undefined, profileKey: '' };
const NO_COL: ColClass = { peers: new Set(), pod: undefined, profileKey: '' };
/** Equal text, equal column: the peers matched, and the named ports resolving on it (egress). */
const colKey = (matched: readonly number[], pod: Pod | undefined, profileKey: string): string => `${matched.join(',')}|${pod ? 'pod' : ''}|${profileKey}`;

/** Canonical text of a peer (CIDRs carry bigints): equal text, equal matching. */
const peerText = (peer: ClusterPeer): string => JSON.stringify(peer, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));

/** The rows and columns of the tier matrices, classified entry by entry, then the cells. */
export class TierClassifier {
  /** The cluster-scoped policies in evaluation order (orderClusterPolicies). */
  readonly policies: readonly ClusterPolicy[];
  /** Distinct target peers (all kinds but domainNames and unknown) per direction, by id. */
  private readonly peers: Record<Direction, ClusterPeer[]> = { egress: [], ingress: [] };
  private readonly peerIds: Record<Direction, Map<string, number>> = { egress: new Map(), ingress: new Map() };
  /** Distinct egress domainNames peers' ids, by peer text. */
  private readonly domainIds = new Map<string, number>();
  /** Destination names by the domainNames peers matching them. */
  readonly names: NameClasses;
  /** The networks CIDRs, as prefixes of the address space, indexed for containment. */
  readonly networks: IPBlockIndex;
  private readonly rows: Record<Direction, Interner<RowClass>> = { egress: new Interner(), ingress: new Interner() };
  private readonly cols: Record<Direction, Interner<ColClass>> = { egress: new Interner(), ingress: new Interner() };
  private readonly rowMemo = new Map<number, [number, number]>();
  private readonly subjectMemo = new Map<number, Record<Direction, number[]>>();
  /** Per rule: its peers' ids (target peers, domainNames peers) and whether it has an unknown peer. */
  private readonly rulePeers = new Map<ClusterRule, { readonly peers: readonly number[]; readonly domains: readonly number[]; readonly unknown: boolean }>();
  private readonly colMemo = new Map<string, [number, number]>();
  /** Per identity, its named ports restricted to the names cluster rules use (see profileOf). */
  private readonly profileMemo = new Map<number, string>();
  private clusterNames: ReadonlySet<string> | undefined;
  /** Per networks-containment list (the index hands out one array per region), its text. */
  private readonly netsText = new Map<readonly number[], string>();
  private readonly nsSubjects = new Map<string, number[]>();
  /** The IPv4 networks CIDRs as numbers, ascending ids (networksWithin). */
  private readonly networks4: { readonly id: number; readonly base: number; readonly prefix: number }[] = [];
  /** Per CIDR of this.networks, the networks peer (and direction) it comes from. */
  private readonly cidrPeer: { readonly direction: Direction; readonly peer: number }[] = [];
  private readonly nsPeers: Record<Direction, Map<string, Set<number>>> = { egress: new Map(), ingress: new Map() };

  constructor(
    private readonly index: ClusterIndex,
    policies: readonly ClusterPolicy[],
    private readonly options: ResolvedOptions,
  ) {
    this.policies = policies;
    const cidrs: PeerInfo[] = [];
    const domains: { id: number; names: readonly string[] }[] = [];
    for (const d of DIRECTIONS) {
      this.rows[d].intern('', () => NO_ROW); // row 0: no cluster-scoped policy selects the pod
      this.cols[d].intern(colKey([], undefined, ''), () => NO_COL); // column 0: no peer matches, not a pod
      for (const p of policies) {
        for (const rule of p[d]) {
          const ids = { peers: [] as number[], domains: [] as number[], unknown: false };
          for (const peer of rule.peers) {
            if (peer.kind === 'unknown') {
              ids.unknown = true; // matches by action, not by endpoint
              continue;
            }
            const key = peerText(peer);
            if (peer.kind === 'domainNames') {
              // domainNames peers judge the destination's name: egress only (an ingress flow has none).
              if (d !== 'egress') continue;
              if (!this.domainIds.has(key)) {
                this.domainIds.set(key, domains.length);
                domains.push({ id: domains.length, names: peer.domainNames });
              }
              ids.domains.push(this.domainIds.get(key)!);
              continue;
            }
            if (!this.peerIds[d].has(key)) {
              this.peerIds[d].set(key, this.peers[d].push(peer) - 1);
              const id = this.peers[d].length - 1;
              if (peer.kind === 'networks')
                for (const cidr of peer.networks)
                  this.cidrPeer[cidrs.push({ id: cidrs.length, direction: d, peer: { kind: 'ipBlock', ipBlock: { cidr, except: [] } }, namespace: '' }) - 1] = {
                    direction: d,
                    peer: id,
                  };
            }
            ids.peers.push(this.peerIds[d].get(key)!);
          }
          this.rulePeers.set(rule, ids);
        }
      }
    }
    this.networks = new IPBlockIndex(cidrs);
    for (const c of cidrs)
      if (c.peer.kind === 'ipBlock' && c.peer.ipBlock.cidr.family === 4)
        this.networks4.push({ id: c.id, base: Number(c.peer.ipBlock.cidr.base), prefix: c.peer.ipBlock.cidr.prefix });
    this.names = new NameClasses(domains);
  }

  /** Whether any cluster-scoped policy exists (otherwise every tier field is 0). */
  get active(): boolean {
    return this.policies.length > 0;
  }

  /** `name/protocol` keys of the named ports cluster rules use: identities must tell them apart. */
  namedPortKeys(): Set<string> {
    const keys = new Set<string>();
    for (const p of this.policies)
      for (const d of DIRECTIONS)
        for (const r of p[d]) for (const port of r.ports) if (port.kind === 'named') for (const proto of PROTOCOLS) keys.add(namedKey(port.name, proto));
    return keys;
  }

  /** Port-class boundaries of the cluster rules' ranges (named ports cut through the identities' profiles). */
  portCuts(cut: PortCut): void {
    for (const p of this.policies) {
      for (const d of DIRECTIONS) {
        for (const r of p[d]) {
          for (const port of r.ports) {
            if (port.kind !== 'range') continue;
            cut(PROTOCOL_SLOTS[port.protocol], port.start);
            cut(PROTOCOL_SLOTS[port.protocol], port.end + 1);
          }
        }
      }
    }
  }

  /** [tierEgressRow, tierIngressRow, tierEgressCol, tierIngressCol] classes of an entry, before merging. */
  classify(e: TierEndpoint): number[] {
    if (!this.active) return [0, 0, 0, 0];
    let rows = e.pod ? this.rowMemo.get(e.identity) : ([0, 0] as [number, number]);
    if (!rows) this.rowMemo.set(e.identity, (rows = [this.rowClass('egress', e), this.rowClass('ingress', e)]));
    const within = e.address ? this.networksWithin(e.address, e.prefix) : NO_NETWORKS;
    const nets = e.address ? this.netsOf(within) : '-';
    const colKey = `${e.pod ? e.identity : -1}|${e.node ?? ''}|${nets}`;
    let cols = this.colMemo.get(colKey);
    if (!cols) this.colMemo.set(colKey, (cols = [this.colClass('egress', e, within), this.colClass('ingress', e, within)]));
    return [rows[0], rows[1], cols[0], cols[1]];
  }

  /**
   * The networks CIDRs (ids as in this.networks) holding every address of the region
   * (address/prefix): this.networks.peersContaining's answer, by a scan of 32-bit compares for
   * IPv4 (clusters have few networks CIDRs, and the index's host cache misses on every host as
   * soon as one network is a /32).
   */
  private networksWithin(address: IPAddress, prefix: number): readonly number[] {
    if (this.cidrPeer.length === 0) return NO_NETWORKS;
    if (address.family === 6) return this.networks.peersContaining(6, address.value, prefix);
    const v = Number(address.value);
    let out: number[] | undefined;
    for (const c of this.networks4) {
      if (c.prefix > prefix) continue;
      if (c.prefix === 0 || (v ^ c.base) >>> (32 - c.prefix) === 0) (out ??= []).push(c.id);
    }
    return out ?? NO_NETWORKS;
  }

  private netsOf(list: readonly number[]): string {
    if (list.length < 2) return list.length === 0 ? '' : String(list[0]);
    let text = this.netsText.get(list);
    if (text === undefined) this.netsText.set(list, (text = list.join(',')));
    return text;
  }

  /**
   * The identity's named ports that cluster rules can name, as text: only these split tier
   * classes. The identity's own profile also holds the names NetworkPolicies use, which would
   * multiply tier rows and columns (and the cells evaluated before merging) for nothing.
   */
  private profileOf(e: TierEndpoint): string {
    if (!e.pod) return '';
    let key = this.profileMemo.get(e.identity);
    if (key === undefined) {
      this.clusterNames ??= this.namedPortKeys();
      this.profileMemo.set(e.identity, (key = namedPortProfile(e.pod, this.options, this.clusterNames).key));
    }
    return key;
  }

  /** Per direction, the policies selecting a pod of `identity` as a subject with rules in it, in evaluation order. */
  subjectOf(identity: number, pod: Pod): Readonly<Record<Direction, readonly number[]>> {
    let out = this.subjectMemo.get(identity);
    if (out) return out;
    out = { egress: [], ingress: [] };
    // subjectSelects, asked per namespace first: only a pods subject then needs the pod's labels.
    for (const i of this.namespaceSubjects(pod.namespace)) {
      if (!subjectSelects(this.policies[i]!.subject, pod, this.index.namespaceLabels(pod.namespace))) continue;
      for (const d of DIRECTIONS) if (this.policies[i]![d].length > 0) out[d].push(i);
    }
    this.subjectMemo.set(identity, out);
    return out;
  }

  /** The policies whose subject's namespace selector selects `namespace` (ascending), once per namespace. */
  private namespaceSubjects(namespace: string): readonly number[] {
    let list = this.nsSubjects.get(namespace);
    if (!list) {
      const labels = this.index.namespaceLabels(namespace);
      list = [];
      this.policies.forEach((p, i) => void (selectorMatches(p.subject.namespaceSelector, labels) && list!.push(i)));
      this.nsSubjects.set(namespace, list);
    }
    return list;
  }

  /** The namespaces/pods peers of direction `d` whose namespace selector selects `namespace`, once per namespace. */
  private namespacePeers(d: Direction, namespace: string): ReadonlySet<number> {
    let set = this.nsPeers[d].get(namespace);
    if (!set) {
      const labels = this.index.namespaceLabels(namespace);
      set = new Set();
      this.peers[d].forEach((p, id) => void ((p.kind === 'namespaces' || p.kind === 'pods') && selectorMatches(p.namespaceSelector, labels) && set!.add(id)));
      this.nsPeers[d].set(namespace, set);
    }
    return set;
  }

  private rowClass(d: Direction, e: TierEndpoint): number {
    if (!e.pod) return 0;
    const policies = this.subjectOf(e.identity, e.pod)[d];
    if (policies.length === 0) return 0;
    const profileKey = d === 'ingress' ? this.profileOf(e) : '';
    return this.rows[d].intern(`${policies.join(',')}|${profileKey}`, () => ({ policies, pod: e.pod, profileKey }));
  }

  /**
   * `within`: the networks CIDRs (ids of this.networks) holding every address of the entry's
   * region, the LPM's own answer: a networks peer matches when one of its CIDRs is among them.
   */
  private colClass(d: Direction, e: TierEndpoint, within: readonly number[]): number {
    const target = this.target(e);
    const matched: number[] = [];
    const peers = this.peers[d];
    const inNetworks = new Set<number>();
    for (const c of within) if (this.cidrPeer[c]!.direction === d) inNetworks.add(this.cidrPeer[c]!.peer);
    // namespaces/pods peers can match only a pod, and only those selecting its namespace: asked
    // per namespace first (namespacePeers), then clusterPeerMatches decides.
    const nsPeers = e.pod ? this.namespacePeers(d, e.pod.namespace) : undefined;
    for (let id = 0; target && id < peers.length; id++) {
      const peer = peers[id]!;
      let hit: boolean;
      if (peer.kind === 'networks') {
        // clusterPeerMatches' containment, by the index (a region's entry holds only the addresses
        // outside longer prefixes: a network inside it is not a match).
        hit = inNetworks.has(id);
      } else if (peer.kind === 'namespaces' || peer.kind === 'pods') {
        hit = nsPeers?.has(id) === true && clusterPeerMatches(peer, 'Accept', target);
      } else if (peer.kind === 'nodes') {
        hit = e.node !== undefined && clusterPeerMatches(peer, 'Accept', target);
      } else hit = clusterPeerMatches(peer, 'Accept', target);
      if (hit) matched.push(id);
    }
    const profileKey = d === 'egress' ? this.profileOf(e) : '';
    const pod = d === 'egress' ? e.pod : undefined;
    return this.cols[d].intern(colKey(matched, pod, profileKey), () => ({ peers: new Set(matched), pod, profileKey }));
  }

  private target(e: TierEndpoint): ClusterPeerTarget | undefined {
    if (!e.address && !e.pod) return undefined; // the default entry: no pod, no node, inside no network
    return {
      address: e.address,
      pod: e.pod,
      namespaceLabels: (ns) => this.index.namespaceLabels(ns),
      node: e.node,
      nodeLabels: (n) => this.index.nodeLabels(n),
      dstName: undefined,
    };
  }

  /** The tier matrices and decisions, over these port classes and into this port-set table. */
  build(portClasses: PortClasses, portSets: PortSetTable): { egress: Matrix; ingress: Matrix; decisions: Uint32Array; nameClassCount: number } {
    const names = this.names.count;
    if (names > LIMITS.nameClasses) throw new CapacityError('nameClasses', names);
    const decisions = new Interner<readonly number[]>();
    decisions.intern('0,0,0,0', () => [0, 0, 0, 0]);
    const cells = new CellBuilder(portClasses, this.options.initContainerPorts);
    const matrix = (d: Direction): Matrix => {
      const rows = this.rows[d].values;
      const cols = this.cols[d].values;
      const n = d === 'egress' ? names : 1;
      return buildMatrix(
        rows.length,
        cols.length * n,
        (r, out) => {
          const row = rows[r]!;
          cols.forEach((col, c) => {
            for (let k = 0; k < n; k++) {
              const domains = this.names.members[k]!;
              const sets = cells
                .evaluate(
                  row.policies.map((i) => this.policies[i]!),
                  d,
                  (rule) => this.ruleMatches(rule, col, domains),
                  d === 'ingress' ? row : col,
                )
                .map((bits) => portSets.intern(bits));
              out[c * n + k] = decisions.intern(sets.join(','), () => sets);
            }
          });
        },
        n,
      );
    };
    const egress = matrix('egress');
    const ingress = matrix('ingress');
    if (decisions.values.length > LIMITS.tierDecisions) throw new CapacityError('tierDecisions', decisions.values.length);
    const data = new Uint32Array(decisions.values.length * TIER_DECISION_STRIDE);
    decisions.values.forEach((sets, i) => data.set(sets, i * TIER_DECISION_STRIDE));
    return { egress, ingress, decisions: data, nameClassCount: names };
  }

  /** Whether a rule's peers match the column (domainNames peers: the name class's). */
  private ruleMatches(rule: ClusterRule, col: ColClass, domains: readonly number[]): boolean {
    const ids = this.rulePeers.get(rule)!;
    return (
      (ids.unknown && clusterPeerMatches(UNKNOWN_PEER, rule.action, UNKNOWN_TARGET)) ||
      ids.peers.some((p) => col.peers.has(p)) ||
      ids.domains.some((p) => domains.includes(p))
    );
  }
}

const UNKNOWN_PEER: ClusterPeer = { kind: 'unknown' };
/** The target an unknown peer is asked about: it matches by the rule's action alone. */
const UNKNOWN_TARGET: ClusterPeerTarget = {
  address: { family: 4, value: 0n },
  pod: undefined,
  namespaceLabels: () => ({}),
  node: undefined,
  nodeLabels: () => ({}),
  dstName: undefined,
};

/** First-match evaluation of a row's rules over the port classes, as four port-class bitsets. */
class CellBuilder {
  private readonly words: number;
  private readonly all: Uint32Array;
  /** A flow of each port class: its protocol and lowest port (class 0: no port). */
  private readonly reps: { protocol: number; port: number | undefined }[] = [{ protocol: PROTOCOL_NUMBERS.ICMP, port: undefined }];
  private readonly ruleSets = new Map<ClusterRule, Map<string, Uint32Array>>();

  constructor(
    private readonly classes: PortClasses,
    private readonly initContainerPorts: boolean,
  ) {
    this.words = classes.words;
    this.all = new Uint32Array(this.words);
    for (let c = 0; c < classes.count; c++) this.all[c >>> 5]! |= 1 << (c & 31);
    for (let i = 0; i < classes.map.length; i++) {
      const c = classes.map[i]!;
      if (c !== 0 && !this.reps[c]) this.reps[c] = { protocol: PROTOCOL_NUMBERS[PROTOCOLS[i >>> 16]!], port: i & 0xffff };
    }
  }

  /** The port classes a rule admits when its named ports resolve on `dst` (profile `dst.profileKey`). */
  private rulePorts(rule: ClusterRule, dst: { readonly pod: Pod | undefined; readonly profileKey: string }): Uint32Array {
    if (rule.ports.length === 0) return this.all;
    let byProfile = this.ruleSets.get(rule);
    if (!byProfile) this.ruleSets.set(rule, (byProfile = new Map()));
    const key = dst.pod ? `pod|${dst.profileKey}` : '';
    let bits = byProfile.get(key);
    if (!bits) {
      bits = new Uint32Array(this.words);
      for (let c = 0; c < this.classes.count; c++) {
        if (rule.ports.some((p) => clusterPortMatches(p, this.reps[c]!, dst.pod, this.initContainerPorts))) bits[c >>> 5]! |= 1 << (c & 31);
      }
      byProfile.set(key, bits);
    }
    return bits;
  }

  /**
   * [adminAccept, adminDeny, baselineAccept, baselineDeny]: per tier, the policies' rules in
   * order, each taking the classes still undecided that it admits (Pass takes them too, for
   * neither set). Baseline starts from what the Admin tier left undecided.
   */
  evaluate(
    policies: readonly ClusterPolicy[],
    d: Direction,
    matches: (rule: ClusterRule) => boolean,
    dst: { readonly pod: Pod | undefined; readonly profileKey: string },
  ): Uint32Array[] {
    const out = [0, 1, 2, 3].map(() => new Uint32Array(this.words));
    const left = this.all.slice();
    for (const [tier, accept, deny] of [
      ['Admin', out[0]!, out[1]!],
      ['Baseline', out[2]!, out[3]!],
    ] as const) {
      if (tier === 'Baseline') for (let w = 0; w < this.words; w++) left[w] = this.all[w]! & ~(out[0]![w]! | out[1]![w]!);
      for (const p of policies) {
        if (p.tier !== tier) continue;
        for (const rule of p[d]) {
          if (!matches(rule)) continue;
          const ports = this.rulePorts(rule, dst);
          const into = rule.action === 'Accept' ? accept : rule.action === 'Deny' ? deny : undefined;
          for (let w = 0; w < this.words; w++) {
            const hit = left[w]! & ports[w]!;
            if (into) into[w]! |= hit;
            left[w]! &= ~hit;
          }
        }
      }
    }
    return out;
  }
}
