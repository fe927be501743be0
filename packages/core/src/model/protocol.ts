/** IP protocol numbers for the names flows may use. */
export const PROTOCOL_NUMBERS = { ICMP: 1, TCP: 6, UDP: 17, ICMPv6: 58, SCTP: 132 } as const;

export type ProtocolName = keyof typeof PROTOCOL_NUMBERS;

const NAMES = new Map<number, ProtocolName>(Object.entries(PROTOCOL_NUMBERS).map(([k, v]) => [v, k as ProtocolName]));

/** The name of an IP protocol number (`6` → `TCP`), or the number as text for a protocol without one. */
export const protocolName = (n: number): string => NAMES.get(n) ?? String(n);

const { TCP, UDP, SCTP } = PROTOCOL_NUMBERS;
/** Protocols whose flows carry a destination port. */
export const hasPorts = (n: number): boolean => n === TCP || n === UDP || n === SCTP;

/** Accepts a name (case-insensitive, as users type it in flow files) or a number 0..255. */
export function parseProtocol(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) && value >= 0 && value <= 255 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  if (/^[0-9]{1,3}$/.test(value)) return parseProtocol(Number(value));
  for (const [name, num] of Object.entries(PROTOCOL_NUMBERS)) {
    if (name.toLowerCase() === value.toLowerCase()) return num;
  }
  if (value.toLowerCase() === 'icmp6') return PROTOCOL_NUMBERS.ICMPv6;
  return undefined;
}
