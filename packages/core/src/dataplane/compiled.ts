/**
 * The compiled dataplane: an ImageDataplane over the image compile() makes, plus explain built from the
 * compile-time provenance. explain() re-derives each decision from the rules and checks it
 * against the kernel's, so a trace can never silently disagree with the datapath.
 */
import { compile, COMPILE_OPTIONS, type Provenance } from '../compile/compile.js';
import { resolvePort } from '../compile/identities.js';
import { D, F, H } from '../compile/layout.js';
import { formatIP, unmapIPv4, type IPAddress } from '../ip/address.js';
import type { ClusterIndex } from '../model/cluster-index.js';
import { describeAddress, describePort } from '../model/describe.js';
import type { Decision, DecisionReason, DirectionExplanation, Explanation, Flow, RuleMiss, RuleRef } from '../model/flow.js';
import { protocolName } from '../model/protocol.js';
import { policyKey, type Cluster, type Direction } from '../model/types.js';
import { decodeVerdict, DECISIONS } from './decode.js';
import { DATAPLANE_OPTIONS, ImageDataplane, portArgument, type DataplaneOptions } from './image-dataplane.js';
import { checkOptions, pickOptions } from '../model/check-options.js';
import { PacketFilter, type PacketResult } from '../packet/filter.js';

export interface ImageStats {
  readonly bytes: number;
  readonly entries: number;
  readonly portClasses: number;
  readonly portSets: number;
  readonly identities: number;
  readonly egress: { readonly rows: number; readonly peerClasses: number };
  readonly ingress: { readonly rows: number; readonly peerClasses: number };
}

export { NATIVE_MIN_BATCH, type DataplaneOptions } from './image-dataplane.js';

/** A dataplane compiled from a cluster, with explain from the compile-time provenance. */
export class CompiledDataplane extends ImageDataplane {
  readonly index: ClusterIndex;
  private readonly prov: Provenance;

  constructor(cluster: Cluster, options: DataplaneOptions = {}) {
    checkOptions('CompiledDataplane options', options, DATAPLANE_OPTIONS);
    const { image, provenance } = compile(cluster, pickOptions(options, COMPILE_OPTIONS));
    super(image, { native: options.native });
    this.prov = provenance;
    this.index = provenance.index;
  }

  stats(): ImageStats {
    const h = this.kernel.views.header;
    return {
      bytes: this.image.byteLength,
      entries: h[H.entryCount]!,
      portClasses: h[H.portClassCount]!,
      portSets: h[H.portSetCount]!,
      identities: this.prov.identities.length,
      egress: { rows: h[H.egressRowCount]!, peerClasses: h[H.egressPeerCount]! },
      ingress: { rows: h[H.ingressRowCount]!, peerClasses: h[H.ingressPeerCount]! },
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

  explain(flow: Flow): Explanation {
    const [s, d] = this.entries(flow);
    const portArg = portArgument(flow);
    const established = flow.established === true;
    const code = this.kernel.decide(s, d, flow.protocol, portArg, established);
    const v = decodeVerdict(code);
    const src = this.prov.entries[s]!;
    const dst = this.prov.entries[d]!;
    // The addresses as evaluated, like the reference: unmapped when ipv4MappedAsIPv4 is on.
    const shown = (ip: IPAddress): string => formatIP(this.kernel.views.header[H.flags]! & F.ipv4MappedAsIPv4 ? unmapIPv4(ip) : ip);
    let egressDetail: DirectionExplanation;
    let ingressDetail: DirectionExplanation;
    if (this.kernel.special(s, d, flow.protocol, portArg, established)) {
      const reason: DecisionReason = established ? 'reply' : src.pod && src.pod === dst.pod ? 'self' : 'icmpv6-nd';
      egressDetail = this.always('egress', s, reason);
      ingressDetail = this.always('ingress', d, reason);
    } else {
      const pc = this.kernel.portClass(flow.protocol, portArg);
      egressDetail = this.direction('egress', s, d, pc, flow, this.kernel.egress(s, d, pc));
      ingressDetail = this.direction('ingress', s, d, pc, flow, this.kernel.ingress(s, d, pc));
    }
    return {
      ...v,
      src: shown(flow.src),
      dst: shown(flow.dst),
      protocol: protocolName(flow.protocol),
      ...(flow.port !== undefined && { port: flow.port }),
      egressDetail,
      ingressDetail,
    };
  }

  private always(direction: Direction, e: number, reason: DecisionReason): DirectionExplanation {
    const pod = this.prov.entries[e]!.pod;
    return { direction, endpoint: pod ? `${pod.namespace}/${pod.name}` : null, decision: 'allowed', reason, isolatedBy: [], allowedBy: [], rejected: [] };
  }

  /** Rebuilds the per-rule story from provenance and checks it against the kernel's decision. */
  private direction(direction: Direction, s: number, d: number, pc: number, flow: Flow, kernelDecision: number): DirectionExplanation {
    const local = this.prov.entries[direction === 'egress' ? s : d]!;
    const remote = this.prov.entries[direction === 'egress' ? d : s]!;
    const owner = this.prov.entries[d]!.identity?.namedPorts; // named ports resolve on the destination
    const decision: Decision = DECISIONS[kernelDecision]!;
    const base = { direction, endpoint: local.pod ? `${local.pod.namespace}/${local.pod.name}` : null, allowedBy: [] as RuleRef[], rejected: [] as RuleMiss[] };
    if (kernelDecision === D.notApplicable) return { ...base, decision, reason: 'not-a-pod', isolatedBy: [] };
    const { tables } = this.prov;
    const isolating = local.identity?.isolatedBy[direction] ?? [];
    if (kernelDecision === D.notIsolated) return { ...base, decision, reason: 'no-policy', isolatedBy: [] };
    const isolatedBy = isolating.map((p) => policyKey(tables.policies[p]!));
    if (this.kernel.localNode(direction, s, d)) return { ...base, decision, reason: 'local-node', isolatedBy };
    const matched = new Set([...(remote.identity?.selectorPeers ?? []), ...remote.ipPeers]);
    const allowedBy: RuleRef[] = [];
    const rejected: RuleMiss[] = [];
    for (const pi of isolating) {
      const policy = tables.policies[pi]!;
      const name = policyKey(policy);
      if (tables.rulesOf[pi]![direction].length === 0) {
        rejected.push({ policy: name, direction, ruleIndex: null, peerMatched: false, portMatched: false, reason: `${name} has no ${direction} rules: it only isolates` });
      }
      for (const ruleId of tables.rulesOf[pi]![direction]) {
        const info = tables.rules[ruleId]!;
        const peerIndex = info.peerIds.length === 0 ? null : info.peerIds.findIndex((p) => matched.has(p));
        const portIndex = info.rule.ports.length === 0 ? null : info.rule.ports.findIndex((p) => this.portAdmits(p, owner, pc));
        if (peerIndex !== -1 && portIndex !== -1) allowedBy.push({ policy: name, direction, ruleIndex: info.index, peerIndex, portIndex });
        else {
          const addr = direction === 'egress' ? flow.dst : flow.src;
          const parts = [];
          if (peerIndex === -1) parts.push(`${direction === 'egress' ? 'destination' : 'source'} ${describeAddress(addr, remote.pod)} matches none of its ${info.peerIds.length} peer(s)`);
          if (portIndex === -1) parts.push(`${flow.port !== undefined ? `${protocolName(flow.protocol)}/${flow.port}` : protocolName(flow.protocol)} matches none of its ports (${info.rule.ports.map(describePort).join(', ')})`);
          rejected.push({ policy: name, direction, ruleIndex: info.index, peerMatched: peerIndex !== -1, portMatched: portIndex !== -1, reason: parts.join('; ') });
        }
      }
    }
    // The rules, read from provenance, must say what the kernel's tables say.
    if ((allowedBy.length > 0) !== (kernelDecision === D.allowed)) {
      throw new Error(`internal error: explain (${allowedBy.length} matching rules) disagrees with the kernel (${decision}) for ${direction} ${formatIP(flow.src)} -> ${formatIP(flow.dst)}`);
    }
    return allowedBy.length > 0 ? { ...base, decision, reason: 'rule', isolatedBy, allowedBy } : { ...base, decision, reason: 'no-rule-matched', isolatedBy, rejected };
  }

  private portAdmits(p: Parameters<typeof resolvePort>[0], owner: Parameters<typeof resolvePort>[1], pc: number): boolean {
    const pcs = this.prov.portClasses;
    const slot = { TCP: 0, UDP: 1, SCTP: 2 }[p.protocol];
    const [lo, hi] = pcs.protocolRange[slot]!;
    if (pc < lo || pc >= hi) return false;
    const r = resolvePort(p, owner);
    if ('all' in r) return true;
    return r.ranges.some(([a, b]) => pc >= pcs.map[(slot << 16) | a]! && pc <= pcs.map[(slot << 16) | b]!);
  }
}

