/**
 * model → image. The steps, each computed once:
 *   identities (selectors evaluated per identity) → address regions (LPM entries) →
 *   per direction: local classes (who is isolated by what) × peer classes (what a remote
 *   address matches) → port sets over port classes → one flat image.
 */
import { ClusterIndex } from '../model/cluster-index.js';
import type { Cluster, Direction, Pod } from '../model/types.js';
import { EVALUATION_OPTIONS, resolveOptions, type EvaluationOptions } from '../model/options.js';
import { checkOptions, type OptionSpec } from '../model/check-options.js';
import { hostEntry, hostAddresses, IPBlockIndex, type HostAddress } from './address-space.js';
import { classKeyText, entryClassKeys } from './entry-classes.js';
import { buildIdentities, policyTables, resolvePort, type Identity, type PolicyTables } from './identities.js';
import { buildHosts6, ENTRY, ENTRY_STRIDE, imageFlags, writeImage } from './layout.js';
import { buildLPM, type Prefix } from './lpm.js';
import { pushTo } from './multimap.js';
import { NodeIds } from './node-ids.js';
import type { NamedPorts } from './pod-identity.js';
import { buildPortClasses, namedPortCuts, PortSetBuilder, PROTOCOL_SLOTS, rulePortCuts, type PortClasses } from './ports.js';
import { buildMatrix, PortSetTable, type Matrix } from './matrix.js';
import { addressWords, type Family } from '../ip/address.js';

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
}

export interface CompileResult {
  readonly image: ArrayBuffer | SharedArrayBuffer;
  readonly provenance: Provenance;
}

/** Interns values by a string key into dense ids. */
class Interner<T> {
  readonly ids = new Map<string, number>();
  readonly values: T[] = [];
  append(make: () => T): number {
    this.values.push(make());
    return this.values.length - 1;
  }
  intern(key: string, make: () => T): number {
    let id = this.ids.get(key);
    if (id === undefined) {
      id = this.values.length;
      this.ids.set(key, id);
      this.values.push(make());
    }
    return id;
  }
}

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

function portCuts(tables: PolicyTables, identities: readonly Identity[]): Set<number>[] {
  const cuts = [new Set<number>(), new Set<number>(), new Set<number>()];
  const cut = (slot: number, port: number): void => void cuts[slot]!.add(port);
  for (const r of tables.rules) rulePortCuts(r.rule, cut);
  for (const identity of identities) namedPortCuts(identity.namedPorts, cut);
  return cuts;
}

export function compile(cluster: Cluster, options: CompileOptions = {}): CompileResult {
  checkOptions('compile options', options, COMPILE_OPTIONS);
  const opts = resolveOptions(options);
  const index = new ClusterIndex(cluster);
  const tables = policyTables(cluster.policies);
  const { identities, identityOf } = buildIdentities(index, tables, opts);
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
  const classes = { egressPeer: new Interner<PeerClass>(), ingressPeer: new Interner<PeerClass>(), egressLocal: new Interner<LocalClass>(), ingressLocal: new Interner<LocalClass>() };
  classes.egressLocal.intern('', () => ({ policies: [], profileKey: '' })); // local class 0: not isolated
  classes.ingressLocal.intern('', () => ({ policies: [], profileKey: '' }));
  const entries = new Interner<Provenance['entries'][number]>();
  const entryFields: number[] = [];

  /** Classes depend only on (identity, ipBlock peers): most pods share them with their replicas. */
  const classMemo = new Map<number | string, number[]>();
  /** Classifies one region (a host address or an ipBlock prefix) into an entry id. */
  const entryFor = (host: HostAddress | undefined, ipPeers: readonly number[]): number => {
    const identity = host && host.identity >= 0 ? identities[host.identity] : undefined;
    const memoKey = ipPeers.length === 0 ? identity?.id ?? -1 : `${identity?.id ?? -1}|${ipPeers.join(',')}`;
    let memo = classMemo.get(memoKey);
    if (!memo) classMemo.set(memoKey, (memo = classify(identity, ipPeers)));
    const fields = [host?.podSlot ?? 0, host?.podNode ?? 0, host?.addrNode ?? 0, ...memo, 0];
    const make = (): Provenance['entries'][number] => {
      for (const f of fields) entryFields.push(f);
      return { pod: host && host.podSlot ? podOfSlot[host.podSlot] : undefined, identity, ipPeers };
    };
    // A pod's addresses never share an entry with another pod's (podSlot differs): no lookup.
    return host && host.podSlot ? entries.append(make) : entries.intern(fields.join(','), make);
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
    for (const c of ipIndex.prefixes[f]) prefixes[f].push({ value: c.base, length: c.prefix, entry: entryFor(undefined, ipIndex.peersContaining(f, c.base, c.prefix)) });
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

  // Port classes and the port set each rule admits for an owner's named ports.
  const portClasses = buildPortClasses(portCuts(tables, identities));
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

  const matrixFor = (d: Direction): Matrix => {
    const peerList = classes[`${d}Peer`].values;
    const localList = classes[`${d}Local`].values;
    const byPeer = new Map<number, number[]>();
    peerList.forEach((pc, i) => {
      for (const p of pc.peers) pushTo(byPeer, p, i);
    });
    // The peer classes each rule matches, computed once per rule.
    const all = Array.from(peerList, (_, i) => i);
    const targetsMemo = new Map<number, readonly number[]>();
    const targets = (ruleId: number): readonly number[] => {
      let t = targetsMemo.get(ruleId);
      if (!t) {
        const ids = tables.rules[ruleId]!.peerIds;
        t = ids.length === 0 ? all : [...new Set(ids.flatMap((id) => byPeer.get(id) ?? []))];
        targetsMemo.set(ruleId, t);
      }
      return t;
    };
    return buildMatrix(localList.length, peerList.length, (l, row) => {
      const local = localList[l]!;
      for (const pi of local.policies) {
        for (const ruleId of tables.rulesOf[pi]![d]) {
          // Named ports resolve on the destination: the subject for ingress, the peer for egress.
          const fixed = d === 'ingress' ? ruleSet(ruleId, local.namedPorts, local.profileKey) : -1;
          for (const p of targets(ruleId)) {
            const ps = fixed >= 0 ? fixed : ruleSet(ruleId, peerList[p]!.namedPorts, peerList[p]!.profileKey);
            row[p] = portSets.union(row[p]!, ps);
          }
        }
      }
    });
  };
  const egress = matrixFor('egress');
  const ingress = matrixFor('ingress');

  // Entries point at stored rows and columns: same row or column, same behaviour.
  const entryData = new Uint32Array(entryFields);
  for (let e = 0; e < entries.values.length; e++) {
    const o = e * ENTRY_STRIDE;
    entryData[o + ENTRY.egressRow] = egress.rowOf[entryData[o + ENTRY.egressRow]!]!;
    entryData[o + ENTRY.ingressRow] = ingress.rowOf[entryData[o + ENTRY.ingressRow]!]!;
    entryData[o + ENTRY.egressCol] = egress.colOf[entryData[o + ENTRY.egressCol]!]!;
    entryData[o + ENTRY.ingressCol] = ingress.colOf[entryData[o + ENTRY.ingressCol]!]!;
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
      ingressPeerCount: ingress.cols,
      ingressRowCount: ingress.rows,
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
    },
    options.shared === true,
  );
  return { image, provenance: { index, tables, identities, entries: entries.values, portClasses } };
}
