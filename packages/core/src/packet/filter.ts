/**
 * The packet path: bytes → parse → conntrack → (new connections only) the compiled
 * dataplane's verdict. NetworkPolicy decides when a connection is opened (spec §2.7): a
 * packet of a tracked connection passes in either direction, a packet that opens one is
 * judged by policy in its own direction, so a *new* connection in the reverse direction of an
 * allowed one is judged like any other.
 *
 * The conntrack table lives here, in the filter, not in the dataplane: swapping in a
 * dataplane compiled from changed policies (`setDataplane`) keeps established connections
 * flowing, as Linux conntrack does when iptables/nftables rules change; `revalidate()` drops
 * those the new policies would no longer open, `flush()` drops them all.
 *
 * A TCP segment that cannot open a connection (a SYN-ACK, RST or FIN, or with `tcpLoose` off
 * anything but a SYN) and belongs to none tracked is `invalid`, as Linux conntrack marks it: it
 * is dropped without asking policy, so a stray SYN-ACK is never judged as a new connection in
 * the reverse direction.
 *
 * The hot path (`packetCode`) allocates nothing: it parses into a reused ParsedPacket and
 * returns one number. `packet()` wraps it in a result object, and only for a denial calls the
 * dataplane's explain (allocating) to name the direction and the policies that denied it.
 *
 * Packets carry no destination name: every packet is judged with name class 0, so a
 * cluster-scoped `domainNames` peer (Accept rules only) never matches one; only a flow record
 * with `dstName` can (FlowBatch.nameClass).
 */
import { ALLOW_BOTH, MALFORMED as MALFORMED_BYTE } from '../compile/layout.js';
import { Conntrack, CONNTRACK_OPTIONS, HIT, type ConntrackOptions } from '../conntrack/table.js';
import { checkOptions, pickOptions, type OptionSpec } from '../model/check-options.js';
import { MixedFamiliesError } from '../model/mixed-families.js';
import { hasPorts, PROTOCOL_NUMBERS } from '../model/protocol.js';
import { decodeVerdict } from '../compile/verdict.js';
import type { Kernel } from '../kernels/js-kernel.js';
import { isDenying, type Decision, type DirectionExplanation, type Explanation, type Flow } from '../model/flow.js';
import { decidingPolicies } from '../model/decision.js';
import { FRAGMENT, MALFORMED_REASONS, ParsedPacket, parsePacketInto, type MalformedReason } from './parse.js';

const PROTO_TCP = PROTOCOL_NUMBERS.TCP;

/**
 * What to do with a non-first fragment (no ports; spec §4 "Fragments"):
 * - 'protocol-only' (default, as kube-network-policies does for IPv6): judge it as a flow
 *   with its protocol and no port, so only port-less rules can allow it; not tracked.
 * - 'track': follow the verdict of the first fragment with the same addresses, protocol and
 *   fragment id (as Cilium's fragment map does) for the fragment timeout; a later fragment
 *   whose first fragment was not seen falls back to 'protocol-only'.
 * - 'allow': let every later fragment through (the first fragment carried the decision;
 *   what reassembly drops is the host's business).
 */
export type FragmentPolicy = 'protocol-only' | 'track' | 'allow';

/** A PacketFilter's options: the connection table's (or a table to use) and what to do with later fragments. */
export interface PacketFilterOptions extends ConntrackOptions {
  readonly fragmentPolicy?: FragmentPolicy;
  /** An existing table to use (for example one carried over from another filter). */
  readonly conntrack?: Conntrack;
}

const PACKET_FILTER_OPTIONS: OptionSpec<PacketFilterOptions> = {
  ...CONNTRACK_OPTIONS,
  fragmentPolicy: ['protocol-only', 'track', 'allow'],
  conntrack: { expected: 'a Conntrack', is: (v) => v instanceof Conntrack },
};
const SET_DATAPLANE_OPTIONS: OptionSpec<{ revalidate?: boolean; flush?: boolean }> = { revalidate: 'boolean', flush: 'boolean' };

/** Per-packet state, as `PACKET_STATES[code]`. */
export const PACKET_STATES = ['new', 'established', 'reply', 'fragment', 'invalid'] as const;
/**
 * What a packet was to the filter: a new connection, part of an established one, a reply, a
 * later fragment, or invalid (malformed, or a TCP segment conntrack cannot place: dropped).
 */
export type PacketState = (typeof PACKET_STATES)[number];
export const STATE = { new: 0, established: 1, reply: 2, fragment: 3, invalid: 4 } as const;

/**
 * The packed result of `packetCode`: bits 0-7 the verdict byte (bit 0 allowed, bits 1-3
 * egress, bits 4-6 ingress decision code; 0x80 malformed), bits 8-10 the state, bits 16-23
 * the malformed reason code, bit 11 "judged by policy" (decisions meaningful), bit 12 "no
 * connection" (a well-formed TCP segment that cannot open one and belongs to none: invalid).
 */
export const CODE = { verdictMask: 0xff, stateShift: 8, stateMask: 7, judged: 1 << 11, noConnection: 1 << 12, errorShift: 16 } as const;

/**
 * Why a well-formed packet is `invalid` (PacketResult.invalid): `no-connection`, a TCP segment
 * that cannot open a connection (SYN-ACK, RST, FIN; with `tcpLoose` off anything but a SYN)
 * and belongs to no tracked one, which Linux conntrack marks INVALID.
 */
export type InvalidReason = 'no-connection';

/** The packed code of a packet dropped as `invalid` with no connection. */
const NO_CONNECTION = (STATE.invalid << CODE.stateShift) | CODE.noConnection;

/** Whether the packet packetCode judged passes. */
export const codeAllowed = (code: number): boolean => (code & 1) === 1;
/** The packet's state in a packetCode result. */
export const codeState = (code: number): PacketState => PACKET_STATES[(code >>> CODE.stateShift) & CODE.stateMask]!;
/** Why a well-formed packet was invalid, from a packetCode result; undefined when it was not. */
export const codeInvalid = (code: number): InvalidReason | undefined => (code & CODE.noConnection ? 'no-connection' : undefined);

/** Why a packet was malformed, from a packetCode result; undefined when it was not. */
export const codeError = (code: number): MalformedReason | undefined => {
  const e = (code >>> CODE.errorShift) & 0xff;
  return e === 0 ? undefined : (MALFORMED_REASONS[e] as MalformedReason);
};

/** For a packet dropped by policy: which side denied it and the policies that isolate that side. */
export interface Denial {
  /** Which side's policy dropped it. */
  readonly direction: 'egress' | 'ingress' | 'both';
  /**
   * The policies that denied it: for a NetworkPolicy denial the policies isolating the side
   * (`namespace/name`), for an Admin or Baseline one the cluster-scoped policy whose rule denied
   * (`cnp/name`, `anp/name`, `banp/default`).
   */
  readonly policies: readonly string[];
  readonly egressPolicies: readonly string[];
  readonly ingressPolicies: readonly string[];
  /** `namespace/pod` of the denying side(s), when they are pods. */
  readonly egressPod?: string | null;
  readonly ingressPod?: string | null;
}

/** What the filter did with one packet (PacketFilter.packet). */
export interface PacketResult {
  readonly allowed: boolean;
  readonly state: PacketState;
  /** Malformed packets: why (they are dropped, state 'invalid'). */
  readonly error?: MalformedReason;
  /** Well-formed packets conntrack cannot place (dropped, state 'invalid', not judged by policy): why. */
  readonly invalid?: InvalidReason;
  /** Per-direction decisions, for packets judged by policy (new connections, fragments). */
  readonly egress?: Decision;
  readonly ingress?: Decision;
  readonly denial?: Denial;
  /** The parsed packet (a copy; fields as parsed even for malformed packets). */
  readonly packet: ParsedPacket;
}

/** A PacketFilter's counters since it was made: packets, conntrack hits and misses, malformed and invalid packets. */
export interface PacketFilterStats {
  readonly packets: number;
  readonly hits: number;
  readonly misses: number;
  readonly malformed: number;
  /** Well-formed TCP segments dropped as `invalid` (no connection to belong to); counted in `misses` too. */
  readonly invalid: number;
}

/**
 * What the filter needs from a dataplane: the kernel's entry lookups and verdict for the hot
 * path, explain for denials. A `CompiledDataplane` is one; the filter does not import it (the
 * dataplane makes its own filter, so the other direction would be a cycle).
 */
export interface FilterDataplane {
  readonly kernel: Pick<Kernel, 'entry4' | 'entry6' | 'decide'>;
  /** The explanation of a denied packet's flow (called only for denials). */
  explain(flow: Flow): Explanation;
}

/**
 * The packet path (module comment above): raw IP packets → parse → conntrack → the dataplane's
 * verdict for packets that open a connection. `now` is in seconds and must not go backwards.
 * Throws a TypeError for an unknown option.
 *
 * @example
 * const filter = new PacketFilter(new CompiledDataplane(cluster), { fragmentPolicy: 'track' });
 * const r = filter.packet(ipBytes, Date.now() / 1000);
 * if (!r.allowed) console.log(r.state, r.denial?.policies);
 */
export class PacketFilter<D extends FilterDataplane = FilterDataplane> {
  private dp: D;
  readonly conntrack: Conntrack;
  readonly fragmentPolicy: FragmentPolicy;
  /** The packet last parsed by packetCode (reused: copy it to keep it). */
  readonly last = new ParsedPacket();
  private readonly words = new Uint32Array(8);
  private packets = 0;
  private hits = 0;
  private misses = 0;
  private malformed = 0;
  private invalid = 0;

  constructor(dataplane: D, options: PacketFilterOptions = {}) {
    checkOptions('PacketFilter options', options, PACKET_FILTER_OPTIONS);
    this.dp = dataplane;
    this.conntrack = options.conntrack ?? new Conntrack(pickOptions(options, CONNTRACK_OPTIONS));
    this.fragmentPolicy = options.fragmentPolicy ?? 'protocol-only';
  }

  get dataplane(): D {
    return this.dp;
  }

  /**
   * Switches to a dataplane compiled from changed policies. Tracked connections keep flowing
   * (replies still pass) unless `revalidate` (drop those the new policies would not open) or
   * `flush` (drop all) is asked for. Returns how many connections were dropped.
   */
  setDataplane(dataplane: D, opts: { readonly revalidate?: boolean; readonly flush?: boolean } = {}): number {
    checkOptions('PacketFilter.setDataplane options', opts, SET_DATAPLANE_OPTIONS);
    this.dp = dataplane;
    if (opts.flush) {
      const n = this.conntrack.size;
      this.conntrack.flush();
      return n;
    }
    return opts.revalidate ? this.revalidate() : 0;
  }

  /** Forgets every tracked connection: the next packet of each is judged as new. */
  flush(): void {
    this.conntrack.flush();
  }

  /** Drops the tracked connections the current dataplane would not open now; returns how many. */
  revalidate(): number {
    const k = this.dp.kernel;
    const w = this.words;
    return this.conntrack.retain((e) => {
      let s: number;
      let d: number;
      if (e.family === 4) {
        s = k.entry4(e.src[0]!);
        d = k.entry4(e.dst[0]!);
      } else {
        for (let i = 0; i < 4; i++) {
          w[i] = e.src[i]!;
          w[4 + i] = e.dst[i]!;
        }
        s = k.entry6(w, 0);
        d = k.entry6(w, 4);
      }
      const ports = hasPorts(e.protocol);
      const icmp = e.protocol === PROTOCOL_NUMBERS.ICMP || e.protocol === PROTOCOL_NUMBERS.ICMPv6;
      // Generic entries have no port; ICMP query entries keep the request type as dstPort.
      const port = ports || (icmp && e.srcPort + e.dstPort !== 0) ? e.dstPort : -1;
      return (k.decide(s, d, e.protocol, port, false) & 1) === 1;
    });
  }

  /** The filter's counters (its table's are in `conntrack.stats()`). */
  stats(): PacketFilterStats {
    return { packets: this.packets, hits: this.hits, misses: this.misses, malformed: this.malformed, invalid: this.invalid };
  }

  /** The verdict byte policy gives the parsed packet as a new connection (no port when it has none). */
  private judge(p: ParsedPacket): number {
    const k = this.dp.kernel;
    const s = p.family === 4 ? k.entry4(p.src[0]!) : k.entry6(p.src, 0);
    const d = p.family === 4 ? k.entry4(p.dst[0]!) : k.entry6(p.dst, 0);
    const proto = p.protocol;
    const port = p.hasL4 === 0 ? -1 : hasPorts(proto) ? p.dstPort : p.icmpType;
    return k.decide(s, d, proto, port, false);
  }

  /**
   * The hot path: one packet, `now` in seconds (a capture timestamp or a monotonic clock).
   * Returns the packed code (see CODE); `last` holds the parsed packet. No allocation.
   * `wireLength`: the packet's length on the wire when the bytes are a capture's truncation.
   */
  packetCode(bytes: Uint8Array, now: number, wireLength?: number): number {
    const p = this.last;
    this.packets++;
    const err = parsePacketInto(bytes, p, wireLength);
    if (err !== 0) {
      this.malformed++;
      return MALFORMED_BYTE | (STATE.invalid << CODE.stateShift) | (err << CODE.errorShift);
    }
    const ct = this.conntrack;
    if (p.fragment === FRAGMENT.later) {
      const policy = this.fragmentPolicy;
      if (policy === 'allow') return ALLOW_BOTH | (STATE.fragment << CODE.stateShift);
      if (policy === 'track') {
        const node = ct.find(p, now, true);
        if (node >= 0) {
          ct.update(node, p, now);
          // The first fragment's verdict, not a judgement of this packet.
          return ct.verdictOf(node) | (STATE.fragment << CODE.stateShift);
        }
      }
      return this.judge(p) | (STATE.fragment << CODE.stateShift) | CODE.judged;
    }
    let code: number;
    let node = ct.find(p, now);
    if (node >= 0 && ct.update(node, p, now) === HIT.reopen) node = -1;
    if (node >= 0) {
      this.hits++;
      // Like Linux's ctinfo: the original direction is NEW until the other side answers.
      const state = node & 1 ? STATE.reply : ct.replied(node) ? STATE.established : STATE.new;
      code = ALLOW_BOTH | (state << CODE.stateShift);
    } else {
      this.misses++;
      // A SYN-ACK, RST or FIN of no tracked connection: Linux conntrack's INVALID, never a new
      // connection in its own direction (it would be judged as the reverse of the real one).
      if (p.protocol === PROTO_TCP && p.hasL4 === 1 && !ct.opens(p)) {
        this.invalid++;
        return NO_CONNECTION;
      }
      const v = this.judge(p);
      if (v & 1 && ct.opens(p)) ct.insert(p, now, v);
      code = v | (STATE.new << CODE.stateShift) | CODE.judged;
    }
    // A first fragment leaves its verdict for the later ones.
    if (p.fragment === FRAGMENT.first && this.fragmentPolicy === 'track') ct.insert(p, now, code & 0xff, true);
    return code;
  }

  /** One packet with its result spelled out; denials are explained (allocates). */
  packet(bytes: Uint8Array, now: number, wireLength?: number): PacketResult {
    return this.result(this.packetCode(bytes, now, wireLength));
  }

  /** Packets in order through the same conntrack; `now` per packet or one for all. */
  packetBatch(packets: readonly Uint8Array[], now: number | ArrayLike<number>): PacketResult[] {
    const out: PacketResult[] = new Array(packets.length);
    for (let i = 0; i < packets.length; i++) out[i] = this.packet(packets[i]!, typeof now === 'number' ? now : now[i]!);
    return out;
  }

  /** Packed codes for many packets into `out` (no allocation). */
  packetCodes(packets: readonly Uint8Array[], now: number | ArrayLike<number>, out: Uint32Array): Uint32Array {
    if (out.length < packets.length) throw new RangeError(`out needs ${packets.length} elements`);
    for (let i = 0; i < packets.length; i++) out[i] = this.packetCode(packets[i]!, typeof now === 'number' ? now : now[i]!);
    return out;
  }

  /** Spells out the code of the packet just processed (`last`). */
  result(code: number): PacketResult {
    const packet = this.last.clone();
    const state = codeState(code);
    const error = codeError(code);
    if (error) return { allowed: false, state, error, packet };
    const invalid = codeInvalid(code);
    if (invalid) return { allowed: false, state, invalid, packet };
    const allowed = (code & 1) === 1;
    if (!(code & CODE.judged)) return { allowed, state, packet };
    const v = decodeVerdict(code & 0x7f);
    if (allowed) return { allowed, state, egress: v.egress, ingress: v.ingress, packet };
    return { allowed, state, egress: v.egress, ingress: v.ingress, denial: this.denial(packet, isDenying(v.egress), isDenying(v.ingress)), packet };
  }

  /** The denying direction(s) and the policies that denied, from explain (off the hot path). */
  denial(packet: ParsedPacket, egress: boolean, ingress: boolean): Denial {
    const direction = egress && ingress ? 'both' : egress ? 'egress' : 'ingress';
    try {
      const e = this.dp.explain(packet.toFlow());
      const egressPolicies = egress ? denyingPolicies(e.egressDetail) : [];
      const ingressPolicies = ingress ? denyingPolicies(e.ingressDetail) : [];
      return {
        direction,
        policies: [...new Set([...egressPolicies, ...ingressPolicies])],
        egressPolicies,
        ingressPolicies,
        ...(egress && { egressPod: e.egressDetail.endpoint }),
        ...(ingress && { ingressPod: e.ingressDetail.endpoint }),
      };
    } catch (e) {
      // Only a flow explain cannot represent (mixed families after IPv4-mapped unmapping);
      // anything else (explain disagreeing with the kernel) is a bug to report, not hide.
      if (!(e instanceof MixedFamiliesError)) throw e;
      return { direction, policies: [], egressPolicies: [], ingressPolicies: [] };
    }
  }
}

/** Who denied one direction: the cluster-scoped policy whose rule decided, else the isolating NetworkPolicies. */
const denyingPolicies = (d: DirectionExplanation): readonly string[] => (isDenying(d.decision) ? decidingPolicies(d) : []);
