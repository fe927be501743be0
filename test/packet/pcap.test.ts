// The pcap/pcapng readers and link layers: the real captures, and crafted files for the
// variants tcpdump did not write here (big-endian, VLAN, SLL, per-interface link types and
// timestamp resolutions, simple packet blocks, truncation anywhere).
import { describe, expect, test } from 'vitest';
import { LINKTYPE, linkPayload, openCapture, parsePacket, timestampText, type Capture, type CaptureRecord } from '@netpol/core';
import { concat, ethernet, fixture, ipv4, ipv6, pcap, Pcapng, pcapToBigEndian, tcp, udp } from './build.js';

function open(bytes: Uint8Array): Capture {
  const c = openCapture(bytes);
  if (!c.ok) throw new Error(c.error);
  return c.capture;
}
const all = (bytes: Uint8Array): { records: CaptureRecord[]; capture: Capture } => {
  const capture = open(bytes);
  return { records: [...capture.records()], capture };
};
/** src:sport > dst:dport of a record, through link layer and parser. */
function key(r: CaptureRecord): string {
  const l = linkPayload(r.linkType, r.data);
  if (!l.ok) return l.reason;
  const p = parsePacket(r.data.subarray(l.offset), r.originalLength - l.offset);
  if (!p.ok) return p.reason;
  return `${p.packet.srcPort}>${p.packet.dstPort}/${p.packet.protocol}`;
}

describe('the recorded captures', () => {
  const eth = all(fixture('demo.eth.pcap'));

  test('tcpdump -i eth0: little-endian µs pcap, Ethernet, 52 IP packets, all parsed', () => {
    expect(eth.capture.format).toBe('pcap');
    expect(eth.capture.bigEndian).toBe(false);
    expect(eth.capture.interfaces[0]!.linkType).toBe(LINKTYPE.ETHERNET);
    expect(eth.records.length).toBe(52);
    expect(eth.records.map((r) => r.index)).toEqual(Array.from({ length: 52 }, (_, i) => i + 1));
    expect(eth.records.every((r) => r.digits === 6 && r.nanos % 1000 === 0)).toBe(true);
    expect(eth.records.map(key).filter((k) => !/^\d+>\d+\/\d+$/.test(k))).toEqual([]);
    expect(eth.capture.problem).toBeUndefined();
  });

  test('the same traffic as SLL2 (tcpdump -i any), nanosecond pcap and pcapng (dumpcap, if_tsresol 9)', () => {
    const keys = eth.records.map(key);
    const sll2 = all(fixture('demo.sll2.pcap'));
    expect(sll2.capture.interfaces[0]!.linkType).toBe(LINKTYPE.LINUX_SLL2);
    expect(sll2.records.map(key)).toEqual(keys);
    const ns = all(fixture('demo.ns.pcap'));
    expect(ns.records.map(key)).toEqual(keys);
    expect(ns.records.some((r) => r.nanos % 1000 !== 0)).toBe(true);
    expect(ns.records.every((r) => r.digits === 9)).toBe(true);
    // Captured side by side: the same second, within a millisecond.
    ns.records.forEach((r, i) => expect(Math.abs(r.seconds + r.nanos / 1e9 - (eth.records[i]!.seconds + eth.records[i]!.nanos / 1e9))).toBeLessThan(1e-3));
    const ng = all(fixture('demo.pcapng'));
    expect(ng.capture.format).toBe('pcapng');
    expect(ng.capture.interfaces).toMatchObject([{ linkType: 1, tsBase: 10, tsExponent: 9 }]);
    expect(ng.records.map(key)).toEqual(keys);
    expect(timestampText(ng.records[0]!)).toMatch(/^\d{10}\.\d{9}$/);
  });

  test('big-endian: the same file with swapped headers reads the same', () => {
    const be = all(pcapToBigEndian(fixture('demo.eth.pcap')));
    expect(be.capture.bigEndian).toBe(true);
    expect(be.records.map(key)).toEqual(eth.records.map(key));
    expect(be.records.map(timestampText)).toEqual(eth.records.map(timestampText));
  });

  test('cut anywhere: never throws, yields the whole records before the cut and says why it stopped', () => {
    const bytes = fixture('demo.eth.pcap');
    let complete = 0;
    let differing = 0;
    let problems = 0;
    for (let cut = 24; cut < bytes.length; cut += 3) {
      const { records, capture } = all(bytes.subarray(0, cut));
      // Every record yielded is a whole one, identical to the uncut file's.
      records.forEach((r, i) => (differing += Buffer.compare(r.data, eth.records[i]!.data) === 0 ? 0 : 1));
      if (capture.problem === undefined) complete++;
      else if (/cut short/.test(capture.problem)) problems++;
    }
    expect(differing).toBe(0);
    expect(complete + problems).toBe(Math.ceil((bytes.length - 24) / 3));
    // It stops cleanly exactly when the cut falls between records.
    const boundaries = new Set<number>([24]);
    eth.records.reduce((off, r) => (boundaries.add(off + 16 + r.data.length), off + 16 + r.data.length), 24);
    let onBoundary = 0;
    for (let cut = 24; cut < bytes.length; cut += 3) if (boundaries.has(cut)) onBoundary++;
    expect(complete).toBe(onBoundary);
    const ng = fixture('demo.pcapng');
    for (let cut = 28; cut < ng.length; cut += 13) {
      const { records, capture } = all(ng.subarray(0, cut));
      expect(records.length).toBeLessThan(53);
      if (cut % 4 !== 0 || records.length < 52) expect(capture.problem ?? 'ended on a block boundary').toMatch(/cut short|boundary/);
    }
  });
});

describe('crafted pcap', () => {
  const p4 = ipv4({ protocol: 6 }, tcp(1234, 80));

  test('nanosecond magic, both byte orders; timestamps exact', () => {
    for (const bigEndian of [false, true]) {
      const { records, capture } = all(pcap([{ data: ethernet(p4), sec: 1700000000, frac: 123456789 }], { nanos: true, bigEndian }));
      expect(capture.bigEndian).toBe(bigEndian);
      expect(timestampText(records[0]!)).toBe('1700000000.123456789');
    }
    const us = all(pcap([{ data: ethernet(p4), sec: 1700000000, frac: 5 }]));
    expect(timestampText(us.records[0]!)).toBe('1700000000.000005');
  });

  test('Ethernet with 802.1Q, 802.1ad + 802.1Q (QinQ); non-IP frames say what they are', () => {
    expect(linkPayload(1, ethernet(p4, [0x8100]))).toEqual({ ok: true, offset: 18 });
    expect(linkPayload(1, ethernet(p4, [0x88a8, 0x8100]))).toEqual({ ok: true, offset: 22 });
    expect(linkPayload(1, ethernet(Uint8Array.of(0, 1, 8, 0), [], 0x0806))).toMatchObject({ ok: false, reason: 'not-ip', detail: 'ARP' });
    expect(linkPayload(1, ethernet(p4, [0x8100]).subarray(0, 16))).toMatchObject({ ok: false, reason: 'truncated-link-header' });
    expect(linkPayload(1, new Uint8Array(10))).toMatchObject({ ok: false, reason: 'truncated-link-header' });
    expect(linkPayload(1, ethernet(p4, [], 60))).toMatchObject({ ok: false, reason: 'not-ip', detail: '802.3 frame' });
  });

  test('RAW (101 and the BSD 12/14), IPv4/IPv6 (228/229), SLL (113), NULL/LOOP, unknown types', () => {
    for (const lt of [101, 12, 14, 228, 229]) expect(linkPayload(lt, p4)).toEqual({ ok: true, offset: 0 });
    const sll = concat([Uint8Array.of(0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, 0x08, 0x00), p4]);
    expect(linkPayload(LINKTYPE.LINUX_SLL, sll)).toEqual({ ok: true, offset: 16 });
    const sllVlan = concat([Uint8Array.of(0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, 0x81, 0x00, 0, 5, 0x86, 0xdd), ipv6({ protocol: 6 }, tcp(1, 2))]);
    expect(linkPayload(LINKTYPE.LINUX_SLL, sllVlan)).toEqual({ ok: true, offset: 20 });
    expect(linkPayload(LINKTYPE.NULL, concat([Uint8Array.of(2, 0, 0, 0), p4]))).toEqual({ ok: true, offset: 4 });
    expect(linkPayload(LINKTYPE.LOOP, concat([Uint8Array.of(0, 0, 0, 30), p4]))).toEqual({ ok: true, offset: 4 });
    expect(linkPayload(LINKTYPE.NULL, Uint8Array.of(7, 0, 0, 0))).toMatchObject({ ok: false, reason: 'not-ip' });
    expect(linkPayload(105, p4)).toMatchObject({ ok: false, reason: 'unsupported-link-type', detail: 'link type 105' });
  });

  test('snaplen-truncated records keep their wire length; the FCS bits cut the FCS off', () => {
    const big = ipv4({ protocol: 17 }, udp(1, 53, new Array(500).fill(1)));
    const { records } = all(pcap([{ data: big.subarray(0, 40), orig: big.length }], { linkType: 101, snaplen: 40 }));
    expect([records[0]!.data.length, records[0]!.originalLength]).toEqual([40, big.length]);
    expect(parsePacket(records[0]!.data, records[0]!.originalLength)).toMatchObject({ ok: true });
    const withFcs = concat([ethernet(p4), Uint8Array.of(0xde, 0xad, 0xbe, 0xef)]);
    const fcs = all(pcap([{ data: withFcs }], { linkType: 1 | 0x04000000 | (2 << 28) }));
    expect(fcs.capture.interfaces[0]).toMatchObject({ linkType: 1, fcsBytes: 4 });
    expect(fcs.records[0]!.data).toEqual(ethernet(p4));
  });

  test('not a capture, wrong version, implausible record length: errors, not exceptions', () => {
    expect(openCapture(new Uint8Array(0))).toMatchObject({ ok: false });
    expect(openCapture(new TextEncoder().encode('hello world, not a pcap'))).toMatchObject({
      ok: false,
      error: expect.stringMatching(/not a pcap or pcapng file/),
    });
    const v3 = pcap([]);
    v3[4] = 3;
    expect(openCapture(v3)).toMatchObject({ ok: false, error: expect.stringMatching(/version 3/) });
    expect(openCapture(pcap([]).subarray(0, 20))).toMatchObject({ ok: false });
    const huge = pcap([{ data: p4 }]);
    new DataView(huge.buffer).setUint32(24 + 8, 0x7fffffff, true);
    const { records, capture } = all(huge);
    expect(records).toEqual([]);
    expect(capture.problem).toMatch(/not plausible/);
  });
});

describe('crafted pcapng', () => {
  const p4 = ipv4({ protocol: 6 }, tcp(1234, 80));
  const p6 = ipv6({ protocol: 17 }, udp(5, 53));

  test('per-interface link types and timestamp resolutions (10^-3, 10^-9, 2^-20, default µs), both byte orders', () => {
    for (const le of [true, false]) {
      const file = new Pcapng(le)
        .shb()
        .idb(LINKTYPE.ETHERNET, 3)
        .idb(LINKTYPE.RAW, 9)
        .idb(LINKTYPE.LINUX_SLL2, 0x80 | 20)
        .idb(LINKTYPE.RAW)
        .other()
        .epb(0, 1_700_000_000_123n, ethernet(p4))
        .epb(1, 1_700_000_000_123_456_789n, p6)
        .epb(2, (1_700_000_000n << 20n) | (1n << 19n), concat([Uint8Array.of(0x08, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0), p4]))
        .epb(3, 1_700_000_000_000_001n, p4)
        .bytes();
      const { records, capture } = all(file);
      expect(capture.bigEndian).toBe(!le);
      expect(records.map((r) => r.linkType)).toEqual([1, 101, 276, 101]);
      expect(records.map(timestampText)).toEqual(['1700000000.123', '1700000000.123456789', '1700000000.500000000', '1700000000.000001']);
      expect(records.map(key)).toEqual(['1234>80/6', '5>53/17', '1234>80/6', '1234>80/6']);
      expect(capture.problem).toBeUndefined();
    }
  });

  test('simple packet blocks (interface 0, no timestamp), a second section with its own interfaces', () => {
    const file = concat([
      new Pcapng(true).shb().idb(LINKTYPE.RAW).spb(p4).bytes(),
      new Pcapng(false).shb().idb(LINKTYPE.ETHERNET, 9).epb(0, 5_000_000_001n, ethernet(p6)).bytes(),
    ]);
    const { records } = all(file);
    expect(records.map((r) => [r.index, r.linkType, timestampText(r)])).toEqual([
      [1, 101, '0'],
      [2, 1, '5.000000001'],
    ]);
    expect(records.map(key)).toEqual(['1234>80/6', '5>53/17']);
  });

  test('a packet of an undeclared interface is an error record; a broken block stops the reader', () => {
    const file = new Pcapng().shb().idb(1).epb(4, 0n, ethernet(p4)).epb(0, 0n, ethernet(p4)).bytes();
    const { records } = all(file);
    expect(records[0]).toMatchObject({ index: 1, error: expect.stringMatching(/interface 4/) });
    expect(records[1]!.error).toBeUndefined();
    const broken = file.slice();
    new DataView(broken.buffer).setUint32(broken.length - 4, 12345, true); // trailing length
    const r2 = all(broken);
    expect(r2.records.length).toBe(1);
    expect(r2.capture.problem).toMatch(/trailing length/);
    const badLen = new Pcapng().shb().idb(1).bytes();
    const withGarbage = concat([badLen, Uint8Array.of(6, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0)]);
    expect(all(withGarbage).capture.problem).toMatch(/total length 7 is invalid/);
  });
});
