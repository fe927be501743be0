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
 * - Cluster-scoped policies (ClusterNetworkPolicy, AdminNetworkPolicy, the
 *   BaselineAdminNetworkPolicy): the tier part (tiers.ts) is recomputed at the commit, every
 *   entry's tier fields with it; the NetworkPolicy part stays. Pods, namespace labels and node
 *   labels change the tier fields of the entries they touch only.
 *
 * Rows and columns of classes nobody uses any more stay behind as garbage; `garbage()` says
 * how much, and the owner rebuilds from scratch when it dominates.
 *
 * This class keeps the objects and routes each change; the parts it drives: rule-index.ts
 * (rule and peer ids), identity-index.ts (identities and what they match), owners.ts (who
 * owns an address), address-table.ts (entries, trie leaves, IPv6 host slots), entry-writer.ts
 * (what an entry says), classes.ts (rows and columns), ports.ts (port classes and sets),
 * tiers.ts (the cluster-scoped tiers).
 */
import { ipKey, type IPAddress } from '../../ip/address.js';
import { resolveOptions, type EvaluationOptions, type ResolvedOptions } from '../../model/options.js';
import type { Cluster, ClusterPolicy, Direction, Labels, Namespace, NetworkPolicy, Node, Pod, PolicyProtocol } from '../../model/types.js';
import type { NameClasses } from '../name-classes.js';
import { ENTRY_STRIDE, imageFlags } from '../layout.js';
import { addTo, deleteFrom } from '../multimap.js';
import { PROTOCOL_SLOTS } from '../ports.js';
import type { PeerInfo, RuleInfo } from '../rule-table.js';
import { AddressTable, type EntryProvenance } from './address-table.js';
import { DirectionClasses } from './classes.js';
import { compactSteps, type ClassUse } from './compact.js';
import { finishSteps } from '../matrix.js';
import { IdentityIndex } from './identity-index.js';
import { MasterImage } from './master.js';
import { AddressOwners } from './owners.js';
import { LivePorts } from './ports.js';
import { RuleIndex } from './rule-index.js';
import type { Host, Identity, PodState, PolicyState } from './state.js';
import { LiveTiers } from './tiers.js';

export type { EntryProvenance } from './address-table.js';

const podKey = (namespace: string, name: string): string => `${namespace}/${name}`;

export class LiveCompiler {
  readonly options: ResolvedOptions;
  readonly master: MasterImage;
  private readonly ports: LivePorts;
  private readonly classes: Record<Direction, DirectionClasses>;
  private readonly rules = new RuleIndex();
  private readonly identities: IdentityIndex;
  private readonly addresses: AddressTable;
  private readonly owners = new AddressOwners();
  private readonly tiers: LiveTiers;

  // The objects, in the order a fresh load would list them.
  private readonly namespaces = new Map<string, Namespace>();
  private readonly nodes = new Map<string, Node>();
  private readonly pods = new Map<string, PodState>();
  private readonly policies = new Map<string, PolicyState>();
  private readonly policiesByNs = new Map<string, Set<PolicyState>>();
  private nextPodSlot = 1;
  private nextPolicyId = 0;
  private readonly cut = (slot: number, port: number): void => this.ports.cut(slot, port);

  constructor(cluster: Cluster, options: EvaluationOptions = {}) {
    this.options = resolveOptions(options);
    this.master = new MasterImage(imageFlags(this.options));
    this.ports = new LivePorts(this.master);
    this.classes = {
      egress: new DirectionClasses('egress', this.master, this.ports, this.rules),
      ingress: new DirectionClasses('ingress', this.master, this.ports, this.rules),
    };
    this.tiers = new LiveTiers(this.master, this.ports, {
      namespaceLabels: (name) => this.namespaceLabels(name),
      nodeLabels: (name) => this.nodeLabels(name),
      recomputed: (networks) => {
        this.addresses.networksAdded(networks);
        this.addresses.markAllStale();
      },
    });
    this.addresses = new AddressTable(this.master, this.options, this.classes, this.rules.peers, this.tiers);
    this.identities = new IdentityIndex(this.options, {
      namespaceLabels: (name) => this.namespaceLabels(name),
      policiesIn: (namespace) => this.policiesByNs.get(namespace) ?? [],
      cut: this.cut,
      changed: (identity) => this.addresses.identityChanged(identity),
    });
    for (const ns of cluster.namespaces) this.setNamespace(ns);
    for (const node of cluster.nodes) this.setNode(node);
    for (const p of cluster.policies) this.setPolicy(p);
    for (const p of cluster.clusterPolicies ?? []) this.setClusterPolicy(p);
    for (const pod of cluster.pods) this.setPod(pod);
    this.commit();
    const c = this.classes;
    // (The tries' use is the master's own to read.)
    this.master.reserveHeadroom({
      entries: this.addresses.entryCount,
      portClasses: this.ports.count,
      portSets: this.ports.setCount,
      egressRows: c.egress.locals.length,
      egressCols: c.egress.peerClasses.length,
      ingressRows: c.ingress.locals.length,
      ingressCols: c.ingress.peerClasses.length,
      hosts6Slots: this.master.caps.hosts6Slots,
      ...this.tiers.used(),
    });
    this.addresses.rewriteHosts6(); // at its new size
    this.commit();
  }

  /** The objects now compiled, in load order (for the reference evaluator and fresh compiles). */
  cluster(): Cluster {
    const pods = [...this.pods.values()].map((p) => p.pod);
    const policies = [...this.policies.values()].map((p) => p.policy);
    // Namespaces used but not given appear with only their name label, as loading does.
    const implicit = [...new Set([...pods, ...policies].map((o) => o.namespace))].filter((n) => !this.namespaces.has(n)).sort();
    const clusterPolicies = this.tiers.list();
    return {
      namespaces: [...this.namespaces.values(), ...implicit.map((name) => ({ name, labels: this.namespaceLabels(name) }))],
      pods,
      nodes: [...this.nodes.values()],
      policies,
      ...(clusterPolicies.length > 0 && { clusterPolicies }),
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

  /**
   * The port classes in use and where classes already start: what a batch's new ports would
   * add is counted against the limit before any change is made (a split is not undone).
   */
  portClasses(): { readonly count: number; isCut(protocol: PolicyProtocol, port: number): boolean } {
    const ports = this.ports;
    return { count: ports.count, isCut: (protocol, port) => ports.isCut(PROTOCOL_SLOTS[protocol], port) };
  }

  // ---- provenance: what explain needs to say why, read after a commit (never on the hot path)

  /**
   * What an entry of the image stands for: the pod owning the address (if any), its identity
   * (namedPorts, selectorPeers, isolatedBy: policy ids) and the ipBlock peer ids containing it.
   * Undefined for an entry no address or prefix uses. A cell's row and column are the classes
   * of the entries' identities; the rules behind them are `rulesOf`, `rule` and `peer` below.
   * selectorPeers may hold peers only deleted policies named (ids are never reused): no rule
   * of a policy still there names them, so they allow nothing.
   */
  entryProvenance(entry: number): EntryProvenance | undefined {
    return this.addresses.provenance(entry);
  }
  /** The policy a policy id (Identity.isolatedBy, RuleInfo.policy) stands for. */
  policy(id: number): NetworkPolicy {
    return this.rules.policy(id);
  }
  /** Rule ids of a policy id in a direction (empty when the direction is not affected). */
  rulesOf(policy: number, direction: Direction): readonly number[] {
    return this.rules.rulesOf(policy, direction);
  }
  rule(id: number): RuleInfo {
    return this.rules.rule(id);
  }
  peer(id: number): PeerInfo {
    return this.rules.peers[id]!;
  }
  /** The node an address belongs to (node IPs first, then hostNetwork pods'), as ClusterIndex.nodeByIP. */
  nodeOf(ip: IPAddress): string | undefined {
    return this.owners.nodeOf(ipKey(ip));
  }
  /** A node's labels (none for a node not given). */
  nodeLabels(name: string): Labels {
    return this.nodes.get(name)?.labels ?? {};
  }
  /** The cluster-scoped policies the image was computed from, in evaluation order. */
  get clusterPolicies(): readonly ClusterPolicy[] {
    return this.tiers.evaluationOrder;
  }
  /** Destination names to the image's name classes (replaced, never changed, when the policies change). */
  nameClasses(): NameClasses {
    return this.tiers.nameClasses();
  }

  // ---- namespaces

  setNamespace(ns: Namespace): void {
    this.namespaces.set(ns.name, ns);
    this.namespaceChanged(ns.name);
  }

  deleteNamespace(name: string): void {
    if (this.namespaces.delete(name)) this.namespaceChanged(name);
  }

  /** Namespace selectors of peers and of cluster-scoped subjects may pick its identities differently now. */
  private namespaceChanged(name: string): void {
    this.identities.namespaceChanged(name);
    if (!this.tiers.active) return;
    for (const identity of this.identities.identitiesIn(name)) {
      this.tiers.identityChanged(identity);
      for (const h of identity.hosts) this.addresses.markStale(h);
    }
  }

  /** A namespace's labels; only its name label when it was never given, as loading does. */
  namespaceLabels(name: string): Labels {
    return this.namespaces.get(name)?.labels ?? { 'kubernetes.io/metadata.name': name };
  }

  // ---- nodes

  setNode(node: Node): void {
    this.nodes.set(node.name, node);
    this.nodesChanged();
    this.nodeLabelsChanged(node.name);
  }

  deleteNode(name: string): void {
    if (!this.nodes.delete(name)) return;
    this.nodesChanged();
    // Addresses still attributed to it (a hostNetwork pod's, naming the node) lose its labels.
    this.nodeLabelsChanged(name);
  }

  /** The node's labels changed or went: the `nodes` peers its addresses match. */
  private nodeLabelsChanged(name: string): void {
    this.tiers.nodeChanged(name);
    if (this.tiers.active) this.addresses.nodeChanged(name);
  }

  private nodesChanged(): void {
    for (const [k, ip] of this.owners.setNodes(this.nodes.values(), this.pods.values())) this.refreshHost(k, ip);
  }

  // ---- pods

  setPod(pod: Pod): void {
    const key = podKey(pod.namespace, pod.name);
    const old = this.pods.get(key);
    const before = old?.pod;
    const state: PodState = old ?? { key, pod, slot: this.nextPodSlot++ };
    if (old) this.owners.unclaim(old);
    state.pod = pod;
    if (!old) this.pods.set(key, state);
    this.owners.claim(state);
    // Same addresses with new labels: same hosts, new classes. (An address listed twice is
    // refreshed twice, to the same result: no map of addresses per pod.)
    if (before) for (const ip of before.ips) this.refreshHost(ipKey(ip), ip);
    for (const ip of pod.ips) this.refreshHost(ipKey(ip), ip);
    if (pod.hostNetwork || before?.hostNetwork) this.nodesChanged();
  }

  deletePod(namespace: string, name: string): void {
    const state = this.pods.get(podKey(namespace, name));
    if (!state) return;
    this.owners.unclaim(state);
    this.pods.delete(state.key);
    for (const ip of state.pod.ips) this.refreshHost(ipKey(ip), ip);
    if (state.pod.hostNetwork) this.nodesChanged();
  }

  /** The address changed owner, node or identity: create, update or remove its host. */
  private refreshHost(k: number | string, ip: IPAddress): void {
    const pod = this.owners.owner(k);
    const node = this.owners.nodeOf(k);
    let h = this.addresses.hostAt(k);
    if (!pod && !node) {
      if (h) {
        if (h.identity) this.leave(h.identity, h);
        this.addresses.removeHost(h);
      }
      return;
    }
    h ??= this.addresses.addHost(k, ip);
    h.pod = pod;
    h.node = node;
    const identity = pod ? this.identities.identityOf(pod.pod) : undefined;
    if (identity !== h.identity) {
      if (h.identity) this.leave(h.identity, h);
      h.identity = identity;
      identity?.hosts.add(h);
    }
    this.addresses.markStale(h);
  }

  private leave(identity: Identity, h: Host): void {
    identity.hosts.delete(h);
    if (identity.hosts.size > 0) return;
    this.identities.drop(identity);
    this.tiers.identityChanged(identity); // its cached tier fields go with it
  }

  // ---- policies

  setPolicy(policy: NetworkPolicy): void {
    const key = podKey(policy.namespace, policy.name);
    if (this.policies.has(key)) this.removePolicy(key, false);
    const id = this.nextPolicyId++;
    const { rules, fresh } = this.rules.add(policy, id, this.cut);
    const state: PolicyState = { id, policy, rules };
    // Keep the map's order a fresh load would have: a replaced policy keeps its place.
    this.policies.set(key, state);
    addTo(this.policiesByNs, policy.namespace, state);
    for (const info of fresh) if (info.peer.kind === 'selector') this.identities.selectorPeerAdded(info);
    this.addresses.ipBlocksAdded(fresh);
    this.identities.policyAdded(state);
  }

  deletePolicy(namespace: string, name: string): void {
    this.removePolicy(podKey(namespace, name), true);
  }

  private removePolicy(key: string, forget: boolean): void {
    const state = this.policies.get(key);
    if (!state) return;
    if (forget) this.policies.delete(key);
    deleteFrom(this.policiesByNs, state.policy.namespace, state);
    this.identities.policyRemoved(state);
  }

  // ---- cluster-scoped policies

  setClusterPolicy(policy: ClusterPolicy): void {
    this.tiers.setPolicy(policy);
  }

  /** `key`: clusterPolicyKey (`cnp/name`, `anp/name`, `banp/default`). */
  deleteClusterPolicy(key: string): void {
    this.tiers.deletePolicy(key);
  }

  /**
   * The committed image compacted (compact.ts): the same verdicts from merged rows and columns,
   * without unused classes or room to grow. A new buffer, never patched.
   */
  compactImage(shared: boolean): ArrayBuffer | SharedArrayBuffer {
    return finishSteps(this.compactSteps(shared));
  }

  /** compactImage as steps (compact.ts): valid only while nothing changes until the last one. */
  compactSteps(shared: boolean): Generator<void, ArrayBuffer | SharedArrayBuffer> {
    const use = (c: DirectionClasses): ClassUse => ({
      rows: c.locals.length,
      cols: c.peerClasses.length,
      rowUsed: (r) => r === 0 || c.locals[r]!.refs > 0,
      colUsed: (k) => c.peerClasses[k]!.refs > 0,
    });
    return compactSteps(this.master, this.addresses.entryCount, { egress: use(this.classes.egress), ingress: use(this.classes.ingress) }, shared);
  }

  /**
   * The master image's bytes, and how many of them are room to grow and classes nobody uses:
   * the entries, trie nodes, matrix rows and columns beyond those in use (what compaction
   * drops before it merges anything). Counted per call, from the class lists (thousands).
   */
  waste(): { bytes: number; wasted: number } {
    const m = this.master;
    const caps = m.caps;
    let wasted = 4 * (caps.lpm4 - m.trie4.used + caps.lpm6 - m.trie6.used + (caps.entries - this.addresses.entryCount) * ENTRY_STRIDE);
    for (const [c, rows, cols] of [
      [this.classes.egress, caps.egressRows, caps.egressCols],
      [this.classes.ingress, caps.ingressRows, caps.ingressCols],
    ] as const) {
      let usedRows = 1; // row 0, not isolated
      for (let r = 1; r < c.locals.length; r++) if (c.locals[r]!.refs > 0) usedRows++;
      let usedCols = 0;
      for (const k of c.peerClasses) if (k.refs > 0) usedCols++;
      // Uint16 cells; the group map (one entry per column) goes with the columns.
      wasted += 2 * ((rows + 1) * cols - (usedRows + 1) * usedCols);
    }
    return { bytes: m.buffer.byteLength, wasted };
  }

  /** Finishes a batch: the tier part if a cluster-scoped policy changed, then what changed is classified and the IPv6 host table rewritten if needed. */
  commit(): void {
    this.tiers.commit();
    this.addresses.commit();
    this.tiers.settle();
  }
}
