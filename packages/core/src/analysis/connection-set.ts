/** What one endpoint may open to another: port ranges per protocol, and the protocols without ports. */

/** An inclusive range of port numbers (1-65535). */
export interface PortRange {
  readonly start: number;
  readonly end: number;
}

/**
 * The connections allowed from one endpoint to another: for TCP, UDP and SCTP a sorted list of
 * disjoint, non-adjacent inclusive port ranges within 1-65535, and whether every protocol without
 * ports (ICMP, ICMPv6, ...) is allowed.
 */
export interface ConnectionSet {
  readonly tcp: readonly PortRange[];
  readonly udp: readonly PortRange[];
  readonly sctp: readonly PortRange[];
  /** Every protocol other than TCP, UDP and SCTP (the image's port class 0). */
  readonly otherProtocols: boolean;
}

/** Options of the ConnectionSet predicates. */
export interface ConnectionSetOptions {
  /** Leave `otherProtocols` out (netpol-analyzer only knows TCP, UDP and SCTP). */
  readonly ignoreOtherProtocols?: boolean;
}

const PROTOCOLS = ['tcp', 'udp', 'sctp'] as const;

const isFull = (r: readonly PortRange[]): boolean => r.length === 1 && r[0]!.start === 1 && r[0]!.end === 65535;

/** Every port of TCP, UDP and SCTP, and (unless ignored) every other protocol. */
export function isAllConnections(c: ConnectionSet, opts: ConnectionSetOptions = {}): boolean {
  return PROTOCOLS.every((p) => isFull(c[p])) && (opts.ignoreOtherProtocols === true || c.otherProtocols);
}

/** No port of any protocol, and (unless ignored) no other protocol. */
export function isNoConnections(c: ConnectionSet, opts: ConnectionSetOptions = {}): boolean {
  return PROTOCOLS.every((p) => c[p].length === 0) && (opts.ignoreOtherProtocols === true || !c.otherProtocols);
}

const sameRanges = (a: readonly PortRange[], b: readonly PortRange[]): boolean =>
  a.length === b.length && a.every((r, i) => r.start === b[i]!.start && r.end === b[i]!.end);

/** Equal sets (ranges are canonical, so equal sets have equal lists). */
export function sameConnections(a: ConnectionSet, b: ConnectionSet, opts: ConnectionSetOptions = {}): boolean {
  return PROTOCOLS.every((p) => sameRanges(a[p], b[p])) && (opts.ignoreOtherProtocols === true || a.otherProtocols === b.otherProtocols);
}

function intersectRanges(a: readonly PortRange[], b: readonly PortRange[]): PortRange[] {
  const out: PortRange[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const start = Math.max(a[i]!.start, b[j]!.start);
    const end = Math.min(a[i]!.end, b[j]!.end);
    if (start <= end) out.push({ start, end });
    if (a[i]!.end < b[j]!.end) i++;
    else j++;
  }
  return out;
}

/** What both sets allow. */
export function intersectConnections(a: ConnectionSet, b: ConnectionSet): ConnectionSet {
  return {
    tcp: intersectRanges(a.tcp, b.tcp),
    udp: intersectRanges(a.udp, b.udp),
    sctp: intersectRanges(a.sctp, b.sctp),
    otherProtocols: a.otherProtocols && b.otherProtocols,
  };
}

/** The empty set. */
export const NO_CONNECTIONS: ConnectionSet = Object.freeze({ tcp: [], udp: [], sctp: [], otherProtocols: false });
