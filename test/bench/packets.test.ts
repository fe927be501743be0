// The bench package's packet-path inputs and its pre-timing check: the packets built from a
// trace parse back to the trace's flows, the filter's verdicts equal verdictCode on them, and
// a wrong expectation aborts. No timing here (see bench.test.ts).
import { CompiledDataplane, PacketFilter, ParsedPacket, parsePacketInto } from '@netpol/core';
import { describe, expect, test } from 'vitest';
import { VerdictMismatchError } from '../../packages/bench/src/engines.js';
import { benchCluster, benchTrace } from '../../packages/bench/src/generators.js';
import { PacketRing, tracePackets, traceConn, verifyPacketVerdicts } from '../../packages/bench/src/packets.js';

describe('packet path inputs', () => {
  const cluster = benchCluster('S');
  const dp = new CompiledDataplane(cluster);
  const trace = benchTrace(cluster, { count: 4096, seed: 5 });
  const ring = tracePackets(trace);

  test('every trace row becomes a packet that parses back to its flow', () => {
    expect(ring.packets).toHaveLength(trace.count);
    const p = new ParsedPacket();
    const protocols = new Set<number>();
    for (let i = 0; i < trace.count; i++) {
      const b = ring.packets[i]!;
      expect(parsePacketInto(b, p)).toBe(0);
      expect(b.length).toBe({ 6: 40, 17: 28, 132: 32, 1: 28 }[trace.protocol[i]!]);
      expect([p.family, p.protocol, p.src[0], p.dst[0], p.hasL4]).toEqual([4, trace.protocol[i], trace.src[i], trace.dst[i], 1]);
      if (p.protocol === 1) expect([p.icmpType, p.icmpId]).toEqual([8, 1024 + (i % 60000)]);
      else expect([p.srcPort, p.dstPort]).toEqual([1024 + (i % 60000), trace.port[i]]);
      if (p.protocol === 6) expect(p.tcpFlags).toBe(2); // SYN
      protocols.add(p.protocol);
    }
    expect(protocols).toEqual(new Set([1, 6, 17]));
  });

  test('replies swap the ends (ICMP: an echo reply with the same id) and are conntrack hits', () => {
    const { verdicts } = verifyPacketVerdicts('S', dp, trace, ring.packets);
    const p = new ParsedPacket();
    for (const proto of [1, 6, 17]) {
      const i = Array.from(trace.protocol).findIndex((x, k) => x === proto && (verdicts[k]! & 1) === 1);
      expect(i).toBeGreaterThanOrEqual(0);
      const c = traceConn(trace, i);
      const r = new PacketRing(2);
      const out = r.push(c, 0, 2);
      const back = r.push(c, 1, 18);
      expect(parsePacketInto(back, p)).toBe(0);
      if (proto === 1) expect([p.src[0], p.dst[0], p.icmpType, p.icmpId]).toEqual([c.dst, c.src, 0, c.sport]);
      else expect([p.src[0], p.dst[0], p.srcPort, p.dstPort]).toEqual([c.dst, c.src, c.dport, c.sport]);
      const f = new PacketFilter(dp);
      expect(f.packetCode(out, 0) & 0x801).toBe(0x801); // judged, allowed
      expect(f.packetCode(back, 0) & 0xf01).toBe(0x201); // not judged, allowed, state reply
    }
  });

  test("the filter's verdicts equal verdictCode; a wrong expectation aborts", () => {
    const v = verifyPacketVerdicts('S', dp, trace, ring.packets);
    expect(v.judged + v.hits).toBe(trace.count);
    expect(v.judged).toBeGreaterThan(trace.count * 0.9);
    expect(v.verdicts.some((x) => (x & 1) === 1)).toBe(true);
    expect(v.verdicts.some((x) => (x & 1) === 0)).toBe(true);
    expect(() => verifyPacketVerdicts('S', dp, trace, ring.packets, true)).toThrow(VerdictMismatchError);
    expect(() => verifyPacketVerdicts('S', dp, trace, ring.packets, true)).toThrow(/S: PacketFilter disagrees with verdictCode on packet #\d+/);
  });
});
