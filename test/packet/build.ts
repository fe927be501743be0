/** Packet and capture builders for the packet-path tests (crafted edge cases). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const FIXTURES = join(import.meta.dirname, '../fixtures/pcap');
export const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(join(FIXTURES, name)));

export function v4(text: string): number[] {
  return text.split('.').map(Number);
}

/** 16 bytes of an IPv6 address written as eight groups, '::' allowed. */
export function v6(text: string): number[] {
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const groups = [...h, ...new Array(8 - h.length - t.length).fill('0'), ...t].map((g) => parseInt(g, 16));
  return groups.flatMap((g) => [g >> 8, g & 255]);
}

const be16 = (n: number): number[] => [(n >> 8) & 255, n & 255];
const be32 = (n: number): number[] => [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];

export const TCP_FLAGS = { F: 1, S: 2, R: 4, P: 8, A: 16 } as const;

export function tcp(sport: number, dport: number, flags: number = TCP_FLAGS.S, payload: number[] = [], options: number[] = []): number[] {
  const doff = (20 + options.length) / 4;
  return [...be16(sport), ...be16(dport), ...be32(1000), ...be32(0), doff << 4, flags, ...be16(65535), 0, 0, 0, 0, ...options, ...payload];
}

export function udp(sport: number, dport: number, payload: number[] = []): number[] {
  return [...be16(sport), ...be16(dport), ...be16(8 + payload.length), 0, 0, ...payload];
}

export function sctp(sport: number, dport: number): number[] {
  return [...be16(sport), ...be16(dport), 0, 0, 0, 1, 0, 0, 0, 0];
}

export function icmp(type: number, code = 0, id = 0x1234, seq = 1, payload: number[] = []): number[] {
  return [type, code, 0, 0, ...be16(id), ...be16(seq), ...payload];
}

export interface V4Options {
  src?: string;
  dst?: string;
  protocol: number;
  /** IPv4 options bytes (padded to 4 by the caller). */
  options?: number[];
  id?: number;
  /** Fragment offset in bytes (multiple of 8). */
  fragOffset?: number;
  more?: boolean;
  df?: boolean;
  /** Override the total length field. */
  totalLength?: number;
}

export function ipv4(o: V4Options, payload: number[]): Uint8Array {
  const opts = o.options ?? [];
  const ihl = 5 + opts.length / 4;
  const total = o.totalLength ?? ihl * 4 + payload.length;
  const frag = ((o.fragOffset ?? 0) / 8) | (o.more ? 0x2000 : 0) | (o.df ? 0x4000 : 0);
  return Uint8Array.from([
    0x40 | ihl,
    0,
    ...be16(total),
    ...be16(o.id ?? 1),
    ...be16(frag),
    64,
    o.protocol,
    0,
    0,
    ...v4(o.src ?? '10.244.1.10'),
    ...v4(o.dst ?? '10.244.1.20'),
    ...opts,
    ...payload,
  ]);
}

/** An IPv6 extension header: next-header is filled in by ipv6(). */
export type Ext =
  | { kind: 'hop' | 'routing' | 'dest'; len?: number }
  | { kind: 'fragment'; offset: number; more: boolean; id?: number }
  | { kind: 'ah'; len?: number };

const EXT_NUMBER = { hop: 0, routing: 43, dest: 60, fragment: 44, ah: 51 } as const;

export function ipv6(o: { src?: string; dst?: string; protocol: number; ext?: Ext[]; payloadLength?: number }, payload: number[]): Uint8Array {
  const ext = o.ext ?? [];
  const headers: number[][] = [];
  ext.forEach((e, i) => {
    const next = i + 1 < ext.length ? EXT_NUMBER[ext[i + 1]!.kind] : o.protocol;
    if (e.kind === 'fragment') headers.push([next, 0, ...be16(e.offset | (e.more ? 1 : 0)), ...be32(e.id ?? 0xabcdef01)]);
    else if (e.kind === 'ah') {
      const len = e.len ?? 4; // (len + 2) * 4 bytes
      headers.push([next, len, 0, 0, ...new Array((len + 2) * 4 - 4).fill(0)]);
    } else {
      const len = e.len ?? 0; // (len + 1) * 8 bytes
      headers.push([next, len, ...new Array((len + 1) * 8 - 2).fill(1)]);
    }
  });
  const body = [...headers.flat(), ...payload];
  const first = ext.length ? EXT_NUMBER[ext[0]!.kind] : o.protocol;
  return Uint8Array.from([
    0x60,
    0,
    0,
    0,
    ...be16(o.payloadLength ?? body.length),
    first,
    64,
    ...v6(o.src ?? 'fd00:10:244:1::10'),
    ...v6(o.dst ?? 'fd00:10:244:1::20'),
    ...body,
  ]);
}

export function ethernet(ip: Uint8Array, vlans: number[] = [], ethertype = ip[0]! >> 4 === 6 ? 0x86dd : 0x0800): Uint8Array {
  const tags = vlans.flatMap((tpid, i) => [...be16(tpid), ...be16(100 + i)]);
  return Uint8Array.from([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, ...tags, ...be16(ethertype), ...ip]);
}

/** A classic pcap file: little- or big-endian, µs or ns. */
export function pcap(
  records: { data: Uint8Array; sec?: number; frac?: number; orig?: number }[],
  opts: { linkType?: number; bigEndian?: boolean; nanos?: boolean; snaplen?: number } = {},
): Uint8Array {
  const le = !opts.bigEndian;
  const parts: Uint8Array[] = [];
  const head = new DataView(new ArrayBuffer(24));
  head.setUint32(0, opts.nanos ? 0xa1b23c4d : 0xa1b2c3d4, le);
  head.setUint16(4, 2, le);
  head.setUint16(6, 4, le);
  head.setUint32(16, opts.snaplen ?? 262144, le);
  head.setUint32(20, opts.linkType ?? 1, le);
  parts.push(new Uint8Array(head.buffer));
  for (const r of records) {
    const h = new DataView(new ArrayBuffer(16));
    h.setUint32(0, r.sec ?? 1700000000, le);
    h.setUint32(4, r.frac ?? 0, le);
    h.setUint32(8, r.data.length, le);
    h.setUint32(12, r.orig ?? r.data.length, le);
    parts.push(new Uint8Array(h.buffer), r.data);
  }
  return concat(parts);
}

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** pcapng blocks in the given byte order. */
export class Pcapng {
  private parts: Uint8Array[] = [];
  constructor(private readonly le = true) {}

  private block(type: number, body: Uint8Array): this {
    const pad = (4 - (body.length % 4)) % 4;
    const len = 12 + body.length + pad;
    const b = new Uint8Array(len);
    const v = new DataView(b.buffer);
    v.setUint32(0, type, this.le);
    v.setUint32(4, len, this.le);
    b.set(body, 8);
    v.setUint32(len - 4, len, this.le);
    this.parts.push(b);
    return this;
  }

  private body(n: number, fill: (v: DataView) => void, tail?: Uint8Array): Uint8Array {
    const b = new Uint8Array(n + (tail?.length ?? 0));
    fill(new DataView(b.buffer));
    if (tail) b.set(tail, n);
    return b;
  }

  shb(): this {
    return this.block(
      0x0a0d0d0a,
      this.body(16, (v) => {
        v.setUint32(0, 0x1a2b3c4d, this.le);
        v.setUint16(4, 1, this.le);
        v.setUint16(6, 0, this.le);
        v.setInt32(8, -1, this.le);
        v.setInt32(12, -1, this.le);
      }),
    );
  }

  /** tsresol: the if_tsresol byte (undefined: no option, µs). */
  idb(linkType: number, tsresol?: number, snaplen = 0): this {
    const opts = tsresol === undefined ? [] : [9, 0, 1, 0, tsresol, 0, 0, 0];
    const o = new Uint8Array(opts.length ? opts.length + 4 : 0);
    if (opts.length) {
      const v = new DataView(o.buffer);
      v.setUint16(0, 9, this.le);
      v.setUint16(2, 1, this.le);
      o[4] = tsresol!;
      // opt_endofopt
    }
    return this.block(
      1,
      this.body(
        8,
        (v) => {
          v.setUint16(0, linkType, this.le);
          v.setUint32(4, snaplen, this.le);
        },
        o,
      ),
    );
  }

  epb(iface: number, ts: bigint, data: Uint8Array, orig = data.length): this {
    return this.block(
      6,
      this.body(
        20,
        (v) => {
          v.setUint32(0, iface, this.le);
          v.setUint32(4, Number(ts >> 32n), this.le);
          v.setUint32(8, Number(ts & 0xffffffffn), this.le);
          v.setUint32(12, data.length, this.le);
          v.setUint32(16, orig, this.le);
        },
        data,
      ),
    );
  }

  spb(data: Uint8Array, orig = data.length): this {
    return this.block(
      3,
      this.body(4, (v) => v.setUint32(0, orig, this.le), data),
    );
  }

  /** A block of a type readers must skip (a name resolution block, empty). */
  other(type = 4): this {
    return this.block(type, new Uint8Array(4));
  }

  bytes(): Uint8Array {
    return concat(this.parts);
  }
}

/** Rewrites a little-endian classic pcap as big-endian (headers swapped, data untouched). */
export function pcapToBigEndian(le: Uint8Array): Uint8Array {
  const out = le.slice();
  const src = new DataView(le.buffer, le.byteOffset, le.byteLength);
  const dst = new DataView(out.buffer);
  dst.setUint32(0, src.getUint32(0, true), false);
  dst.setUint16(4, src.getUint16(4, true), false);
  dst.setUint16(6, src.getUint16(6, true), false);
  for (const o of [8, 12, 16, 20]) dst.setUint32(o, src.getUint32(o, true), false);
  let off = 24;
  while (off + 16 <= le.length) {
    const incl = src.getUint32(off + 8, true);
    for (let i = 0; i < 16; i += 4) dst.setUint32(off + i, src.getUint32(off + i, true), false);
    off += 16 + incl;
  }
  return out;
}
