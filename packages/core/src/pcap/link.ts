/**
 * Link-layer headers in front of the IP packet, per LINKTYPE_ (tcpdump.org/linktypes.html):
 * Ethernet with any number of 802.1Q/802.1ad VLAN tags, raw IP (101, and the BSD DLT_RAW
 * values 12 and 14), IPv4 (228) and IPv6 (229), Linux cooked captures SLL (113) and SLL2
 * (276, what `tcpdump -i any` writes), and BSD loopback NULL (0) / LOOP (108).
 */

export const LINKTYPE = { NULL: 0, ETHERNET: 1, RAW: 101, LOOP: 108, LINUX_SLL: 113, IPV4: 228, IPV6: 229, LINUX_SLL2: 276 } as const;

/** linkPayload's result: where the IP packet starts in a frame, or why there is none. */
export type LinkPayload =
  | { readonly ok: true; readonly offset: number }
  | { readonly ok: false; readonly reason: 'not-ip' | 'truncated-link-header' | 'unsupported-link-type'; readonly detail: string };

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const VLAN = new Set([0x8100, 0x88a8, 0x9100, 0x9200]);
const ETHERTYPE_NAMES: Readonly<Record<number, string>> = {
  0x0806: 'ARP',
  0x8035: 'RARP',
  0x88cc: 'LLDP',
  0x8847: 'MPLS',
  0x8863: 'PPPoE discovery',
  0x8864: 'PPPoE',
  0x888e: 'EAPOL',
};

const u16 = (b: Uint8Array, o: number): number => (b[o]! << 8) | b[o + 1]!;

/**
 * The ethertype at b[at], then any VLAN tags from b[payload]: the IP payload offset or why
 * there is none. (Each tag is 2 bytes of TCI and the next ethertype.)
 */
function ethertype(b: Uint8Array, at: number, payload: number): LinkPayload {
  let type = u16(b, at);
  let off = payload;
  while (VLAN.has(type)) {
    if (off + 4 > b.length) return { ok: false, reason: 'truncated-link-header', detail: 'VLAN tag cut short' };
    type = u16(b, off + 2);
    off += 4;
  }
  if (type === ETHERTYPE_IPV4 || type === ETHERTYPE_IPV6) return { ok: true, offset: off };
  const name = type <= 1500 ? '802.3 frame' : (ETHERTYPE_NAMES[type] ?? `ethertype 0x${type.toString(16).padStart(4, '0')}`);
  return { ok: false, reason: 'not-ip', detail: name };
}

/** Where the IP packet starts in a frame of this link type. */
export function linkPayload(linkType: number, b: Uint8Array): LinkPayload {
  switch (linkType) {
    case LINKTYPE.ETHERNET:
      if (b.length < 14) return { ok: false, reason: 'truncated-link-header', detail: `Ethernet header needs 14 bytes, got ${b.length}` };
      return ethertype(b, 12, 14);
    case LINKTYPE.RAW:
    case 12:
    case 14:
    case LINKTYPE.IPV4:
    case LINKTYPE.IPV6:
      return { ok: true, offset: 0 };
    case LINKTYPE.LINUX_SLL:
      if (b.length < 16) return { ok: false, reason: 'truncated-link-header', detail: `SLL header needs 16 bytes, got ${b.length}` };
      return ethertype(b, 14, 16);
    case LINKTYPE.LINUX_SLL2:
      // The protocol field comes first, the packet after the 20-byte header.
      if (b.length < 20) return { ok: false, reason: 'truncated-link-header', detail: `SLL2 header needs 20 bytes, got ${b.length}` };
      return ethertype(b, 0, 20);
    case LINKTYPE.NULL:
    case LINKTYPE.LOOP: {
      if (b.length < 4) return { ok: false, reason: 'truncated-link-header', detail: `loopback header needs 4 bytes, got ${b.length}` };
      // The address family, in the writer's byte order for NULL and big-endian for LOOP.
      const be = ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
      const af = linkType === LINKTYPE.LOOP || be <= 0xffff ? be : ((b[3]! << 24) | (b[2]! << 16) | (b[1]! << 8) | b[0]!) >>> 0;
      if (af === 2 || af === 10 || af === 24 || af === 28 || af === 30) return { ok: true, offset: 4 };
      return { ok: false, reason: 'not-ip', detail: `address family ${af}` };
    }
    default:
      return { ok: false, reason: 'unsupported-link-type', detail: `link type ${linkType}` };
  }
}
