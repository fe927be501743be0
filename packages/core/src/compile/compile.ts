/**
 * model → image. The steps, each computed once:
 *   identities (selectors evaluated per identity) → address regions (LPM entries) →
 *   per direction: local classes (who is isolated by what) × peer classes (what a remote
 *   address matches) → port sets over port classes → one flat image. The cluster-scoped
 *   tiers add their own rows and columns per entry and their matrices (tiers.ts).
 */
import { ClusterIndex, isTerminal } from '../model/cluster-index.js';
import { templatePods } from '../model/endpoints.js';
import type { Cluster, ClusterPolicy, Direction, Pod } from '../model/types.js';
import { orderClusterPolicies } from '../model/cluster-match.js';
import { EVALUATION_OPTIONS, resolveOptions, type EvaluationOptions } from '../model/options.js';
import { checkOptions, type OptionSpec } from '../model/check-options.js';
import { hostEntry, hostAddresses, IPBlockIndex, type HostAddress } from './address-space.js';
import { classKeyText, entryClassKeys } from './entry-classes.js';
import { buildIdentities, policyTables, resolvePort, type Identity, type PolicyTables } from './identities.js';
import { buildHosts6, ENTRY_STRIDE, FIELD, FIELD_COUNT, imageFlags, TIER_DECISION_STRIDE, writeEntry, writeImage } from './layout.js';
import { TierClassifier, type TierEntryFacts } from './tiers.js';
import type { NameClasses, NamePeer } from './name-classes.js';
import { buildLPM, type Prefix } from './lpm.js';
import { NodeIds } from './node-ids.js';
import type { NamedPorts } from './pod-identity.js';
import { buildPortClasses, namedPortCuts, PortSetBuilder, PROTOCOL_SLOTS, rulePortCuts, type PortClasses } from './ports.js';
import { PortSetTable } from './matrix.js';
import { buildFactoredMatrix, type FactoredMatrix } from './factored-matrix.js';
import { Interner } from './interner.js';
import { addressWords, type Family, type IPAddress } from '../ip/address.js';
import type { CIDR } from '../ip/cidr.js';

export interface CompileOptions extends EvaluationOptions {
  /** Put the image in a SharedArrayBuffer (for worker threads). */
  readonly shared?: boolean;
}

/** CompileOptions' keys and types, checked by compile() (model/check-options.ts). */
export const COMPILE_OPTIONS: OptionSpec<CompileOptions> = { ...EVALUATION_OPTIONS, shared: 'boolean' };

/** What explain needs to say why, kept beside the image (never read on the hot path). */
export interface Provenance {
  readonly index: ClusterIndex;
  readonly tables: PolicyTables;
  readonly identities: readonly Identity[];
  /** Per entry: the pod owning the address (if any), its identity, the ipBlock peers containing it. */
  readonly entries: readonly { readonly pod: Pod | undefined; readonly identity: Identity | undefined; readonly ipPeers: readonly number[] }[];
  readonly portClasses: PortClasses;
  /** The cluster-scoped tiers: what explain re-derives their decisions from. */
  readonly tiers: TierProvenance;
  /**
   * The entry of each pod without an address (addresslessPods): appended after every other
   * entry, reached by no trie slot, only by the pod (verdictBetween, ImageConnections).
   */
  readonly podEntries: ReadonlyMap<Pod, number>;
  /** The entry of an end that is neither an address nor a pod taking part (no pod, no node, no prefix). */
  readonly defaultEntry: number;
}

/**
 * The pods of `cluster` that have no address and take part in policy: workloads' template pods
 * (templatePods) and pods of `cluster.pods` without an IP, neither hostNetwork nor Succeeded or
 * Failed. compile() gives each an entry of its own.
 */
export function addresslessPods(cluster: Cluster): Pod[] {
  const takesPart = (p: Pod): boolean => !p.hostNetwork && !isTerminal(p);
  return [...templatePods(cluster).filter(takesPart), ...cluster.pods.filter((p) => p.ips.length === 0 && takesPart(p))];
}

/** compile()'s provenance of the tiers. */
export interface TierProvenance {
  /** The cluster-scoped policies in evaluation order (orderClusterPolicies): TierEntryFacts index into it. */
  readonly policies: readonly ClusterPolicy[];
  /** Per entry (the same ids as Provenance.entries). */
  readonly entries: readonly TierEntryFacts[];
  /** The name class of a destination name (FlowBatch.nameClass; 0: no name, or no domainNames peer matches it). */
  nameClass(name: string): number;
  /** The domainNames peers the name classes are numbered from (`new NameClasses(namePeers)` gives the same classes). */
  readonly namePeers: readonly NamePeer[];
}

/** compile()'s result: the image (what kernels, workers and ImageDataplane read) and what explain needs. */
export interface CompileResult {
  readonly image: ArrayBuffer | SharedArrayBuffer;
  /** @internal What the compiled dataplane's explain reads; its shape follows the compiler. */
  readonly provenance: Provenance;
}

/** The tier classes of every entry when no cluster-scoped policy exists. */
const NO_TIER: readonly number[] = [0, 0, 0, 0];

/** What an entry is made for: a host address (HostAddress), or a pod without one (`ip` undefined). */
type Site = Omit<HostAddress, 'ip'> & { readonly ip: IPAddress | undefined };

interface PeerClass {
  readonly peers: ReadonlySet<number>;
  readonly namedPorts?: NamedPorts;
  readonly profileKey: string;
}

interface LocalClass {
  readonly policies: readonly number[];
  readonly namedPorts?: NamedPorts;
  readonly profileKey: string;
}

function portCuts(tables: PolicyTables, identities: readonly Identity[], tiers: TierClassifier): Set<number>[] {
  const cuts = [new Set<number>(), new Set<number>(), new Set<number>()];
  const cut = (slot: number, port: number): void => void cuts[slot]!.add(port);
  for (const r of tables.rules) rulePortCuts(r.rule, cut);
  tiers.portCuts(cut);
  for (const identity of identities) namedPortCuts(identity.namedPorts, cut);
  return cuts;
}

/**
 * The tiers' provenance. Made outside compile(): a closure made inside would keep compile()'s
 * whole scope (every intermediate table) alive as long as the dataplane.
 */
const tierProvenance = (policies: readonly ClusterPolicy[], entries: readonly TierEntryFacts[], names: NameClasses): TierProvenance => ({
  policies,
  entries,
  nameClass: (name) => names.classOf(name),
  namePeers: names.peers,
});

/**
 * Compiles a cluster into an image: one ArrayBuffer (a SharedArrayBuffer with `shared`) laid out
 * as compile/IMAGE.md says, that a Kernel, an ImageDataplane or a VerdictPool worker answers
 * verdicts from. Most callers want `new CompiledDataplane(cluster)`, which calls this.
 * Throws a TypeError for an unknown option and a CapacityError when the cluster needs more of a
 * table than the image can address (LIMITS).
 */
export function compile(cluster: Cluster, options: CompileOptions = {}): CompileResult {
  checkOptions('compile options', options, COMPILE_OPTIONS);
  const opts = resolveOptions(options);
  const index = new ClusterIndex(cluster);
  const tables = policyTables(cluster.policies);
  const tiers = new TierClassifier(index, orderClusterPolicies(cluster.clusterPolicies ?? []), opts);
  // Named ports of cluster rules split identities too (their numbers are port-class cuts).
  const identityTables = tiers.active ? { ...tables, namedPortKeys: new Set([...tables.namedPortKeys, ...tiers.namedPortKeys()]) } : tables;
  const addressless = addresslessPods(cluster);
  const { identities, identityOf } = buildIdentities(index, identityTables, opts, addressless);
  const peerDirection = tables.peers.map((p) => p.direction);

  // Pods, nodes and the host addresses they own.
  const nodeIds = new NodeIds();
  const podSlots = new Map<Pod, number>();
  const hosts = hostAddresses();
  for (const { ip, pod } of index.podAddresses()) {
    if (!podSlots.has(pod)) podSlots.set(pod, podSlots.size + 1);
    const h = hostEntry(hosts, ip);
    h.podSlot = podSlots.get(pod)!;
    h.identity = identityOf.get(pod)!;
    h.podNode = nodeIds.id(pod.nodeName);
  }
  for (const { ip, node } of index.nodeAddresses()) hostEntry(hosts, ip).addrNode = nodeIds.id(node);
  const podOfSlot: Pod[] = [];
  for (const [pod, slot] of podSlots) podOfSlot[slot] = pod;

  const ipIndex = new IPBlockIndex(tables.peers);
  const classes = {
    egressPeer: new Interner<PeerClass>(),
    ingressPeer: new Interner<PeerClass>(),
    egressLocal: new Interner<LocalClass>(),
    ingressLocal: new Interner<LocalClass>(),
  };
  classes.egressLocal.intern('', () => ({ policies: [], profileKey: '' })); // local class 0: not isolated
  classes.ingressLocal.intern('', () => ({ policies: [], profileKey: '' }));
  const entries = new Interner<Provenance['entries'][number]>();
  const tierEntries: TierEntryFacts[] = [];
  /** Entries of one identity on no node share their facts. */
  const factsMemo = new Map<number, TierEntryFacts>();
  /** Per entry its FIELD_COUNT fields (FIELD order), grown by doubling: a typed array, not a number per element on the heap. */
  let entryFields = new Uint32Array(FIELD_COUNT * 1024);

  /** Classes depend only on (identity, ipBlock peers): most pods share them with their replicas. */
  const classMemo = new Map<number | string, number[]>();
  const NO_FACTS: TierEntryFacts = { subjectOf: { egress: [], ingress: [] }, node: undefined };
  const tierFacts = (pod: Pod | undefined, identity: Identity | undefined, node: string | undefined): TierEntryFacts => {
    if (!pod || !identity) return node === undefined ? NO_FACTS : { ...NO_FACTS, node };
    let facts = factsMemo.get(identity.id);
    if (!facts) factsMemo.set(identity.id, (facts = { subjectOf: tiers.subjectOf(identity.id, pod), node: undefined }));
    return node === undefined ? facts : { ...facts, node };
  };
  /**
   * Classifies one region (a host address, an ipBlock or networks prefix, none: the default) or
   * a pod without an address (a site whose `ip` is undefined) into an entry id.
   */
  const entryFor = (host: Site | undefined, ipPeers: readonly number[], region?: CIDR): number => {
    const identity = host && host.identity >= 0 ? identities[host.identity] : undefined;
    const memoKey = ipPeers.length === 0 ? (identity?.id ?? -1) : `${identity?.id ?? -1}|${ipPeers.join(',')}`;
    let memo = classMemo.get(memoKey);
    if (!memo) classMemo.set(memoKey, (memo = classify(identity, ipPeers)));
    const pod = host?.podSlot ? podOfSlot[host.podSlot] : undefined;
    const node = host?.ip && host.addrNode ? index.nodeByIP(host.ip) : undefined;
    const tier = tiers.active
      ? tiers.classify({
          pod,
          identity: identity?.id ?? -1,
          address: host ? host.ip : region && { family: region.family, value: region.base },
          prefix: host?.ip ? (host.ip.family === 4 ? 32 : 128) : (region?.prefix ?? 0),
          node,
        })
      : NO_TIER;
    const podSlot = host?.podSlot ?? 0;
    const podNode = host?.podNode ?? 0;
    const addrNode = host?.addrNode ?? 0;
    const make = (): Provenance['entries'][number] => {
      const o = entries.values.length * FIELD_COUNT; // the id append or intern gives this entry
      if (o + FIELD_COUNT > entryFields.length) {
        const grown = new Uint32Array(entryFields.length * 2);
        grown.set(entryFields);
        entryFields = grown;
      }
      // FIELD order: podSlot, podNode, addrNode, the four classes, the four tier classes; groups below.
      entryFields[o + FIELD.podSlot] = podSlot;
      entryFields[o + FIELD.podNode] = podNode;
      entryFields[o + FIELD.addrNode] = addrNode;
      entryFields.set(memo, o + FIELD.egressRow);
      entryFields.set(tier, o + FIELD.tierEgressRow);
      tierEntries.push(tierFacts(pod, identity, node));
      return { pod, identity, ipPeers };
    };
    // A pod's addresses never share an entry with another pod's (podSlot differs): no lookup.
    return podSlot ? entries.append(make) : entries.intern(`${podSlot},${podNode},${addrNode},${memo.join(',')},${tier.join(',')}`, make);
  };
  /** [egress local, ingress local, egress peer, ingress peer] classes, interned in that order. */
  function classify(identity: Identity | undefined, ipPeers: readonly number[]): number[] {
    const keys = entryClassKeys(identity, ipPeers, (p) => peerDirection[p]!);
    const localClass = (d: Direction): number => {
      const { ids: policies, namedPorts, profileKey } = keys.local[d];
      if (policies.length === 0) return 0;
      return classes[`${d}Local`].intern(classKeyText(policies, profileKey), () => ({ policies, profileKey, ...(namedPorts && { namedPorts }) }));
    };
    const peerClass = (d: Direction): number => {
      const { ids, namedPorts, profileKey } = keys.peer[d];
      return classes[`${d}Peer`].intern(classKeyText(ids, profileKey), () => ({ peers: new Set(ids), profileKey, ...(namedPorts && { namedPorts }) }));
    };
    return [localClass('egress'), localClass('ingress'), peerClass('egress'), peerClass('ingress')];
  }

  const prefixes: Record<Family, Prefix[]> = { 4: [], 6: [] };
  const hosts6: { words: number[]; entry: number }[] = [];
  const defaultEntry = entryFor(undefined, []);
  for (const f of [4, 6] as const) {
    // ipBlock and networks prefixes: every address inside either gets its own entry.
    const seen = new Set<string>();
    for (const c of [...ipIndex.prefixes[f], ...tiers.networks.prefixes[f]]) {
      const key = `${c.base}/${c.prefix}`;
      if (seen.has(key)) continue;
      seen.add(key);
      prefixes[f].push({ value: c.base, length: c.prefix, entry: entryFor(undefined, ipIndex.peersContaining(f, c.base, c.prefix), c) });
    }
  }
  for (const h of hosts.values()) {
    const f = h.ip.family;
    const bits = f === 4 ? 32 : 128;
    // Cilium mode: ipBlock never matches pod or node IPs.
    const ipPeers = opts.ipBlockMatchesPods || (h.podSlot === 0 && h.addrNode === 0) ? ipIndex.peersContaining(f, h.ip.value, bits) : [];
    const entry = entryFor(h, ipPeers);
    // IPv6 host addresses go to the exact-match table: a /128 in the trie is a 15-level walk.
    if (f === 6) hosts6.push({ words: addressWords(h.ip.value, 6), entry });
    else prefixes[f].push({ value: h.ip.value, length: bits, entry });
  }
  // Pods without an address, after every other entry (an image without them is unchanged): no
  // node, no ipBlock or networks peer, a pod slot of their own (self traffic).
  const podEntries = new Map<Pod, number>();
  for (const pod of addressless) {
    const podSlot = Math.max(1, podOfSlot.length); // slot 0: no pod
    podOfSlot[podSlot] = pod;
    podEntries.set(pod, entryFor({ ip: undefined, podSlot, identity: identityOf.get(pod)!, podNode: 0, addrNode: 0 }, []));
  }

  // Port classes and the port set each rule admits for an owner's named ports.
  const portClasses = buildPortClasses(portCuts(tables, identities, tiers));
  const portSets = new PortSetTable(portClasses.words);
  const ruleSetMemo = new Map<number, number>();
  const profileIds = new Map<string, number>();
  /** The port set a rule admits when named ports resolve on `owner` (profile `ownerKey`). */
  const ruleSet = (ruleId: number, owner: NamedPorts | undefined, ownerKey: string): number => {
    let profile = profileIds.get(ownerKey);
    if (profile === undefined) profileIds.set(ownerKey, (profile = profileIds.size));
    const memoKey = ruleId * 65536 + profile;
    let id = ruleSetMemo.get(memoKey);
    if (id !== undefined) return id;
    const b = new PortSetBuilder(portClasses);
    const rule = tables.rules[ruleId]!.rule;
    if (rule.ports.length === 0) b.setAll();
    for (const p of rule.ports) {
      const slot = PROTOCOL_SLOTS[p.protocol];
      const r = resolvePort(p, owner);
      if ('all' in r) b.setRange(slot, 0, 65535);
      else for (const [lo, hi] of r.ranges) b.setRange(slot, lo, hi);
    }
    ruleSetMemo.set(memoKey, (id = portSets.intern(b.bits)));
    return id;
  };

  const matrixFor = (d: Direction): FactoredMatrix =>
    buildFactoredMatrix(d, tables, classes[`${d}Local`].values, classes[`${d}Peer`].values, ruleSet, portSets);
  const egress = matrixFor('egress');
  const ingress = matrixFor('ingress');
  const tierTables = tiers.build(portClasses, portSets);

  // Entries point at stored rows and columns: same row or column, same behaviour.
  const wide = entryFields;
  const entryData = new Uint32Array(entries.values.length * ENTRY_STRIDE);
  for (let e = 0; e < entries.values.length; e++) {
    const o = e * FIELD_COUNT;
    const egressLocal = wide[o + FIELD.egressRow]!;
    const ingressLocal = wide[o + FIELD.ingressRow]!;
    wide[o + FIELD.egressRow] = egress.rowOf[egressLocal]!;
    wide[o + FIELD.egressGroup] = egress.groupOf[egressLocal]!;
    wide[o + FIELD.ingressRow] = ingress.rowOf[ingressLocal]!;
    wide[o + FIELD.ingressGroup] = ingress.groupOf[ingressLocal]!;
    wide[o + FIELD.egressCol] = egress.colOf[wide[o + FIELD.egressCol]!]!;
    wide[o + FIELD.ingressCol] = ingress.colOf[wide[o + FIELD.ingressCol]!]!;
    wide[o + FIELD.tierEgressRow] = tierTables.egress.rowOf[wide[o + FIELD.tierEgressRow]!]!;
    wide[o + FIELD.tierIngressRow] = tierTables.ingress.rowOf[wide[o + FIELD.tierIngressRow]!]!;
    wide[o + FIELD.tierEgressCol] = tierTables.egress.colOf[wide[o + FIELD.tierEgressCol]!]!;
    wide[o + FIELD.tierIngressCol] = tierTables.ingress.colOf[wide[o + FIELD.tierIngressCol]!]!;
    writeEntry(entryData, e, wide, o);
  }

  const flags = imageFlags(opts);
  const hostTable = buildHosts6(hosts6);
  const image = writeImage(
    {
      flags,
      entryCount: entries.values.length,
      portClassCount: portClasses.count,
      portSetWords: portClasses.words,
      portSetCount: portSets.sets.length,
      hosts6Slots: hostTable.slots,
      egressPeerCount: egress.cols,
      egressRowCount: egress.rows,
      egressGroupCount: egress.groups,
      ingressPeerCount: ingress.cols,
      ingressRowCount: ingress.rows,
      ingressGroupCount: ingress.groups,
      tierEgressColCount: tierTables.egress.cols,
      tierEgressRowCount: tierTables.egress.rows,
      tierIngressColCount: tierTables.ingress.cols,
      tierIngressRowCount: tierTables.ingress.rows,
      tierDecisionCount: tierTables.decisions.length / TIER_DECISION_STRIDE,
      nameClassCount: tierTables.nameClassCount,
    },
    {
      lpm4: buildLPM(4, prefixes[4], defaultEntry),
      lpm6: buildLPM(6, prefixes[6], defaultEntry),
      entries: entryData,
      portMap: portClasses.map,
      portSets: portSets.data(),
      egressMatrix: egress.cells,
      ingressMatrix: ingress.cells,
      hosts6: hostTable.table,
      tierEgressMatrix: tierTables.egress.cells,
      tierIngressMatrix: tierTables.ingress.cells,
      tierDecisions: tierTables.decisions,
    },
    options.shared === true,
  );
  return {
    image,
    provenance: {
      index,
      tables,
      identities,
      entries: entries.values,
      portClasses,
      tiers: tierProvenance(tiers.policies, tierEntries, tiers.names),
      podEntries,
      defaultEntry,
    },
  };
}
