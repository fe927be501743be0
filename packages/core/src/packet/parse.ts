/**
 * Raw IP packets → the flow key policy needs: addresses, protocol, ports (or ICMP type, code
 * and echo id), TCP flags and fragment facts. A pure function over bytes, after
 * kube-network-policies' `pkg/network/packet.go`, but allocation-free: `parsePacketInto`
 * fills a caller-owned `ParsedPacket` (numbers and two 4-word address arrays) and returns 0
 * or a malformed-reason code. It never throws and never reads past the bytes it was given.
 *
 * What it checks is what a host stack checks before it hands a packet to L4: version, header
 * lengths, total/payload length against the bytes, the IPv6 extension-header chain, and that
 * the L4 header the policy needs (ports, ICMP type) is present. Checksums are not verified
 * (captures of locally generated traffic carry offloaded, unfilled checksums).
 *
 * Fragments (RFC 791, RFC 8200 §4.5): only the fragment at offset 0 carries the L4 header.
 * A later fragment is reported with its protocol, `fragment = FRAGMENT.later` and no ports;
 * what a filter does with it is its `fragmentPolicy` (see filter.ts).
 */
import type { IPAddress } from '../ip/address.js';
import type { Flow } from '../model/flow.js';
import { hasPorts, PROTOCOL_NUMBERS } from '../model/protocol.js';

/** Malformed reasons; `MALFORMED_REASONS[code]` is the name, code 0 means the packet is fine. */
export const MALFORMED_REASONS = [
  'ok',
  'too-short', // fewer bytes than the fixed IP header
  'bad-version', // the version nibble is neither 4 nor 6
  'bad-header-length', // IPv4 IHL < 5, or IHL*4 beyond the total length
  'bad-total-length', // IPv4 total length < 20 or beyond the packet; IPv6 payload beyond the packet
  'truncated-l4', // the L4 header (ports, ICMP type/id) does not fit in the packet
  'truncated-extension-header', // an IPv6 extension header runs past the packet
  'bad-extension-header', // hop-by-hop options anywhere but first (RFC 8200 §4.1)
  'bad-l4-header', // TCP data offset < 5 or beyond the packet
] as const;
/** Why a packet was refused as malformed (`PacketResult.error`); MALFORMED_REASONS lists them. */
export type MalformedReason = Exclude<(typeof MALFORMED_REASONS)[number], 'ok'>;

export const MALFORMED = {
  tooShort: 1,
  badVersion: 2,
  badHeaderLength: 3,
  badTotalLength: 4,
  truncatedL4: 5,
  truncatedExtensionHeader: 6,
  badExtensionHeader: 7,
  badL4Header: 8,
} as const;

/** `ParsedPacket.fragment`. */
export const FRAGMENT = { none: 0, first: 1, later: 2 } as const;

/** TCP flag bits as in the header's 13th byte. */
export const TCP = { FIN: 1, SYN: 2, RST: 4, PSH: 8, ACK: 16, URG: 32, ECE: 64, CWR: 128 } as const;

// Bound once: the parser reads them per packet, and an imported object's property per use costs.
const PROTO_ICMP = PROTOCOL_NUMBERS.ICMP;
const PROTO_TCP = PROTOCOL_NUMBERS.TCP;
const PROTO_UDP = PROTOCOL_NUMBERS.UDP;
const PROTO_ICMPV6 = PROTOCOL_NUMBERS.ICMPv6;
const PROTO_SCTP = PROTOCOL_NUMBERS.SCTP;

/**
 * One parsed packet. Reuse one instance per loop: `parsePacketInto` overwrites every field.
 * Addresses are big-endian u32 words; IPv4 uses word 0 and leaves 1-3 zero.
 */
export class ParsedPacket {
  /** 0 (nothing parsed or malformed before the version was known), 4 or 6. */
  family = 0;
  /** 0 or a MALFORMED code. */
  error = 0;
  /** The IP protocol / final IPv6 next header (50 ESP, 59 no next header included). */
  protocol = 0;
  readonly src = new Uint32Array(4);
  readonly dst = new Uint32Array(4);
  /** 1 when the L4 header was parsed (ports or ICMP fields are meaningful). */
  hasL4: 0 | 1 = 0;
  srcPort = 0;
  dstPort = 0;
  /** TCP flags (low 8 bits of the flags field; see TCP). */
  tcpFlags = 0;
  /** -1 unless ICMP/ICMPv6 with an L4 header. */
  icmpType = -1;
  icmpCode = -1;
  /** Echo/timestamp identifier, -1 for other ICMP types. */
  icmpId = -1;
  /** FRAGMENT.none, first (offset 0 with more to come) or later (offset > 0). */
  fragment = 0;
  /** Fragment offset in bytes. */
  fragmentOffset = 0;
  /** IPv4 identification (16 bits) or IPv6 fragment identification (32 bits). */
  fragmentId = 0;
  /** Byte offset of the L4 header (or of the fragment payload). */
  l4Offset = 0;
  /** End of the IP packet within the bytes (total length, capped by what was captured). */
  ipEnd = 0;

  get reason(): MalformedReason | undefined {
    return this.error === 0 ? undefined : (MALFORMED_REASONS[this.error] as MalformedReason | undefined);
  }

  /** The source as a model address (allocates). */
  srcIP(): IPAddress {
    return wordsToIP(this.family, this.src);
  }

  /** The destination as a model address (allocates). */
  dstIP(): IPAddress {
    return wordsToIP(this.family, this.dst);
  }

  /**
   * The flow policy judges for this packet (allocates; off the hot path). TCP/UDP/SCTP
   * without an L4 header (later fragments) have no port: only port-less rules match them.
   */
  toFlow(established = false): Flow {
    const l4 = this.hasL4 === 1;
    const ports = hasPorts(this.protocol);
    return {
      src: this.srcIP(),
      dst: this.dstIP(),
      protocol: this.protocol,
      ...(ports && l4 && { port: this.dstPort }),
      ...(!ports && l4 && this.icmpType >= 0 && { icmpType: this.icmpType }),
      ...(established && { established: true }),
    };
  }

  /** A copy that later parses into the original do not change. */
  clone(): ParsedPacket {
    const c = Object.assign(new ParsedPacket(), this) as ParsedPacket;
    (c as { src: Uint32Array }).src = this.src.slice();
    (c as { dst: Uint32Array }).dst = this.dst.slice();
    return c;
  }
}

function wordsToIP(family: number, w: Uint32Array): IPAddress {
  if (family === 4) return { family: 4, value: BigInt(w[0]!) };
  let v = 0n;
  for (let i = 0; i < 4; i++) v = (v << 32n) | BigInt(w[i]!);
  return { family: 6, value: v };
}

const u16 = (b: Uint8Array, o: number): number => (b[o]! << 8) | b[o + 1]!;
const u32 = (b: Uint8Array, o: number): number => ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;

function reset(p: ParsedPacket): void {
  p.family = 0;
  p.error = 0;
  p.protocol = 0;
  const s = p.src;
  const d = p.dst;
  s[0] = s[1] = s[2] = s[3] = 0;
  d[0] = d[1] = d[2] = d[3] = 0;
  p.hasL4 = 0;
  p.srcPort = 0;
  p.dstPort = 0;
  p.tcpFlags = 0;
  p.icmpType = -1;
  p.icmpCode = -1;
  p.icmpId = -1;
  p.fragment = 0;
  p.fragmentOffset = 0;
  p.fragmentId = 0;
  p.l4Offset = 0;
  p.ipEnd = 0;
}

/**
 * Parses the IP packet at `bytes[0..]` into `out`; returns 0 or a MALFORMED code (also left
 * in `out.error`). `wireLength` is the packet's length on the wire when the capture kept
 * fewer bytes (pcap snaplen): length fields are checked against it, and the L4 header must
 * still lie within the captured bytes.
 */
export function parsePacketInto(bytes: Uint8Array, out: ParsedPacket, wireLength: number = bytes.length): number {
  reset(out);
  const n = bytes.length;
  if (n < 1) return (out.error = MALFORMED.tooShort);
  const wire = wireLength > n ? wireLength : n;
  const version = bytes[0]! >>> 4;
  if (version === 4) return ipv4(bytes, n, wire, out);
  if (version === 6) return ipv6(bytes, n, wire, out);
  return (out.error = MALFORMED.badVersion);
}

function ipv4(b: Uint8Array, n: number, wire: number, p: ParsedPacket): number {
  p.family = 4;
  if (n < 20) return (p.error = MALFORMED.tooShort);
  const ihl = (b[0]! & 15) * 4;
  const total = u16(b, 2);
  if (ihl < 20) return (p.error = MALFORMED.badHeaderLength);
  if (total < 20 || total > wire) return (p.error = MALFORMED.badTotalLength);
  if (ihl > total) return (p.error = MALFORMED.badHeaderLength);
  if (ihl > n) return (p.error = MALFORMED.tooShort);
  p.protocol = b[9]!;
  p.src[0] = u32(b, 12);
  p.dst[0] = u32(b, 16);
  const frag = u16(b, 6);
  const offset = (frag & 0x1fff) * 8;
  const more = (frag & 0x2000) !== 0;
  p.fragmentId = u16(b, 4);
  p.fragmentOffset = offset;
  p.l4Offset = ihl;
  p.ipEnd = total < n ? total : n;
  if (offset !== 0) {
    p.fragment = FRAGMENT.later;
    return 0;
  }
  if (more) p.fragment = FRAGMENT.first;
  return l4(b, ihl, p.ipEnd, total, p);
}

function ipv6(b: Uint8Array, n: number, wire: number, p: ParsedPacket): number {
  p.family = 6;
  if (n < 40) return (p.error = MALFORMED.tooShort);
  const total = 40 + u16(b, 4);
  if (total > wire) return (p.error = MALFORMED.badTotalLength);
  for (let i = 0; i < 4; i++) {
    p.src[i] = u32(b, 8 + 4 * i);
    p.dst[i] = u32(b, 24 + 4 * i);
  }
  const end = total < n ? total : n;
  p.ipEnd = end;
  let next = b[6]!;
  let off = 40;
  // Each extension header takes at least 8 bytes, so the walk ends within end/8 steps.
  for (;;) {
    // Hop-by-hop options may only come directly after the fixed header.
    if (next === 0 && off !== 40) {
      p.protocol = next;
      return (p.error = MALFORMED.badExtensionHeader);
    }
    switch (next) {
      case 0: // hop-by-hop options
      case 43: // routing
      case 60: // destination options
      case 135: // mobility
      case 139: // HIP
      case 140: // shim6
        {
          if (off + 8 > end) return (p.error = MALFORMED.truncatedExtensionHeader);
          const len = (b[off + 1]! + 1) * 8;
          if (off + len > end) return (p.error = MALFORMED.truncatedExtensionHeader);
          next = b[off]!;
          off += len;
          continue;
        }
      case 51: {
        // authentication header: length in 4-byte units minus 2
        if (off + 8 > end) return (p.error = MALFORMED.truncatedExtensionHeader);
        const len = (b[off + 1]! + 2) * 4;
        if (off + len > end) return (p.error = MALFORMED.truncatedExtensionHeader);
        next = b[off]!;
        off += len;
        continue;
      }
      case 44: {
        // fragment header: fixed 8 bytes
        if (off + 8 > end) return (p.error = MALFORMED.truncatedExtensionHeader);
        const fo = u16(b, off + 2);
        const offset = fo & 0xfff8;
        p.fragmentId = u32(b, off + 4);
        p.fragmentOffset = offset;
        next = b[off]!;
        off += 8;
        if (offset !== 0) {
          p.fragment = FRAGMENT.later;
          p.protocol = next;
          p.l4Offset = off;
          return 0;
        }
        // Offset 0: the first fragment, or an atomic fragment (RFC 6946) that is whole.
        if (fo & 1) p.fragment = FRAGMENT.first;
        continue;
      }
      default:
        // ESP (50) and no-next-header (59) end the chain without ports, as does any
        // protocol l4() does not know.
        p.protocol = next;
        p.l4Offset = off;
        return l4(b, off, end, total, p);
    }
  }
}

/** The L4 header at b[off..end); `total` is the IP length on the wire (TCP data offset check). */
function l4(b: Uint8Array, off: number, end: number, total: number, p: ParsedPacket): number {
  const proto = p.protocol;
  if (proto === PROTO_TCP) {
    if (off + 20 > end) return (p.error = MALFORMED.truncatedL4);
    const doff = (b[off + 12]! >>> 4) * 4;
    // A first fragment may legitimately end inside the TCP options.
    if (doff < 20 || (p.fragment === FRAGMENT.none && off + doff > total)) return (p.error = MALFORMED.badL4Header);
    p.srcPort = u16(b, off);
    p.dstPort = u16(b, off + 2);
    p.tcpFlags = b[off + 13]!;
    p.hasL4 = 1;
    return 0;
  }
  if (proto === PROTO_UDP) {
    if (off + 8 > end) return (p.error = MALFORMED.truncatedL4);
    p.srcPort = u16(b, off);
    p.dstPort = u16(b, off + 2);
    p.hasL4 = 1;
    return 0;
  }
  if (proto === PROTO_SCTP) {
    if (off + 12 > end) return (p.error = MALFORMED.truncatedL4);
    p.srcPort = u16(b, off);
    p.dstPort = u16(b, off + 2);
    p.hasL4 = 1;
    return 0;
  }
  if ((proto === PROTO_ICMP && p.family === 4) || (proto === PROTO_ICMPV6 && p.family === 6)) {
    if (off + 4 > end) return (p.error = MALFORMED.truncatedL4);
    const type = b[off]!;
    p.icmpType = type;
    p.icmpCode = b[off + 1]!;
    if (hasIcmpId(p.family, type)) {
      if (off + 8 > end) return (p.error = MALFORMED.truncatedL4);
      p.icmpId = u16(b, off + 4);
    }
    p.hasL4 = 1;
    return 0;
  }
  return 0;
}

/** ICMP queries that carry an identifier: echo, timestamp, information (v4); echo (v6). */
export function hasIcmpId(family: number, type: number): boolean {
  if (family === 4) return type === 8 || type === 0 || type === 13 || type === 14 || type === 15 || type === 16;
  return type === 128 || type === 129;
}

/** parsePacket's result: the parsed packet, or the reason it is malformed (with the fields parsed so far). */
export type PacketParse =
  | { readonly ok: true; readonly packet: ParsedPacket }
  | { readonly ok: false; readonly reason: MalformedReason; readonly packet: ParsedPacket };

/** Parses into a new ParsedPacket: the convenient form (`parsePacketInto` is the loop form). */
export function parsePacket(bytes: Uint8Array, wireLength?: number): PacketParse {
  const packet = new ParsedPacket();
  const code = parsePacketInto(bytes, packet, wireLength);
  return code === 0 ? { ok: true, packet } : { ok: false, reason: MALFORMED_REASONS[code] as MalformedReason, packet };
}

/** TCP flags as tcpdump prints them: S, S., P., F., R, ... */
export function tcpFlagsText(flags: number): string {
  let s = '';
  if (flags & TCP.SYN) s += 'S';
  if (flags & TCP.FIN) s += 'F';
  if (flags & TCP.RST) s += 'R';
  if (flags & TCP.PSH) s += 'P';
  if (flags & TCP.URG) s += 'U';
  if (flags & TCP.ECE) s += 'E';
  if (flags & TCP.CWR) s += 'W';
  if (flags & TCP.ACK) s += '.';
  return s === '' ? 'none' : s;
}
