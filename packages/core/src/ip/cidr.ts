import { bitsOf, formatIP, parseIPLoose, type Family, type IPAddress } from './address.js';

/** A CIDR as evaluated: the network address is always masked. */
export interface CIDR {
  readonly family: Family;
  readonly base: bigint;
  readonly prefix: number;
}

/** What the legacy (pre-1.36) parser tolerated in a CIDR string. */
export interface LegacyForms {
  readonly leadingZeros: boolean;
  readonly ipv4Mapped: boolean;
  readonly hostBits: boolean;
}

/** parseCIDR's result: the CIDR and what the text had that strict validation refuses, or `ok: false`. */
export type CIDRParse =
  /** `written` is the prefix length as written (Go's Mask.Size(), used by check B7). */
  { readonly ok: true; readonly cidr: CIDR; readonly written: number; readonly legacy: LegacyForms } | { readonly ok: false };

const maskOf = (bits: number, prefix: number): bigint => ((1n << BigInt(bits)) - 1n) ^ ((1n << BigInt(bits - prefix)) - 1n);

/**
 * Parses `addr/len` the way Go's ParseCIDRSloppy does (the form Kubernetes has always
 * accepted), and reports separately the forms that strict validation (KEP-4858) rejects.
 * Go masks the 16-byte address first; when the result is still IPv4-mapped (prefix >= 96)
 * IPNet.Contains treats it as IPv4 with the last 32 bits of the mask, otherwise it stays
 * an IPv6 network. We evaluate it the same way.
 */
export function parseCIDR(text: string): CIDRParse {
  const slash = text.indexOf('/');
  if (slash < 0) return { ok: false };
  const ip = parseIPLoose(text.slice(0, slash));
  const lenText = text.slice(slash + 1);
  if (!ip || !/^[0-9]{1,5}$/.test(lenText)) return { ok: false };
  const prefix = Number(lenText);
  const bits = bitsOf(ip.address.family);
  if (prefix > bits) return { ok: false };
  const hostBits = (ip.address.value & ~maskOf(bits, prefix)) !== 0n;
  const legacy: LegacyForms = {
    leadingZeros: ip.leadingZeros || (lenText.length > 1 && lenText[0] === '0'),
    ipv4Mapped: ip.ipv4Mapped,
    hostBits,
  };
  if (ip.ipv4Mapped && prefix >= 96) {
    const p4 = prefix - 96;
    return { ok: true, legacy, written: prefix, cidr: { family: 4, prefix: p4, base: ip.address.value & 0xffffffffn & maskOf(32, p4) } };
  }
  return { ok: true, legacy, written: prefix, cidr: { family: ip.address.family, prefix, base: ip.address.value & maskOf(bits, prefix) } };
}

/** Whether `ip` is inside `cidr`; addresses of the other family never are. */
export function cidrContains(cidr: CIDR, ip: IPAddress): boolean {
  if (cidr.family !== ip.family) return false;
  const shift = BigInt(bitsOf(cidr.family) - cidr.prefix);
  return ip.value >> shift === cidr.base >> shift;
}

/**
 * Check B7 as Go does it: `outer` contains the network address of `inner`, and the prefix
 * lengths as written (not as evaluated) are shorter outside. Written lengths default to
 * the evaluated ones.
 */
export function isStrictSubset(inner: CIDR, outer: CIDR, innerWritten = inner.prefix, outerWritten = outer.prefix): boolean {
  return cidrContains(outer, { family: inner.family, value: inner.base }) && outerWritten < innerWritten;
}

/** `address/prefix` text of a CIDR (its masked network address), e.g. `10.0.0.0/8`, `2001:db8::/32`. */
export const formatCIDR = (c: CIDR): string => `${formatIP({ family: c.family, value: c.base })}/${c.prefix}`;
