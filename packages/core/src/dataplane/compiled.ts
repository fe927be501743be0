/**
 * The compiled dataplane: an ImageDataplane over the image compile() makes, plus explain built from the
 * compile-time provenance (dataplane/explain.ts): each decision re-derived from the rules through
 * the shared decision steps and checked against the kernel's, so a trace cannot silently
 * disagree with the datapath.
 */
import { compile, COMPILE_OPTIONS, type Provenance } from '../compile/compile.js';
import { resolvePort } from '../compile/identities.js';
import { HEADER } from '../compile/layout.js';
import { PROTOCOL_SLOTS } from '../compile/ports.js';
import type { ClusterIndex } from '../model/cluster-index.js';
import type { Explanation, Flow, FlowEnd, Verdict } from '../model/flow.js';
import { hasPorts } from '../model/protocol.js';
import { decodeVerdict } from '../compile/verdict.js';
import { endEntries, endEntry, imageAddress } from './flow-ends.js';
import { DEFAULT_OPTIONS } from '../model/options.js';
import { ignoredObjectKey, type Cluster } from '../model/types.js';
import { explainEntries, explainImage, type ImageProvenance } from './explain.js';
import { DATAPLANE_OPTIONS, ImageDataplane, type DataplaneOptions } from './image-dataplane.js';
import { checkOptions, pickOptions } from '../model/check-options.js';
import { PacketFilter, type PacketResult } from '../packet/filter.js';

/** What a compiled image holds: its size in bytes and the counts of its tables (CompiledDataplane.stats()). */
export interface ImageStats {
  readonly bytes: number;
  readonly entries: number;
  readonly portClasses: number;
  readonly portSets: number;
  readonly identities: number;
  readonly egress: { readonly rows: number; readonly peerClasses: number };
  readonly ingress: { readonly rows: number; readonly peerClasses: number };
  /** The tier matrices (1 × 1 without cluster-scoped policies), tier decisions and name classes. */
  readonly tiers: {
    readonly egress: { readonly rows: number; readonly cols: number };
    readonly ingress: { readonly rows: number; readonly cols: number };
    readonly decisions: number;
    readonly nameClasses: number;
  };
}

export { NATIVE_MIN_BATCH, type DataplaneOptions } from './image-dataplane.js';

/**
 * The default engine: the cluster compiled once into one flat image (identities, LPM tries, port
 * classes, decision matrices), answering verdicts with a few array reads, one flow at a time
 * (`verdict`, `verdictCode`) or in typed-array batches (`verdictBatch`, on the native kernel when it
 * is loaded), and explaining them (`explain`) exactly as the ReferenceEvaluator does.
 * Throws a TypeError for an unknown option and a CapacityError when the cluster needs more of a
 * table than the image can address; `verdict` and `explain` throw MixedFamiliesError for a flow
 * whose ends are of different families.
 *
 * @example
 * const dataplane = new CompiledDataplane(cluster, { ipBlockMatchesPods: true });
 * const parsed = parseFlow({ src: 'prod/web', dst: '8.8.8.8', protocol: 'UDP', port: 53 }, dataplane.index);
 * if (parsed.ok) console.log(dataplane.verdict(parsed.flow)); // { allowed, egress, ingress }
 */
export class CompiledDataplane extends ImageDataplane {
  readonly index: ClusterIndex;
  private readonly prov: Provenance;
  private readonly source: ImageProvenance;

  constructor(cluster: Cluster, options: DataplaneOptions = {}) {
    checkOptions('CompiledDataplane options', options, DATAPLANE_OPTIONS);
    const { image, provenance } = compile(cluster, pickOptions(options, COMPILE_OPTIONS));
    super(image, { native: options.native });
    this.prov = provenance;
    this.index = provenance.index;
    this.source = provenanceSource(
      provenance,
      options.ipBlockMatchesPods ?? DEFAULT_OPTIONS.ipBlockMatchesPods,
      options.initContainerPorts ?? DEFAULT_OPTIONS.initContainerPorts,
    );
  }

  /** The image's size and table counts. */
  stats(): ImageStats {
    const h = this.kernel.views.header;
    return {
      bytes: this.image.byteLength,
      entries: h[HEADER.entryCount]!,
      portClasses: h[HEADER.portClassCount]!,
      portSets: h[HEADER.portSetCount]!,
      identities: this.prov.identities.length,
      egress: { rows: h[HEADER.egressRowCount]!, peerClasses: h[HEADER.egressPeerCount]! },
      ingress: { rows: h[HEADER.ingressRowCount]!, peerClasses: h[HEADER.ingressPeerCount]! },
      tiers: {
        egress: { rows: h[HEADER.tierEgressRowCount]!, cols: h[HEADER.tierEgressColCount]! },
        ingress: { rows: h[HEADER.tierIngressRowCount]!, cols: h[HEADER.tierIngressColCount]! },
        decisions: h[HEADER.tierDecisionCount]!,
        nameClasses: h[HEADER.nameClassCount]!,
      },
    };
  }

  private packetFilter: PacketFilter<CompiledDataplane> | undefined;

  /**
   * This dataplane's packet filter and its conntrack table, made on first use (packet/filter.ts).
   * For options (maxEntries, fragmentPolicy) or to carry connections across policy changes,
   * make a `PacketFilter` yourself and `setDataplane` it.
   */
  get packets(): PacketFilter<CompiledDataplane> {
    return (this.packetFilter ??= new PacketFilter(this));
  }

  /** One raw IP packet seen at `now` (seconds): parse, conntrack, and policy for new connections. */
  packet(bytes: Uint8Array, now: number): PacketResult {
    return this.packets.packet(bytes, now);
  }

  /** Packets in order through the same conntrack; `now` per packet or one for all. */
  packetBatch(packets: readonly Uint8Array[], now: number | ArrayLike<number>): PacketResult[] {
    return this.packets.packetBatch(packets, now);
  }

  /** The class of `flow.dstName` among the image's domainNames peers (0: no name, or none matches). */
  override nameClassOf(flow: Flow): number {
    return flow.dstName === undefined ? 0 : this.prov.tiers.nameClass(flow.dstName);
  }

  /** The name class of a destination name, for FlowBatch.nameClass. */
  nameClass(name: string): number {
    return this.prov.tiers.nameClass(name);
  }

  /**
   * The image entry of one end of a connection: an address's, or for a pod without an address
   * (a workload's template pod, a pod not yet given an IP) the entry compiled for it. Throws
   * RangeError for a pod that has an IP but no address given (pass the address).
   */
  entryOf(end: FlowEnd): number {
    return endEntry(this.kernel, this.prov, end);
  }

  /**
   * The verdict between two ends (model/flow.ts `FlowEnd`), the same as the ReferenceEvaluator's:
   * a pod without an address is a subject and a selector peer like any pod, and no ipBlock,
   * `networks` or `nodes` peer matches it. `port`: the destination port (TCP, UDP, SCTP).
   * Throws MixedFamiliesError for two addresses of different families, RangeError as entryOf.
   */
  verdictBetween(src: FlowEnd, dst: FlowEnd, protocol: number, port?: number): Verdict {
    const [s, d] = endEntries(this.kernel, this.prov, src, dst);
    return decodeVerdict(this.kernel.decide(s, d, protocol, hasPorts(protocol) ? (port ?? -1) : -1, false, 0));
  }

  /**
   * verdictBetween with its reasons, as explain gives them (checked against the kernel alike);
   * an end without an address is named `namespace/pod`.
   */
  explainBetween(src: FlowEnd, dst: FlowEnd, protocol: number, port?: number): Explanation {
    const [s, d] = endEntries(this.kernel, this.prov, src, dst);
    const address = (e: FlowEnd) => e.address && imageAddress(this.kernel, e.address);
    return explainEntries(this.kernel, this.source, { src: address(src), dst: address(dst), protocol, ...(port !== undefined && { port }) }, s, d);
  }

  /**
   * The verdict with its reasons, derived from the compile-time provenance and checked against
   * the kernel's own answer (a disagreement throws: it would be a bug). Throws MixedFamiliesError
   * for ends of different families.
   */
  explain(flow: Flow): Explanation {
    const [s, d] = this.entries(flow);
    return explainImage(this.kernel, this.source, flow, s, d);
  }
}

/** compile()'s provenance as explain reads it (dataplane/explain.ts). */
function provenanceSource(prov: Provenance, ipBlockMatchesPods: boolean, initContainerPorts: boolean): ImageProvenance {
  const { tables, index } = prov;
  return {
    ipBlockMatchesPods,
    entry: (e) => prov.entries[e],
    policy: (id) => tables.policies[id]!,
    rulesOf: (id, direction) => tables.rulesOf[id]![direction],
    rule: (id) => tables.rules[id]!,
    namespaceLabels: (ns) => index.namespaceLabels(ns),
    isNodeAddress: (ip) => index.nodeByIP(ip) !== undefined,
    portAdmits: (port, owner, pc) => {
      const pcs = prov.portClasses;
      const slot = PROTOCOL_SLOTS[port.protocol];
      const [lo, hi] = pcs.protocolRange[slot]!;
      if (pc < lo || pc >= hi) return false;
      const r = resolvePort(port, owner);
      return 'all' in r || r.ranges.some(([a, b]) => pc >= pcs.map[(slot << 16) | a]! && pc <= pcs.map[(slot << 16) | b]!);
    },
    tiers: {
      policies: prov.tiers.policies,
      initContainerPorts,
      nodeOf: (ip) => index.nodeByIP(ip),
      nodeLabels: (node) => index.nodeLabels(node),
      nameClass: (name) => (name === undefined ? 0 : prov.tiers.nameClass(name)),
    },
    ignoring: (index.cluster.ignoredObjects ?? []).map(ignoredObjectKey),
  };
}
