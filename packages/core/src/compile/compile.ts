/**
 * model → image. The steps, each computed once:
 *   identities (selectors evaluated per identity) → address regions (LPM entries) →
 *   per direction: local classes (who is isolated by what) × peer classes (what a remote
 *   address matches) → port sets over port classes → one flat image.
 */
import { ClusterIndex } from '../model/cluster-index.js';
import type { Cluster, Direction, Pod } from '../model/types.js';
import { resolveOptions, type EvaluationOptions } from '../reference/options.js';
import { hostEntry, hostAddresses, IPBlockIndex, type HostAddress } from './address-space.js';
import { buildIdentities, policyTables, resolvePort, type Identity, type NamedPorts, type PolicyTables } from './identities.js';
import { ENTRY_STRIDE, F, writeImage } from './layout.js';
import { buildLPM, type Prefix } from './lpm.js';
import { buildPortClasses, PortSetBuilder, PROTOCOL_SLOTS, type PortClasses } from './ports.js';
import type { Family } from '../ip/address.js';

export interface CompileOptions extends EvaluationOptions {
  /** Put the image in a SharedArrayBuffer (for worker threads). */
  readonly shared?: boolean;
}

/** What explain needs to say why, kept beside the image (never read on the hot path). */
export interface Provenance {
  readonly index: ClusterIndex;
  readonly tables: PolicyTables;
  readonly identities: readonly Identity[];
  /** Per entry: the pod owning the address (if any), its identity, the ipBlock peers containing it. */
  readonly entries: readonly { readonly pod?: Pod; readonly identity?: Identity; readonly ipPeers: readonly number[] }[];
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
}

interface LocalClass {
  readonly policies: readonly number[];
  readonly namedPorts?: NamedPorts;
}

function portCuts(tables: PolicyTables, identities: readonly Identity[]): Set<number>[] {
  const cuts = [new Set<number>(), new Set<number>(), new Set<number>()];
  for (const r of tables.rules) {
    for (const p of r.rule.ports) {
      const slot = PROTOCOL_SLOTS[p.protocol];
      if (typeof p.port === 'number') {
        cuts[slot]!.add(p.port);
        cuts[slot]!.add((p.endPort ?? p.port) + 1);
      }
    }
  }
  // Named ports become numbers per identity; each number is its own interval.
  for (const identity of identities) {
    for (const [key, numbers] of identity.namedPorts) {
      const slot = PROTOCOL_SLOTS[key.slice(key.lastIndexOf('/') + 1) as keyof typeof PROTOCOL_SLOTS];
      for (const n of numbers) {
        cuts[slot]!.add(n);
        cuts[slot]!.add(n + 1);
      }
    }
  }
  return cuts;
}

export function compile(cluster: Cluster, options: CompileOptions = {}): CompileResult {
  const opts = resolveOptions(options);
  const index = new ClusterIndex(cluster);
  const tables = policyTables(cluster.policies);
  const { identities, identityOf } = buildIdentities(index, tables, opts);
  const peerDirection = tables.peers.map((p) => p.direction);

  // Pods, nodes and the host addresses they own.
  const nodeIds = new Map<string, number>();
  const nodeId = (name: string | undefined): number => {
    if (!name) return 0;
    let id = nodeIds.get(name);
    if (id === undefined) nodeIds.set(name, (id = nodeIds.size + 1));
    return id;
  };
  const podSlots = new Map<Pod, number>();
  const hosts = hostAddresses();
  for (const { ip, pod } of index.podAddresses()) {
    if (!podSlots.has(pod)) podSlots.set(pod, podSlots.size + 1);
    const h = hostEntry(hosts, ip);
    h.podSlot = podSlots.get(pod)!;
    h.identity = identityOf.get(pod)!;
    h.podNode = nodeId(pod.nodeName);
  }
  for (const { ip, node } of index.nodeAddresses()) hostEntry(hosts, ip).addrNode = nodeId(node);
  const podOfSlot: Pod[] = [];
  for (const [pod, slot] of podSlots) podOfSlot[slot] = pod;

  const ipIndex = new IPBlockIndex(tables.peers);
  const classes = { egressPeer: new Interner<PeerClass>(), ingressPeer: new Interner<PeerClass>(), egressLocal: new Interner<LocalClass>(), ingressLocal: new Interner<LocalClass>() };
  classes.egressLocal.intern('', () => ({ policies: [] })); // local class 0: not isolated
  classes.ingressLocal.intern('', () => ({ policies: [] }));
  const entries = new Interner<Provenance['entries'][number]>();
  const entryFields: number[] = [];

  /** Classifies one region (a host address or an ipBlock prefix) into an entry id. */
  const entryFor = (host: HostAddress | undefined, ipPeers: readonly number[]): number => {
    const identity = host && host.identity >= 0 ? identities[host.identity] : undefined;
    const matched = identity ? [...new Set([...identity.selectorPeers, ...ipPeers])].sort((a, b) => a - b) : ipPeers;
    const peerClass = (d: Direction, named: NamedPorts | undefined, profile: string): number => {
      const ids = matched.filter((p) => peerDirection[p] === d);
      return classes[`${d}Peer`].intern(`${ids.join(',')}|${profile}`, () => ({ peers: new Set(ids), ...(named && { namedPorts: named }) }));
    };
    const localClass = (d: Direction): number => {
      if (!identity || identity.isolatedBy[d].length === 0) return 0;
      const pols = identity.isolatedBy[d];
      // Ingress named ports resolve on the subject: its port profile is part of its class.
      const profile = d === 'ingress' ? identity.profileKey : '';
      return classes[`${d}Local`].intern(`${pols.join(',')}|${profile}`, () => ({ policies: pols, ...(d === 'ingress' && { namedPorts: identity.namedPorts }) }));
    };
    const fields = [
      host?.podSlot ?? 0,
      host?.podNode ?? 0,
      host?.addrNode ?? 0,
      localClass('egress'),
      localClass('ingress'),
      // Egress named ports resolve on the destination: its profile is part of its class.
      peerClass('egress', identity?.namedPorts, identity?.profileKey ?? ''),
      peerClass('ingress', undefined, ''),
      0,
    ];
    return entries.intern(fields.join(','), () => {
      entryFields.push(...fields);
      return { ...(host && host.podSlot && { pod: podOfSlot[host.podSlot]! }), ...(identity && { identity }), ipPeers };
    });
  };

  const prefixes: Record<Family, Prefix[]> = { 4: [], 6: [] };
  const defaultEntry = entryFor(undefined, []);
  for (const f of [4, 6] as const) {
    for (const c of ipIndex.prefixes[f]) prefixes[f].push({ value: c.base, length: c.prefix, entry: entryFor(undefined, ipIndex.peersContaining(f, c.base, c.prefix)) });
  }
  for (const h of hosts.values()) {
    const f = h.ip.family;
    const bits = f === 4 ? 32 : 128;
    // Cilium mode: ipBlock never matches pod or node IPs.
    const ipPeers = opts.ipBlockMatchesPods || (h.podSlot === 0 && h.addrNode === 0) ? ipIndex.peersContaining(f, h.ip.value, bits) : [];
    prefixes[f].push({ value: h.ip.value, length: bits, entry: entryFor(h, ipPeers) });
  }

  // Port classes and the port set each rule admits for an owner's named ports.
  const portClasses = buildPortClasses(portCuts(tables, identities));
  const portSets = new Interner<Uint32Array>();
  const empty = new PortSetBuilder(portClasses);
  portSets.intern(empty.key(), () => empty.bits); // port set 0: nothing
  const ruleBitsMemo = new Map<string, Uint32Array>();
  const ruleBits = (ruleId: number, owner: NamedPorts | undefined, ownerKey: string): Uint32Array => {
    const memoKey = `${ruleId}|${ownerKey}`;
    let bits = ruleBitsMemo.get(memoKey);
    if (bits) return bits;
    const b = new PortSetBuilder(portClasses);
    const rule = tables.rules[ruleId]!.rule;
    if (rule.ports.length === 0) b.setAll();
    for (const p of rule.ports) {
      const slot = PROTOCOL_SLOTS[p.protocol];
      const r = resolvePort(p, owner);
      if ('all' in r) b.setRange(slot, 0, 65535);
      else for (const [lo, hi] of r.ranges) b.setRange(slot, lo, hi);
    }
    ruleBitsMemo.set(memoKey, (bits = b.bits));
    return bits;
  };

  // One matrix per direction: rows are local classes (deduplicated), columns peer classes.
  const matrix = (d: Direction): { data: Uint32Array; rowOf: number[]; peerCount: number; rowCount: number } => {
    const peerList = classes[`${d}Peer`].values;
    const localList = classes[`${d}Local`].values;
    const byPeer = new Map<number, number[]>();
    peerList.forEach((pc, i) => {
      for (const p of pc.peers) {
        const list = byPeer.get(p);
        if (list) list.push(i);
        else byPeer.set(p, [i]);
      }
    });
    const allPeers = peerList.map((_, i) => i);
    const rows = new Interner<Uint32Array>();
    rows.intern('not-isolated', () => new Uint32Array(peerList.length)); // row 0 is never read
    const rowOf = [0];
    for (let l = 1; l < localList.length; l++) {
      const local = localList[l]!;
      const acc = new Map<number, PortSetBuilder>();
      for (const pi of local.policies) {
        for (const ruleId of tables.rulesOf[pi]![d]) {
          const rule = tables.rules[ruleId]!;
          const targets = rule.peerIds.length === 0 ? allPeers : [...new Set(rule.peerIds.flatMap((p) => byPeer.get(p) ?? []))];
          for (const p of targets) {
            const owner = d === 'ingress' ? local.namedPorts : peerList[p]!.namedPorts;
            const ownerKey = d === 'ingress' ? `l${l}` : `p${p}`;
            let b = acc.get(p);
            if (!b) acc.set(p, (b = new PortSetBuilder(portClasses)));
            b.or(ruleBits(ruleId, owner, ownerKey));
          }
        }
      }
      const row = new Uint32Array(peerList.length);
      for (const [p, b] of acc) row[p] = portSets.intern(b.key(), () => b.bits);
      rowOf.push(rows.intern(row.join(','), () => row));
    }
    const data = new Uint32Array(rows.values.length * peerList.length);
    rows.values.forEach((row, i) => data.set(row, i * peerList.length));
    return { data, rowOf, peerCount: peerList.length, rowCount: rows.values.length };
  };
  const egress = matrix('egress');
  const ingress = matrix('ingress');

  // Entries point at deduplicated rows, not at local classes: same row, same behaviour.
  const entryData = new Uint32Array(entryFields);
  for (let e = 0; e < entries.values.length; e++) {
    entryData[e * ENTRY_STRIDE + 3] = egress.rowOf[entryData[e * ENTRY_STRIDE + 3]!]!;
    entryData[e * ENTRY_STRIDE + 4] = ingress.rowOf[entryData[e * ENTRY_STRIDE + 4]!]!;
  }
  // Row ids 1.. are isolated rows; 0 still means "not isolated" because row 0 is reserved.
  const portSetData = new Uint32Array(portSets.values.length * portClasses.words);
  portSets.values.forEach((bits, i) => portSetData.set(bits, i * portClasses.words));

  const flags =
    (opts.allowIngressFromLocalNode ? F.allowIngressFromLocalNode : 0) |
    (opts.allowEgressToLocalNode ? F.allowEgressToLocalNode : 0) |
    (opts.ipv4MappedAsIPv4 ? F.ipv4MappedAsIPv4 : 0) |
    (opts.allowICMPv6NeighborDiscovery ? F.allowICMPv6NeighborDiscovery : 0);
  const image = writeImage(
    {
      flags,
      entryCount: entries.values.length,
      portClassCount: portClasses.count,
      portSetWords: portClasses.words,
      portSetCount: portSets.values.length,
      egressPeerCount: egress.peerCount,
      egressRowCount: egress.rowCount,
      ingressPeerCount: ingress.peerCount,
      ingressRowCount: ingress.rowCount,
    },
    {
      lpm4: buildLPM(4, prefixes[4], defaultEntry),
      lpm6: buildLPM(6, prefixes[6], defaultEntry),
      entries: entryData,
      portMap: portClasses.map,
      portSets: portSetData,
      egressMatrix: egress.data,
      ingressMatrix: ingress.data,
    },
    options.shared === true,
  );
  return { image, provenance: { index, tables, identities, entries: entries.values, portClasses } };
}
