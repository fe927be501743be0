/**
 * The live image's tier part (IMAGE.md "Tiers"): the cluster-scoped policies (Admin and Baseline
 * tier ClusterNetworkPolicies, AdminNetworkPolicies, the BaselineAdminNetworkPolicy) as tier
 * rows, tier columns, name classes and tier decisions, kept beside the NetworkPolicy part.
 *
 * - Row of an entry (per direction): the policies whose subject selects its pod and that have
 *   rules in that direction, in evaluation order (plus the pod's named ports for ingress, where
 *   named ports resolve on it).
 * - Column: the `namespaces`, `pods`, `nodes` and `networks` peers the address matches (plus the
 *   destination's named ports for egress); the egress matrix has one cell per name class too.
 * - Cell: a tier decision, the four port sets (Admin accept, Admin deny, Baseline accept,
 *   Baseline deny) the rules give each port class, first matching rule first, a Pass taking its
 *   classes out of the rest of its tier.
 *
 * Rows and columns are values (their keys fix their cells), computed when first used, as the
 * NetworkPolicy classes are. Pods, nodes and namespace labels change entries only; a change to a
 * cluster-scoped policy (its subject, priority or rules) recomputes the tier part whole at the
 * next commit: new ids for everything, every entry's tier fields written again. The
 * NetworkPolicy part is never rebuilt for it.
 */
import { isDeepStrictEqual } from 'node:util';
import type { CIDR } from '../../ip/cidr.js';
import { clusterPeerMatches, orderClusterPolicies, subjectSelects } from '../../model/cluster-match.js';
import {
  clusterPolicyKey,
  type ClusterPeer,
  type ClusterPolicy,
  type ClusterRule,
  type Direction,
  type Labels,
  type Pod,
  type PolicyProtocol,
} from '../../model/types.js';
import { CapacityError, LIMITS } from '../../model/limits.js';
import { IPBlockIndex } from '../address-space.js';
import { TIER_DECISION_STRIDE } from '../layout.js';
import { NameClasses } from '../name-classes.js';
import { namedKey, type NamedPorts } from '../pod-identity.js';
import { PROTOCOL_SLOTS } from '../ports.js';
import type { PeerInfo } from '../rule-table.js';
import type { MasterImage } from './master.js';
import type { LivePorts, PortRange } from './ports.js';
import { DIRECTIONS, type Host, type Identity } from './state.js';

/** What the tier part reads from, and tells, the compiler around it. */
export interface TierHooks {
  namespaceLabels(name: string): Labels;
  nodeLabels(name: string): Labels;
  /**
   * The tier part was recomputed: every entry's tier fields must be written again, and each
   * `networks` CIDR needs an address entry of its own (a region, as an ipBlock's).
   */
  recomputed(networks: readonly CIDR[]): void;
}

/** A rule with ids for its peers (per recompute). */
interface TierRule {
  readonly id: number;
  readonly rule: ClusterRule;
  readonly peerIds: readonly number[];
  /** Some port entry is a named port (its set depends on the destination's named ports). */
  readonly named: boolean;
}

interface TierPeer {
  readonly id: number;
  readonly direction: Direction;
  readonly peer: ClusterPeer;
  readonly action: ClusterRule['action'];
}

interface Row {
  /** Indexes into the ordered policies, ascending (Admin before Baseline). */
  readonly policies: readonly number[];
  readonly namedPorts: NamedPorts | undefined;
  readonly profileKey: string;
}

interface Column {
  readonly peers: ReadonlySet<number>;
  readonly namedPorts: NamedPorts | undefined;
  readonly profileKey: string;
}

interface Side {
  readonly rows: Row[];
  readonly rowIds: Map<string, number>;
  readonly cols: Column[];
  readonly colIds: Map<string, number>;
  /** Some rule of this direction names a port: the destination's named ports are part of its class. */
  named: boolean;
}

/** What an identity brings to its addresses' tier fields (for one recompute). */
interface IdentityFacts {
  readonly epoch: number;
  readonly rows: Record<Direction, readonly number[]>;
  readonly peers: Record<Direction, readonly number[]>;
}

const NONE: readonly number[] = [];
const PROTOCOLS: readonly PolicyProtocol[] = ['TCP', 'UDP', 'SCTP'];
/** The tier fields of an entry nothing cluster-scoped concerns. */
const ZERO: readonly number[] = [0, 0, 0, 0];

const emptySide = (): Side => ({ rows: [], rowIds: new Map(), cols: [], colIds: new Map(), named: false });

/** The cluster-scoped policies of a live image and its tier tables (see above). */
export class LiveTiers {
  /** The cluster-scoped policies by clusterPolicyKey, in load order. */
  private readonly policies = new Map<string, ClusterPolicy>();
  /** Changed since the tier part was computed: recompute at the next commit. */
  private stale = false;
  private epoch = 0;

  // Everything below belongs to one recompute.
  private ordered: readonly ClusterPolicy[] = [];
  /** Per direction, per ordered policy, its rules. */
  private rules: Record<Direction, TierRule[][]> = { ingress: [], egress: [] };
  private peers: TierPeer[] = [];
  /** `namespaces` and `pods` peers (matched per identity), `nodes` peers (per node). */
  private selectorPeers: TierPeer[] = [];
  private nodePeers: TierPeer[] = [];
  private networks = new IPBlockIndex([]);
  private names = new NameClasses([]);
  private sides: Record<Direction, Side> = { ingress: emptySide(), egress: emptySide() };
  private readonly decisionIds = new Map<string, number>();
  private readonly ruleSets = new Map<string, number>();
  private readonly identityFacts = new WeakMap<Identity, IdentityFacts>();
  private readonly nodeFacts = new Map<string, Record<Direction, readonly number[]>>();
  /** A host's fields by identity, then node and networks: valid until a recompute or a change of facts. */
  private readonly fieldCache = new Map<Identity | undefined, Map<string, number[]>>();
  /** Rows and columns at the last recompute: churn past a bound recomputes (drops unused ones). */
  private classBound = 0;

  constructor(
    private readonly master: MasterImage,
    private readonly ports: LivePorts,
    private readonly hooks: TierHooks,
  ) {}

  /** Whether any cluster-scoped policy is compiled (otherwise every tier field is 0). */
  get active(): boolean {
    return this.ordered.length > 0;
  }

  // ---- objects

  setPolicy(policy: ClusterPolicy): void {
    const key = clusterPolicyKey(policy);
    // The same object applied again (a resync) changes nothing: no recompute.
    if (isDeepStrictEqual(this.policies.get(key), policy)) return;
    this.policies.set(key, policy);
    this.stale = true;
  }

  deletePolicy(key: string): void {
    if (this.policies.delete(key)) this.stale = true;
  }

  /** The policies, in load order (for the compiler's `cluster()`). */
  list(): ClusterPolicy[] {
    return [...this.policies.values()];
  }

  /** The policies as the image was computed from them, in evaluation order (explain reads them). */
  get evaluationOrder(): readonly ClusterPolicy[] {
    return this.ordered;
  }

  /** The name class of a destination name, as the published image numbers them. */
  nameClasses(): NameClasses {
    return this.names;
  }

  /** What the tier part uses now, for the master's headroom. */
  used(): { tierEgressRows: number; tierEgressCols: number; tierIngressRows: number; tierIngressCols: number; nameClasses: number; tierDecisions: number } {
    const s = this.sides;
    return {
      tierEgressRows: s.egress.rows.length,
      tierEgressCols: s.egress.cols.length,
      tierIngressRows: s.ingress.rows.length,
      tierIngressCols: s.ingress.cols.length,
      nameClasses: this.names.count,
      tierDecisions: this.decisionIds.size,
    };
  }

  /** An identity's subjects and peers may have changed (its namespace's labels did). */
  identityChanged(identity: Identity): void {
    this.identityFacts.delete(identity);
    this.fieldCache.delete(identity);
  }

  /** A node's labels changed: the `nodes` peers its addresses match may too. */
  nodeChanged(name: string): void {
    this.nodeFacts.delete(name);
    this.fieldCache.clear();
  }

  /** Unused rows and columns pile up with churn: past twice what a recompute had (and 1024), recompute. */
  private get overgrown(): boolean {
    const s = this.sides;
    return s.egress.rows.length + s.egress.cols.length + s.ingress.rows.length + s.ingress.cols.length > this.classBound;
  }

  /** Before the entries are written at the end of a batch: recompute the tier part if it is stale. */
  commit(): void {
    if (this.stale || (this.active && this.overgrown)) this.recompute();
  }

  // ---- entries

  /** The tier fields (egress row, ingress row, egress column, ingress column) of a host address. */
  hostFields(h: Host): readonly number[] {
    if (!this.active) return ZERO;
    const nets = this.networks.peersContaining(h.ip.family, h.ip.value, h.ip.family === 4 ? 32 : 128);
    // Addresses of one identity on one node inside the same networks share their fields.
    let byPlace = this.fieldCache.get(h.identity);
    if (!byPlace) this.fieldCache.set(h.identity, (byPlace = new Map()));
    const place = nets.length === 0 ? (h.node ?? '') : `${h.node ?? ''}|${nets.join(',')}`;
    let out = byPlace.get(place);
    if (!out) byPlace.set(place, (out = this.computeHostFields(h, nets)));
    return out;
  }

  private computeHostFields(h: Host, nets: readonly number[]): number[] {
    const facts = h.identity && h.pod ? this.factsOf(h.identity, h.pod.pod) : undefined;
    const node = h.node === undefined ? undefined : this.nodePeersOf(h.node);
    const out = [0, 0, 0, 0];
    DIRECTIONS.forEach((d) => {
      const ids = [...(facts?.peers[d] ?? NONE), ...(node?.[d] ?? NONE), ...nets.filter((p) => this.peers[p]!.direction === d)].sort((a, b) => a - b);
      out[d === 'egress' ? 0 : 1] = facts ? this.row(d, facts.rows[d], h.identity!) : 0;
      out[d === 'egress' ? 2 : 3] = this.column(d, ids, h.identity);
    });
    return out;
  }

  /** The tier fields of a region (an ipBlock or networks prefix) or of the default entry (no prefix). */
  regionFields(cidr: CIDR | undefined): readonly number[] {
    if (!this.active) return ZERO;
    const nets = cidr ? this.networks.peersContaining(cidr.family, cidr.base, cidr.prefix) : NONE;
    return [
      0,
      0,
      this.column(
        'egress',
        nets.filter((p) => this.peers[p]!.direction === 'egress'),
        undefined,
      ),
      this.column(
        'ingress',
        nets.filter((p) => this.peers[p]!.direction === 'ingress'),
        undefined,
      ),
    ];
  }

  // ---- the recompute

  private recompute(): void {
    this.stale = false;
    this.epoch++;
    this.ordered = orderClusterPolicies([...this.policies.values()]);
    this.peers = [];
    this.rules = { ingress: [], egress: [] };
    this.sides = { ingress: emptySide(), egress: emptySide() };
    this.decisionIds.clear();
    this.ruleSets.clear();
    this.nodeFacts.clear();
    this.fieldCache.clear();
    let ruleId = 0;
    const networks: PeerInfo[] = [];
    const cidrs: CIDR[] = [];
    const names: { id: number; names: readonly string[] }[] = [];
    for (const d of DIRECTIONS) {
      this.rules[d] = this.ordered.map((p) =>
        p[d].map((rule) => {
          const peerIds = rule.peers.map((peer) => {
            const tp: TierPeer = { id: this.peers.length, direction: d, peer, action: rule.action };
            this.peers.push(tp);
            if (peer.kind === 'networks') {
              // An ipBlock without excepts, to IPBlockIndex: the same containment, one index.
              for (const cidr of peer.networks)
                networks.push({ id: tp.id, direction: d, peer: { kind: 'ipBlock', ipBlock: { cidr, except: [] } }, namespace: '' });
              cidrs.push(...peer.networks);
            } else if (peer.kind === 'domainNames') names.push({ id: tp.id, names: peer.domainNames });
            return tp.id;
          });
          const named = rule.ports.some((p) => p.kind === 'named');
          if (named) this.sides[d].named = true;
          for (const p of rule.ports) {
            if (p.kind !== 'range') continue;
            this.ports.cut(PROTOCOL_SLOTS[p.protocol], p.start);
            this.ports.cut(PROTOCOL_SLOTS[p.protocol], p.end + 1);
          }
          return { id: ruleId++, rule, peerIds, named };
        }),
      );
    }
    this.selectorPeers = this.peers.filter((p) => p.peer.kind === 'namespaces' || p.peer.kind === 'pods');
    this.nodePeers = this.peers.filter((p) => p.peer.kind === 'nodes');
    this.networks = new IPBlockIndex(networks);
    this.names = new NameClasses(names);
    if (this.names.count > LIMITS.nameClasses) throw new CapacityError('nameClasses', this.names.count);

    // The tier sections start over: zeros (row 0, decision 0: nothing) are valid and never read.
    const m = this.master;
    m.ensure({ nameClasses: this.names.count });
    for (const section of ['tierEgressMatrix', 'tierIngressMatrix', 'tierDecisions'] as const) {
      m.views[section].fill(0);
      m.touch(section, 0, m.views[section].length);
    }
    this.decision(0, 0, 0, 0); // id 0: all empty
    for (const d of DIRECTIONS) {
      const side = this.sides[d];
      side.rows.push({ policies: [], namedPorts: undefined, profileKey: '' });
      side.rowIds.set('', 0);
    }
    this.hooks.recomputed(cidrs);
    // Twice the classes of a fresh start before churn triggers another recompute: at most as
    // much garbage as use (the first entries written after this fill the sides).
    this.classBound = Infinity;
  }

  /** After the commit that followed a recompute: the bound for the next one. */
  settle(): void {
    if (this.classBound !== Infinity) return;
    const s = this.sides;
    this.classBound = 2 * (s.egress.rows.length + s.egress.cols.length + s.ingress.rows.length + s.ingress.cols.length) + 1024;
  }

  // ---- facts

  private factsOf(identity: Identity, pod: Pod): IdentityFacts {
    const known = this.identityFacts.get(identity);
    if (known && known.epoch === this.epoch) return known;
    const nsLabels = this.hooks.namespaceLabels(identity.namespace);
    const rows = { ingress: [] as number[], egress: [] as number[] };
    this.ordered.forEach((p, i) => {
      if (!subjectSelects(p.subject, pod, nsLabels)) return;
      for (const d of DIRECTIONS) if (p[d].length > 0) rows[d].push(i);
    });
    const peers = { ingress: [] as number[], egress: [] as number[] };
    const target = {
      address: { family: 4 as const, value: 0n },
      pod,
      namespaceLabels: this.hooks.namespaceLabels,
      node: undefined,
      nodeLabels: this.hooks.nodeLabels,
      dstName: undefined,
    };
    for (const p of this.selectorPeers) if (clusterPeerMatches(p.peer, p.action, target)) peers[p.direction].push(p.id);
    const facts: IdentityFacts = { epoch: this.epoch, rows, peers };
    this.identityFacts.set(identity, facts);
    return facts;
  }

  private nodePeersOf(node: string): Record<Direction, readonly number[]> {
    let known = this.nodeFacts.get(node);
    if (known) return known;
    const out = { ingress: [] as number[], egress: [] as number[] };
    const target = {
      address: { family: 4 as const, value: 0n },
      pod: undefined,
      namespaceLabels: this.hooks.namespaceLabels,
      node,
      nodeLabels: this.hooks.nodeLabels,
      dstName: undefined,
    };
    for (const p of this.nodePeers) if (clusterPeerMatches(p.peer, p.action, target)) out[p.direction].push(p.id);
    this.nodeFacts.set(node, (known = out));
    return known;
  }

  // ---- rows, columns, cells

  private row(d: Direction, policies: readonly number[], identity: Identity): number {
    if (policies.length === 0) return 0;
    const side = this.sides[d];
    const profileKey = d === 'ingress' && side.named ? identity.profileKey : '';
    const key = `${policies.join(',')}|${profileKey}`;
    let id = side.rowIds.get(key);
    if (id !== undefined) return id;
    id = side.rows.length;
    side.rows.push({ policies, profileKey, namedPorts: profileKey ? identity.namedPorts : undefined });
    side.rowIds.set(key, id);
    this.fit(d);
    for (let c = 0; c < side.cols.length; c++) this.writeCell(d, id, c);
    return id;
  }

  private column(d: Direction, peers: readonly number[], identity: Identity | undefined): number {
    const side = this.sides[d];
    const profileKey = d === 'egress' && side.named && identity ? identity.profileKey : '';
    const key = `${peers.join(',')}|${profileKey}`;
    let id = side.colIds.get(key);
    if (id !== undefined) return id;
    id = side.cols.length;
    side.cols.push({ peers: new Set(peers), profileKey, namedPorts: profileKey ? identity!.namedPorts : undefined });
    side.colIds.set(key, id);
    this.fit(d);
    for (let r = 1; r < side.rows.length; r++) this.writeCell(d, r, id);
    return id;
  }

  /** Room for the side's rows and columns (a relayout keeps what is written). */
  private fit(d: Direction): void {
    const side = this.sides[d];
    this.master.ensure(
      d === 'egress'
        ? { tierEgressRows: side.rows.length, tierEgressCols: side.cols.length }
        : { tierIngressRows: side.rows.length, tierIngressCols: side.cols.length },
    );
  }

  /** Writes cell (r, c): every name class for egress, the classes beyond the compiled ones as class 0. */
  private writeCell(d: Direction, r: number, c: number): void {
    // Decisions first: a new decision or port set may lay the image out again (new views, new strides).
    const m = this.master;
    if (d === 'ingress') {
      const k = this.cell(d, r, c, NONE);
      const at = r * m.caps.tierIngressCols + c;
      m.views.tierIngressMatrix[at] = k;
      m.touch('tierIngressMatrix', at, at + 1);
      return;
    }
    const ks = this.names.members.map((names) => this.cell(d, r, c, names));
    const n = m.caps.nameClasses;
    const at = (r * m.caps.tierEgressCols + c) * n;
    const cells = m.views.tierEgressMatrix;
    cells.set(ks, at);
    cells.fill(ks[0]!, at + ks.length, at + n);
    m.touch('tierEgressMatrix', at, at + n);
  }

  /**
   * The tier decision of a row against a column (and the domainNames peers a name class
   * matches): per tier, rules in order, each taking the port classes no earlier rule of the
   * tier took; Accept and Deny keep theirs, Pass drops them (the rest of the tier is skipped).
   */
  private cell(d: Direction, r: number, c: number, namePeers: readonly number[]): number {
    const side = this.sides[d];
    const row = side.rows[r]!;
    const col = side.cols[c]!;
    // Named ports resolve on the destination: the local pod for ingress, the remote for egress.
    const owner = d === 'ingress' ? row : col;
    const words = this.master.portSetWords;
    const sets = [new Uint32Array(words), new Uint32Array(words), new Uint32Array(words), new Uint32Array(words)] as const;
    let claimed = new Uint32Array(words);
    let tier: string | undefined;
    for (const pi of row.policies) {
      const policy = this.ordered[pi]!;
      if (policy.tier !== tier) {
        tier = policy.tier;
        claimed = new Uint32Array(words);
      }
      const base = policy.tier === 'Admin' ? 0 : 2;
      for (const tr of this.rules[d][pi]!) {
        if (!this.ruleMatchesPeer(tr, col.peers, namePeers)) continue;
        const bits = this.ports.bits(this.ruleSet(tr, owner));
        const into = tr.rule.action === 'Accept' ? sets[base] : tr.rule.action === 'Deny' ? sets[base + 1] : undefined;
        for (let w = 0; w < words; w++) {
          if (into) into[w]! |= bits[w]! & ~claimed[w]!;
          claimed[w]! |= bits[w]!;
        }
      }
    }
    const ids = sets.map((s) => this.ports.intern(s));
    return this.decision(ids[0]!, ids[1]!, ids[2]!, ids[3]!);
  }

  private ruleMatchesPeer(tr: TierRule, peers: ReadonlySet<number>, namePeers: readonly number[]): boolean {
    return tr.peerIds.some((id) => {
      const p = this.peers[id]!;
      // A peer netpol does not know (loaded leniently): nothing for Accept, everything otherwise.
      if (p.peer.kind === 'unknown') return p.action !== 'Accept';
      return p.peer.kind === 'domainNames' ? namePeers.includes(id) : peers.has(id);
    });
  }

  /** The port set of a rule's protocols, named ports resolved on `owner` (memoized per profile). */
  private ruleSet(tr: TierRule, owner: { readonly namedPorts: NamedPorts | undefined; readonly profileKey: string }): number {
    const key = tr.named ? `${tr.id}|${owner.profileKey}` : `${tr.id}`;
    let id = this.ruleSets.get(key);
    if (id !== undefined) return id;
    const ranges: PortRange[] = [];
    for (const p of tr.rule.ports) {
      if (p.kind === 'range') ranges.push([PROTOCOL_SLOTS[p.protocol], p.start, p.end]);
      else for (const proto of PROTOCOLS) for (const n of owner.namedPorts?.get(namedKey(p.name, proto)) ?? NONE) ranges.push([PROTOCOL_SLOTS[proto], n, n]);
    }
    // No protocols: all traffic (ICMP and every other protocol included, class 0 too).
    id = this.ports.rangeSet(tr.rule.ports.length === 0 ? 'all' : ranges);
    this.ruleSets.set(key, id);
    return id;
  }

  /** The id of a tier decision (four port-set ids), written into the image when new. */
  private decision(adminAccept: number, adminDeny: number, baselineAccept: number, baselineDeny: number): number {
    const key = `${adminAccept},${adminDeny},${baselineAccept},${baselineDeny}`;
    let id = this.decisionIds.get(key);
    if (id !== undefined) return id;
    id = this.decisionIds.size;
    if (id >= LIMITS.tierDecisions) throw new CapacityError('tierDecisions', id + 1);
    this.decisionIds.set(key, id);
    this.master.ensure({ tierDecisions: id + 1 });
    const at = id * TIER_DECISION_STRIDE;
    this.master.views.tierDecisions.set([adminAccept, adminDeny, baselineAccept, baselineDeny], at);
    this.master.touch('tierDecisions', at, at + TIER_DECISION_STRIDE);
    return id;
  }
}
