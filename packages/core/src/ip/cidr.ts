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

export type CIDRParse =
  | { readonly ok: true; readonly cidr: CIDR; readonly legacy: LegacyForms }
  | { readonly ok: false };

const maskOf = (bits: number, prefix: number): bigint =>
  ((1n << BigInt(bits)) - 1n) ^ ((1n << BigInt(bits - prefix)) - 1n);

/**
 * Parses `addr/len` the way Go's ParseCIDRSloppy does (the form Kubernetes has always
 * accepted), and reports separately the forms that strict validation (KEP-4858) rejects.
 * An IPv4-mapped IPv6 CIDR evaluates as IPv4, as Go's IPNet.Contains does: the last 32
 * bits of the mask become the IPv4 mask.
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
  if (ip.ipv4Mapped) {
    const p4 = Math.max(0, prefix - 96);
    return { ok: true, legacy, cidr: { family: 4, prefix: p4, base: ip.address.value & 0xffffffffn & maskOf(32, p4) } };
  }
  return { ok: true, legacy, cidr: { family: ip.address.family, prefix, base: ip.address.value & maskOf(bits, prefix) } };
}

export function cidrContains(cidr: CIDR, ip: IPAddress): boolean {
  if (cidr.family !== ip.family) return false;
  const shift = BigInt(bitsOf(cidr.family) - cidr.prefix);
  return ip.value >> shift === cidr.base >> shift;
}

/** `inner` is a strict subset of `outer`: same family, contained, longer prefix (check B7). */
export function isStrictSubset(inner: CIDR, outer: CIDR): boolean {
  return cidrContains(outer, { family: inner.family, value: inner.base }) && outer.prefix < inner.prefix;
}

export const formatCIDR = (c: CIDR): string => `${formatIP({ family: c.family, value: c.base })}/${c.prefix}`;
