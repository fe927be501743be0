/**
 * The compiled dataplane: the image plus a kernel to read it, and explain built from the
 * compile-time provenance. explain() re-derives each decision from the rules and checks it
 * against the kernel's, so a trace can never silently disagree with the datapath.
 */
import { compile, type CompileOptions, type Provenance } from '../compile/compile.js';
import { resolvePort } from '../compile/identities.js';
import { D, H } from '../compile/layout.js';
import { formatIP, unmapIPv4, type IPAddress } from '../ip/address.js';
import type { ClusterIndex } from '../model/cluster-index.js';
import type { Decision, DecisionReason, DirectionExplanation, Explanation, Flow, RuleMiss, RuleRef, Verdict } from '../model/flow.js';
import { hasPorts, protocolName } from '../model/protocol.js';
import { policyKey, type Cluster, type Direction } from '../model/types.js';
import { describeAddress, describePort } from '../reference/evaluator.js';
import { Kernel, type FlowBatch } from '../kernels/js-kernel.js';
import { decodeVerdict, DECISIONS } from './decode.js';
import { nativeBinding, nativeStatus } from '../native/loader.js';
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

/** The kernel's port argument: the destination port for TCP/UDP/SCTP, the ICMP type otherwise. */
const portArgument = (flow: Flow): number => (hasPorts(flow.protocol) ? flow.port ?? -1 : flow.icmpType ?? -1);

/**
 * Below this many flows a batch stays in JS: one N-API call costs more than a few verdicts
 * (measured: see the README's benchmark section).
 */
export const NATIVE_MIN_BATCH = 64;

export interface DataplaneOptions extends CompileOptions {
  /**
   * 'auto' (default): the native kernel for batches of NATIVE_MIN_BATCH flows or more when
   * it is loaded; 'off': always JS; 'require': native for every batch, and the constructor
   * throws (with nativeStatus().reason) when the addon is unavailable.
   */
  readonly native?: 'auto' | 'off' | 'require';
}

export class CompiledDataplane {
  readonly image: ArrayBuffer | SharedArrayBuffer;
  readonly kernel: Kernel;
  readonly index: ClusterIndex;
  /** The native kernel serves this dataplane's batches (large ones, unless 'require'). */
  readonly nativeActive: boolean;
  /** Why the loaded addon refused this image, when it did (the JS kernel serves instead). */
  readonly nativeRefusal: string | undefined;
  private readonly prov: Provenance;
  private readonly words = new Uint32Array(8);
  private readonly nativeHandle: object | undefined;
  private readonly nativeMin: number;

  constructor(cluster: Cluster, options: DataplaneOptions = {}) {
    const { image, provenance } = compile(cluster, options);
    this.image = image;
    this.prov = provenance;
    this.index = provenance.index;
    this.kernel = new Kernel(image);
    const mode = options.native ?? 'auto';
    const binding = mode === 'off' ? undefined : nativeBinding();
    if (mode === 'require' && !binding) throw new Error(`the native kernel was required but ${nativeStatus().reason}`);
    // The addon validates the whole image again before it accepts it. A refusal (say, an
    // addon built for another image version) falls back to JS unless native was required.
    let handle: object | undefined;
    try {
      handle = binding?.loadImage(new Uint8Array(image));
    } catch (e) {
      if (mode === 'require') throw new Error(`the native kernel refused the image: ${(e as Error).message}`);
      this.nativeRefusal = (e as Error).message;
    }
    this.nativeHandle = handle;
    this.nativeActive = this.nativeHandle !== undefined;
    this.nativeMin = mode === 'require' ? 0 : NATIVE_MIN_BATCH;
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

  /** Entries of both ends; throws RangeError for mixed families, like the reference. */
  private entries(flow: Flow): [number, number] {
    const k = this.kernel;
    let { src, dst } = flow;
    // The IPv4-mapped option is applied here too so that the family check sees it.
    if (k.views.header[H.flags]! & 4) {
      src = unmapIPv4(src);
      dst = unmapIPv4(dst);
    }
    if (src.family !== dst.family) throw new RangeError(`flow mixes address families: ${formatIP(src)} -> ${formatIP(dst)}`);
    if (src.family === 4) return [k.entry4(Number(src.value)), k.entry4(Number(dst.value))];
    this.toWords(src.value, 0);
    this.toWords(dst.value, 4);
    return [k.entry6(this.words, 0), k.entry6(this.words, 4)];
  }

  private toWords(v: bigint, at: number): void {
    for (let i = 0; i < 4; i++) this.words[at + i] = Number((v >> BigInt(96 - 32 * i)) & 0xffffffffn);
  }

  /** The verdict byte (see layout.ts): no allocation. */
  verdictCode(flow: Flow): number {
    const [s, d] = this.entries(flow);
    return this.kernel.decide(s, d, flow.protocol, portArgument(flow), flow.established === true);
  }

  verdict(flow: Flow): Verdict {
    return decodeVerdict(this.verdictCode(flow));
  }

  /** Verdict bytes for a batch of flows in typed arrays: native for large batches when loaded. */
  verdictBatch(batch: FlowBatch, out: Uint8Array): void {
    if (this.nativeHandle && batch.count >= this.nativeMin) this.verdictBatchNative(batch, out);
    else this.kernel.verdictBatch(batch, out);
  }

  private readonly one = { count: 1, src: new Uint32Array(4), dst: new Uint32Array(4), family: new Uint8Array(1), protocol: new Uint8Array(1), port: new Uint16Array(1), flags: new Uint8Array(1) };
  private readonly oneOut = new Uint8Array(1);

  /**
   * One flow through the native kernel (a batch of one: slow, one N-API call per flow).
   * For checking the native kernel flow by flow (`netpol fuzz --engine native`).
   */
  verdictNative(flow: Flow): Verdict {
    let { src, dst } = flow;
    if (this.kernel.views.header[H.flags]! & 4) {
      src = unmapIPv4(src);
      dst = unmapIPv4(dst);
    }
    if (src.family !== dst.family) throw new RangeError(`flow mixes address families: ${formatIP(src)} -> ${formatIP(dst)}`);
    const b = this.one;
    b.family[0] = src.family;
    if (src.family === 4) {
      b.src[0] = Number(src.value);
      b.dst[0] = Number(dst.value);
    } else {
      this.toWords(src.value, 0);
      b.src.set(this.words.subarray(0, 4));
      this.toWords(dst.value, 0);
      b.dst.set(this.words.subarray(0, 4));
    }
    b.protocol[0] = flow.protocol;
    const port = portArgument(flow);
    // The batch port field cannot say "no port": such L4 flows are answered in JS.
    if (port < 0 && hasPorts(flow.protocol)) return this.verdict(flow);
    b.port[0] = port < 0 ? 0 : port;
    b.flags[0] = flow.established ? 1 : 0;
    this.verdictBatchNative(b, this.oneOut);
    return decodeVerdict(this.oneOut[0]!);
  }

  /** The JS kernel, whatever the batch size. */
  verdictBatchJS(batch: FlowBatch, out: Uint8Array): void {
    this.kernel.verdictBatch(batch, out);
  }

  /** The native kernel, whatever the batch size; throws when it is not loaded. */
  verdictBatchNative(batch: FlowBatch, out: Uint8Array): void {
    const binding = nativeBinding();
    if (!this.nativeHandle || !binding) throw new Error(`the native kernel is not active: ${nativeStatus().reason}`);
    binding.verdictBatch(this.nativeHandle, batch.src, batch.dst, batch.protocol, batch.port, out, batch.count, batch.family ?? null, batch.flags ?? null);
  }

  private packetFilter: PacketFilter | undefined;

  /**
   * This dataplane's packet filter and its conntrack table, made on first use (packet/filter.ts).
   * For options (maxEntries, fragmentPolicy) or to carry connections across policy changes,
   * make a `PacketFilter` yourself and `setDataplane` it.
   */
  get packets(): PacketFilter {
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
    const shown = (ip: IPAddress): string => formatIP(ip);
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

