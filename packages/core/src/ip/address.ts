/**
 * IP addresses as plain numbers. The reference layer keeps an address as a bigint so that
 * containment is one shift and compare, which is easy to check by eye; the compiled layer
 * will use u32 words. Parsing is strict (dotted quad, no zones, no inet_aton forms) because
 * the Kubernetes API rejects everything else.
 */
export type Family = 4 | 6;

export interface IPAddress {
  readonly family: Family;
  /** 32-bit (IPv4) or 128-bit (IPv6) unsigned value. */
  readonly value: bigint;
}

export const bitsOf = (family: Family): number => (family === 4 ? 32 : 128);

/** Parsed IPv4 octets, or undefined. `allowLeadingZeros` mirrors Go's legacy parser. */
function parseIPv4Octets(text: string, allowLeadingZeros: boolean): { value: bigint; leadingZeros: boolean } | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0n;
  let leadingZeros = false;
  for (const part of parts) {
    if (!/^[0-9]{1,3}$/.test(part)) return undefined;
    if (part.length > 1 && part[0] === '0') {
      if (!allowLeadingZeros) return undefined;
      leadingZeros = true;
    }
    const n = Number(part);
    if (n > 255) return undefined;
    value = (value << 8n) | BigInt(n);
  }
  return { value, leadingZeros };
}

interface ParsedIP {
  readonly address: IPAddress;
  /** An IPv4 octet had a leading zero (accepted by the legacy parser only). */
  readonly leadingZeros: boolean;
  /** The text was an IPv4-mapped IPv6 address (::ffff:a.b.c.d). */
  readonly ipv4Mapped: boolean;
}

function parseIPv6(text: string, allowLeadingZeros: boolean): ParsedIP | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(text)) return undefined;
  let tail: bigint[] = [];
  let leadingZeros = false;
  // An embedded IPv4 suffix takes the last two groups.
  let groupsText = text;
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.', lastColon)) {
    const v4 = parseIPv4Octets(text.slice(lastColon + 1), allowLeadingZeros);
    if (!v4) return undefined;
    leadingZeros = v4.leadingZeros;
    tail = [v4.value >> 16n, v4.value & 0xffffn];
    const prefix = text.slice(0, lastColon + 1);
    groupsText = prefix.endsWith('::') ? prefix : prefix.slice(0, -1);
  }
  const halves = groupsText.split('::');
  if (halves.length > 2) return undefined;
  const parseGroups = (s: string): bigint[] | undefined => {
    if (s === '') return [];
    const out: bigint[] = [];
    for (const g of s.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      out.push(BigInt('0x' + g));
    }
    return out;
  };
  const head = parseGroups(halves[0] ?? '');
  const rest = halves.length === 2 ? parseGroups(halves[1] ?? '') : [];
  if (!head || !rest) return undefined;
  const explicit = head.length + rest.length + tail.length;
  let groups: bigint[];
  if (halves.length === 2) {
    if (explicit > 7) return undefined;
    groups = [...head, ...new Array<bigint>(8 - explicit).fill(0n), ...rest, ...tail];
  } else {
    if (explicit !== 8) return undefined;
    groups = [...head, ...tail];
  }
  let value = 0n;
  for (const g of groups) value = (value << 16n) | g;
  const ipv4Mapped = value >> 32n === 0xffffn;
  return { address: { family: 6, value }, leadingZeros, ipv4Mapped };
}

/** Parses an address, tolerating the legacy forms; the flags say what was tolerated. */
export function parseIPLoose(text: string): ParsedIP | undefined {
  if (text.includes(':')) return parseIPv6(text, true);
  const v4 = parseIPv4Octets(text, true);
  return v4 && { address: { family: 4, value: v4.value }, leadingZeros: v4.leadingZeros, ipv4Mapped: false };
}

/** Strict parse: canonical-enough dotted quad or IPv6 text, no leading zeros. */
export function parseIP(text: string): IPAddress | undefined {
  const parsed = parseIPLoose(text);
  return parsed && !parsed.leadingZeros ? parsed.address : undefined;
}

/** IPv4-mapped IPv6 (::ffff:a.b.c.d) → IPv4, anything else unchanged. */
export function unmapIPv4(ip: IPAddress): IPAddress {
  return ip.family === 6 && ip.value >> 32n === 0xffffn ? { family: 4, value: ip.value & 0xffffffffn } : ip;
}

export function formatIP(ip: IPAddress): string {
  if (ip.family === 4) {
    const v = ip.value;
    return [24n, 16n, 8n, 0n].map((s) => String((v >> s) & 0xffn)).join('.');
  }
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((ip.value >> BigInt(i * 16)) & 0xffffn));
  if (ip.value >> 32n === 0xffffn) return `::ffff:${formatIP({ family: 4, value: ip.value & 0xffffffffn })}`;
  // RFC 5952: compress the longest run (length >= 2) of zero groups, the first one on ties.
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

export const ipEquals = (a: IPAddress, b: IPAddress): boolean => a.family === b.family && a.value === b.value;

/**
 * A key for maps: IPv4 as a plain number (cheap: most keys are pod IPv4s), IPv6 as a
 * string. The two never collide.
 */
/** An address as big-endian u32 words, as the image's tries and host table read it: one for IPv4, four for IPv6. */
export const addressWords = (value: bigint, family: Family): number[] =>
  family === 4 ? [Number(value)] : [96n, 64n, 32n, 0n].map((sh) => Number((value >> sh) & 0xffffffffn));

export const ipKey = (ip: IPAddress): number | string => (ip.family === 4 ? Number(ip.value) : `6:${ip.value.toString(16)}`);
