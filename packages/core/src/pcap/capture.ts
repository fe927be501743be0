/**
 * pcap and pcapng readers over bytes in memory, hand-written (the npm readers are stale and
 * know neither pcapng nor nanosecond files; anchors B6). Records are views into the input,
 * not copies. Nothing here throws on bad input: `openCapture` says why a file is not a
 * capture, and a reader that meets a broken or truncated block stops and says so in
 * `problem` (everything before it has been yielded). A record whose interface is unknown is
 * yielded with an `error` and no data.
 *
 * pcap (pcap-savefile(5)): magic a1b2c3d4 (µs) or a1b23c4d (ns), either byte order; the FCS
 * bits of the link-type field are honoured (the FCS is cut off the data).
 * pcapng (draft-ietf-opsawg-pcapng): sections (SHB, byte order per section), interfaces (IDB:
 * link type, snaplen, if_tsresol, if_tsoffset, if_fcslen), enhanced, simple and obsolete
 * packet blocks; other blocks are skipped.
 */

export interface CaptureRecord {
  /** Frame number, from 1 (as Wireshark and `tcpdump -#` count). */
  readonly index: number;
  /** Timestamp: whole seconds since the epoch, and nanoseconds within the second. */
  readonly seconds: number;
  readonly nanos: number;
  /** Decimal digits the capture's timestamps carry (6 µs, 9 ns; 0 none, for simple packet blocks). */
  readonly digits: number;
  readonly linkType: number;
  /** The captured bytes (link header included; FCS removed). */
  readonly data: Uint8Array;
  /** Length on the wire (FCS removed); more than data.length when the capture truncated it. */
  readonly originalLength: number;
  readonly interfaceId: number;
  /** Set when the record cannot be used (data is then empty). */
  readonly error?: string;
}

/** A capture interface: its link type (LINKTYPE), snapshot length and timestamp resolution. */
export interface CaptureInterface {
  readonly linkType: number;
  readonly snaplen: number;
  /** Timestamp units per second are 10^n (`base` 10) or 2^n (`base` 2). */
  readonly tsBase: 2 | 10;
  readonly tsExponent: number;
  readonly tsOffset: number;
  readonly fcsBytes: number;
}

/** An opened pcap or pcapng capture (openCapture): its interfaces and its records, read on demand. */
export interface Capture {
  readonly format: 'pcap' | 'pcapng';
  readonly bigEndian: boolean;
  /** pcap: the file's one interface; pcapng: those of the section being read (grows while reading). */
  readonly interfaces: readonly CaptureInterface[];
  /** Why reading stopped before the end of the bytes, once `records()` has stopped. */
  readonly problem: string | undefined;
  /**
   * Bytes left unread when reading stopped at a problem (0 when it reached the end). How
   * many records they held cannot be known: the header that would say is the broken part.
   */
  readonly unreadBytes: number;
  /**
   * The records in file order, read lazily from the bytes. A record that cannot be used carries
   * `error`; a broken file stops the iteration and says why in `problem` and `unreadBytes`.
   */
  records(): Generator<CaptureRecord>;
}

/** openCapture's result: the capture, or why the bytes are not a pcap or pcapng capture it can read. */
export type CaptureOpen = { readonly ok: true; readonly capture: Capture } | { readonly ok: false; readonly error: string };

const PCAP_US = 0xa1b2c3d4;
const PCAP_NS = 0xa1b23c4d;
const PCAPNG_SHB = 0x0a0d0d0a;
const PCAPNG_BOM = 0x1a2b3c4d;
/** Larger records are taken as corruption, not data (libpcap's limit is 256 KiB; be generous). */
const MAX_RECORD = 16 * 1024 * 1024;

/** Where and why a reader stopped before the end of its bytes. */
class Stopped {
  problem: string | undefined;
  unreadBytes = 0;
  constructor(private readonly size: number) {}
  at(offset: number, why: string): void {
    this.problem = why;
    this.unreadBytes = this.size - offset;
  }
  reset(): void {
    this.problem = undefined;
    this.unreadBytes = 0;
  }
}

class Reader {
  constructor(
    readonly b: Uint8Array,
    readonly view: DataView,
    public le: boolean,
  ) {}
  u16(o: number): number {
    return this.view.getUint16(o, this.le);
  }
  u32(o: number): number {
    return this.view.getUint32(o, this.le);
  }
}

/** Recognises pcap or pcapng by the first bytes. */
export function openCapture(bytes: Uint8Array): CaptureOpen {
  if (bytes.length < 4) return { ok: false, error: `not a capture: ${bytes.length} bytes` };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const le = view.getUint32(0, true);
  const be = view.getUint32(0, false);
  if (le === PCAP_US || le === PCAP_NS || be === PCAP_US || be === PCAP_NS) return openPcap(bytes, view, le === PCAP_US || le === PCAP_NS);
  if (le === PCAPNG_SHB) return openPcapng(bytes, view);
  const hex = [...bytes.subarray(0, 4)].map((x) => x.toString(16).padStart(2, '0')).join('');
  return { ok: false, error: `not a pcap or pcapng file (starts with 0x${hex})` };
}

function openPcap(bytes: Uint8Array, view: DataView, le: boolean): CaptureOpen {
  if (bytes.length < 24) return { ok: false, error: `pcap file header cut short (${bytes.length} of 24 bytes)` };
  const r = new Reader(bytes, view, le);
  const nanos = r.u32(0) === PCAP_NS;
  const major = r.u16(4);
  if (major !== 2) return { ok: false, error: `unsupported pcap version ${major}.${r.u16(6)}` };
  const snaplen = r.u32(16);
  const lt = r.u32(20);
  // libpcap: LT_LINKTYPE = low 16 bits; FCS length (16-bit words) in the top 4 bits when bit 26 is set.
  const fcsBytes = lt & 0x04000000 ? ((lt >>> 28) & 15) * 2 : 0;
  const iface: CaptureInterface = { linkType: lt & 0xffff, snaplen, tsBase: 10, tsExponent: nanos ? 9 : 6, tsOffset: 0, fcsBytes };
  const stopped = new Stopped(bytes.length);
  const capture: Capture = {
    format: 'pcap',
    bigEndian: !le,
    interfaces: [iface],
    get problem() {
      return stopped.problem;
    },
    get unreadBytes() {
      return stopped.unreadBytes;
    },
    *records() {
      stopped.reset();
      let off = 24;
      let index = 0;
      const n = bytes.length;
      while (off < n) {
        if (off + 16 > n) {
          stopped.at(off, `record ${index + 1} at byte ${off}: header cut short (${n - off} of 16 bytes)`);
          return;
        }
        const sec = r.u32(off);
        const frac = r.u32(off + 4);
        const incl = r.u32(off + 8);
        const orig = r.u32(off + 12);
        if (incl > MAX_RECORD) {
          stopped.at(off, `record ${index + 1} at byte ${off}: captured length ${incl} is not plausible (corrupt file?)`);
          return;
        }
        if (off + 16 + incl > n) {
          stopped.at(off, `record ${index + 1} at byte ${off}: data cut short (${n - off - 16} of ${incl} bytes)`);
          return;
        }
        const wire = Math.max(orig, incl) - fcsBytes;
        const keep = Math.max(0, Math.min(incl, wire));
        index++;
        yield {
          index,
          seconds: sec,
          nanos: nanos ? frac : frac * 1000,
          digits: nanos ? 9 : 6,
          linkType: iface.linkType,
          data: bytes.subarray(off + 16, off + 16 + keep),
          originalLength: Math.max(wire, 0),
          interfaceId: 0,
        };
        off += 16 + incl;
      }
    },
  };
  return { ok: true, capture };
}

function openPcapng(bytes: Uint8Array, view: DataView): CaptureOpen {
  if (bytes.length < 28) return { ok: false, error: `pcapng section header cut short (${bytes.length} bytes)` };
  const bom = view.getUint32(8, true);
  if (bom !== PCAPNG_BOM && view.getUint32(8, false) !== PCAPNG_BOM) return { ok: false, error: 'pcapng section header has no byte-order magic' };
  const r = new Reader(bytes, view, bom === PCAPNG_BOM);
  let interfaces: CaptureInterface[] = [];
  const stopped = new Stopped(bytes.length);
  const capture: Capture = {
    format: 'pcapng',
    get bigEndian() {
      return !r.le;
    },
    get interfaces() {
      return interfaces;
    },
    get problem() {
      return stopped.problem;
    },
    get unreadBytes() {
      return stopped.unreadBytes;
    },
    *records() {
      stopped.reset();
      interfaces = [];
      let off = 0;
      let index = 0;
      const n = bytes.length;
      while (off < n) {
        if (off + 12 > n) {
          stopped.at(off, `block at byte ${off}: header cut short (${n - off} bytes)`);
          return;
        }
        const type = r.u32(off);
        if (type === PCAPNG_SHB) {
          // A new section: its own byte order and interfaces.
          const b = view.getUint32(off + 8, true);
          if (b === PCAPNG_BOM) r.le = true;
          else if (view.getUint32(off + 8, false) === PCAPNG_BOM) r.le = false;
          else {
            stopped.at(off, `section header at byte ${off}: no byte-order magic`);
            return;
          }
          interfaces = [];
        }
        const len = r.u32(off + 4);
        if (len < 12 || len % 4 !== 0 || len > MAX_RECORD) {
          stopped.at(off, `block at byte ${off}: total length ${len} is invalid`);
          return;
        }
        if (off + len > n) {
          stopped.at(off, `block at byte ${off} (type 0x${type.toString(16)}): cut short (${n - off} of ${len} bytes)`);
          return;
        }
        if (r.u32(off + len - 4) !== len) {
          stopped.at(off, `block at byte ${off}: trailing length ${r.u32(off + len - 4)} differs from ${len}`);
          return;
        }
        const end = off + len - 4;
        if (type === 1) {
          if (off + 16 > end) {
            stopped.at(off, `interface block at byte ${off}: too short`);
            return;
          }
          interfaces.push(readInterface(r, off + 8, end));
        } else if (type === 6 || type === 2 || type === 3) {
          index++;
          yield packetBlock(r, type, off, end, index, interfaces);
        }
        off += len;
      }
    },
  };
  return { ok: true, capture };
}

function readInterface(r: Reader, body: number, end: number): CaptureInterface {
  const linkType = r.u16(body);
  const snaplen = r.u32(body + 4);
  let tsBase: 2 | 10 = 10;
  let tsExponent = 6;
  let tsOffset = 0;
  let fcsBytes = 0;
  let o = body + 8;
  while (o + 4 <= end) {
    const code = r.u16(o);
    const l = r.u16(o + 2);
    if (code === 0 || o + 4 + l > end) break;
    if (code === 9 && l >= 1) {
      const v = r.b[o + 4]!;
      tsBase = v & 0x80 ? 2 : 10;
      tsExponent = v & 0x7f;
    } else if (code === 14 && l >= 8) {
      const hi = r.view.getInt32(o + 4 + (r.le ? 4 : 0), r.le);
      const lo = r.view.getUint32(o + 4 + (r.le ? 0 : 4), r.le);
      tsOffset = hi * 2 ** 32 + lo;
    } else if (code === 13 && l >= 1) {
      fcsBytes = r.b[o + 4]!;
    }
    o += 4 + ((l + 3) & ~3);
  }
  return { linkType, snaplen, tsBase, tsExponent, tsOffset, fcsBytes };
}

function packetBlock(r: Reader, type: number, off: number, end: number, index: number, interfaces: readonly CaptureInterface[]): CaptureRecord {
  const fail = (error: string): CaptureRecord => ({
    index,
    seconds: 0,
    nanos: 0,
    digits: 0,
    linkType: -1,
    data: new Uint8Array(0),
    originalLength: 0,
    interfaceId: -1,
    error,
  });
  let ifid: number;
  let hi = 0;
  let lo = 0;
  let caplen: number;
  let orig: number;
  let data: number;
  let stamped = true;
  if (type === 3) {
    // Simple packet block: interface 0, no timestamp, captured length implied.
    if (off + 12 > end) return fail('simple packet block too short');
    ifid = 0;
    orig = r.u32(off + 8);
    data = off + 12;
    caplen = Math.min(orig, end - data);
    const snap = interfaces[0]?.snaplen ?? 0;
    if (snap > 0) caplen = Math.min(caplen, snap);
    stamped = false;
  } else {
    if (off + 28 > end) return fail('packet block too short');
    ifid = type === 6 ? r.u32(off + 8) : r.u16(off + 8);
    hi = r.u32(off + 12);
    lo = r.u32(off + 16);
    caplen = r.u32(off + 20);
    orig = r.u32(off + 24);
    data = off + 28;
    if (data + caplen > end) return fail(`captured length ${caplen} runs past its block`);
  }
  const iface = interfaces[ifid];
  if (!iface) return fail(`packet of interface ${ifid}, but the section describes ${interfaces.length} interface(s)`);
  const wire = Math.max(orig, caplen) - iface.fcsBytes;
  const keep = Math.max(0, Math.min(caplen, wire));
  const ts = stamped ? timestamp(hi, lo, iface) : { seconds: 0, nanos: 0 };
  return {
    index,
    seconds: ts.seconds,
    nanos: ts.nanos,
    digits: stamped ? (iface.tsBase === 10 ? Math.min(iface.tsExponent, 9) : 9) : 0,
    linkType: iface.linkType,
    data: r.b.subarray(data, data + keep),
    originalLength: Math.max(wire, 0),
    interfaceId: ifid,
  };
}

function timestamp(hi: number, lo: number, iface: CaptureInterface): { seconds: number; nanos: number } {
  const t = (BigInt(hi) << 32n) | BigInt(lo);
  const e = BigInt(iface.tsExponent);
  let sec: bigint;
  let nanos: bigint;
  if (iface.tsBase === 10) {
    const unit = 10n ** e;
    sec = t / unit;
    const frac = t % unit;
    nanos = e <= 9n ? frac * 10n ** (9n - e) : frac / 10n ** (e - 9n);
  } else {
    sec = t >> e;
    nanos = ((t & ((1n << e) - 1n)) * 1_000_000_000n) >> e;
  }
  return { seconds: Number(sec) + iface.tsOffset, nanos: Number(nanos) };
}

/** "seconds.fraction" with the capture's digits (exact; no float rounding). */
export function timestampText(r: Pick<CaptureRecord, 'seconds' | 'nanos' | 'digits'>): string {
  if (r.digits === 0) return String(r.seconds);
  return `${r.seconds}.${String(r.nanos).padStart(9, '0').slice(0, r.digits)}`;
}

/** The timestamp as float seconds (for conntrack timeouts). */
export const timestampSeconds = (r: Pick<CaptureRecord, 'seconds' | 'nanos'>): number => r.seconds + r.nanos / 1e9;
