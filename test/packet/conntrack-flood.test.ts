// Conntrack under hash flooding: tuples crafted to share a bucket of the old unkeyed hash
// spread out under the keyed one (probe counts stay flat), and tuples that do share a bucket
// of the keyed hash (computable here only because the test knows the key) cannot make a
// chain longer than MAX_CHAIN: the extra connections are refused and judged packet by packet.
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { CompiledDataplane, loadFiles, PacketFilter } from '@netpol/core';
import { halfSipHash13 } from '../../packages/core/src/conntrack/hash.js';
import { MAX_CHAIN } from '../../packages/core/src/conntrack/table.js';
import { FIXTURES, TCP_FLAGS as F } from './build.js';

function fixtureDataplane(): CompiledDataplane {
  const r = loadFiles([join(FIXTURES, 'cluster.yaml'), join(FIXTURES, 'policies.yaml')]);
  if (!r.cluster) throw new Error('fixture cluster invalid');
  return new CompiledDataplane(r.cluster, { native: 'off' });
}

const CLIENT = 0x0af4010a; // 10.244.1.10, ingress-isolated (demo/client-deny-ingress)
const INTRUDER = 0x0af4010b; // 10.244.1.11, not isolated: every SYN to it is allowed and tracked
const SERVER = 0x0af40114; // 10.244.1.20, admits the client on 8080

/** A 40-byte IPv4 TCP segment, built in place (the flood is too large for the array builders). */
function segment(src: number, dst: number, sport: number, dport: number, flags: number): Uint8Array {
  const pkt = new Uint8Array(40);
  const dv = new DataView(pkt.buffer);
  pkt[0] = 0x45;
  dv.setUint16(2, 40);
  pkt[8] = 64;
  pkt[9] = 6;
  dv.setUint32(12, src >>> 0);
  dv.setUint32(16, dst >>> 0);
  dv.setUint16(20, sport);
  dv.setUint16(22, dport);
  pkt[32] = 5 << 4;
  pkt[33] = flags;
  return pkt;
}

/** The table's hash before it was keyed (fixed public constants), as an attacker computes it. */
function unkeyedBucket(src: number, dst: number, sport: number, dport: number, mask: number): number {
  let h = Math.imul(4 ^ (6 << 8) ^ ((sport << 16) | dport), 0x9e3779b1);
  h = Math.imul(h ^ src, 0x85ebca6b);
  h = Math.imul(h ^ dst, 0xc2b2ae35);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  return (h ^ (h >>> 13)) & mask;
}

const SEED = [0xdeadbeef, 0x0badf00d] as const;

/**
 * Client source ports whose SYN to server:8080 lands in one bucket of a 512-entry table
 * (1,024 buckets) keyed with `seed`: brute force, possible only with the key in hand.
 */
function collidingPorts(seed: readonly [number, number], n: number): number[] {
  // The hashed message (hash.ts): the words little-endian, then the 16-bit tag (family << 9 | protocol).
  const message = new Uint8Array(14);
  const dv = new DataView(message.buffer);
  const byBucket = new Map<number, number[]>();
  for (let sport = 1024; sport < 65536; sport++) {
    dv.setUint32(0, (sport << 16) | 8080, true);
    dv.setUint32(4, CLIENT, true);
    dv.setUint32(8, SERVER, true);
    dv.setUint16(12, (4 << 9) | 6, true);
    const b = halfSipHash13(seed[0], seed[1], message) & 1023;
    (byBucket.get(b) ?? byBucket.set(b, []).get(b)!).push(sport);
  }
  const ports = [...byBucket.values()].reduce((a, b) => (b.length > a.length ? b : a)).slice(0, n);
  if (ports.length < n) throw new Error(`only ${ports.length} colliding ports`);
  return ports;
}

describe('conntrack hash flooding', () => {
  test('SYNs crafted into one bucket of the unkeyed hash cost about one probe per lookup', () => {
    const N = 16384;
    const mask = 2 * 65536 - 1; // the buckets of a 65,536-entry table
    // The attack: fix the ports, then pick the source so that it cancels the hash state
    // before the address mixing (src = K ^ state), so every tuple reaches the same value.
    const K = 0x12345678;
    const flood: Uint8Array[] = [];
    for (let i = 0; i < N; i++) {
      const sport = i & 0xffff;
      const src = (K ^ Math.imul(4 ^ (6 << 8) ^ ((sport << 16) | 80), 0x9e3779b1)) >>> 0;
      flood.push(segment(src, INTRUDER, sport, 80, F.S));
    }
    const bucketsHit = new Set(flood.map((p) => unkeyedBucket(new DataView(p.buffer).getUint32(12), INTRUDER, new DataView(p.buffer).getUint16(20), 80, mask)));
    expect(bucketsHit.size).toBe(1); // the crafted tuples do collide in the old hash

    const f = new PacketFilter(fixtureDataplane(), { maxEntries: 65536, seed: [0x01234567, 0x89abcdef] });
    for (let i = 0; i < N; i++) f.packetCode(flood[i]!, i / 1e5);
    for (let i = 0; i < N; i++) f.packetCode(flood[i]!, 1 + i / 1e5); // hits walk the chains too
    const st = f.conntrack.stats();
    expect(st.inserted).toBe(N);
    expect(st.refused).toBe(0);
    expect(st.lookups).toBe(2 * N);
    // Unkeyed, lookup k walked the k-1 nodes before it: about N/2 probes per lookup.
    expect(st.probes / st.lookups).toBeLessThan(2);
    expect(st.longestProbe).toBeLessThanOrEqual(8);
  });

  test('a bucket never holds more than MAX_CHAIN nodes: extra connections are refused and judged per packet', () => {
    const ports = collidingPorts(SEED, 48);
    const maxEntries = 512;
    const f = new PacketFilter(fixtureDataplane(), { maxEntries, seed: SEED });
    const first = ports.map((sport) => f.packet(segment(CLIENT, SERVER, sport, 8080, F.S), 1));
    expect(first.every((r) => r.allowed && r.state === 'new')).toBe(true); // policy allows every one
    const st = f.conntrack.stats();
    expect(st.inserted + st.refused).toBe(48);
    expect(st.inserted).toBeLessThanOrEqual(MAX_CHAIN);
    expect(st.refused).toBeGreaterThanOrEqual(48 - MAX_CHAIN);
    // Lookups of tracked and refused tuples alike walk at most MAX_CHAIN nodes.
    for (const sport of ports) f.packetCode(segment(CLIENT, SERVER, sport, 8080, F.A), 2);
    expect(f.conntrack.stats().longestProbe).toBeLessThanOrEqual(MAX_CHAIN);
    // Fail closed: the server's SYN-ACK passes only for tracked connections; for a refused one
    // it belongs to no connection and cannot open one: invalid, dropped without a verdict.
    const tracked = new Set(f.conntrack.entries().map((e) => e.srcPort));
    const refused = ports.filter((p) => !tracked.has(p));
    expect(refused.length).toBeGreaterThanOrEqual(48 - MAX_CHAIN);
    const replies = refused.map((sport) => f.packet(segment(SERVER, CLIENT, 8080, sport, F.S | F.A), 3));
    expect(replies.every((r) => !r.allowed && r.state === 'invalid' && r.invalid === 'no-connection')).toBe(true);
    // Its data segments are judged one by one (mid-stream pickup, refused again): the server's into the isolated client are denied.
    expect(f.packet(segment(SERVER, CLIENT, 8080, refused[0]!, F.A), 3)).toMatchObject({ allowed: false, state: 'new', ingress: 'denied' });
    const back = f.packet(segment(SERVER, CLIENT, 8080, [...tracked][0]!, F.S | F.A), 3);
    expect(back).toMatchObject({ allowed: true, state: 'reply' });
  });

  test('expired entries do not keep a chain full', () => {
    const ports = collidingPorts(SEED, 2 * MAX_CHAIN);
    const f = new PacketFilter(fixtureDataplane(), { maxEntries: 512, seed: SEED, timeouts: { tcpSynSent: 1 } });
    for (const sport of ports.slice(0, MAX_CHAIN + 4)) f.packetCode(segment(CLIENT, SERVER, sport, 8080, F.S), 0);
    expect(f.conntrack.stats().refused).toBeGreaterThan(0); // the chain is full at t=0
    const refused = f.conntrack.stats().refused;
    // At t=10 they have expired: the same bucket takes new connections again.
    for (const sport of ports.slice(MAX_CHAIN + 4, MAX_CHAIN + 12)) f.packetCode(segment(CLIENT, SERVER, sport, 8080, F.S), 10);
    expect(f.conntrack.stats().refused).toBe(refused);
    expect(f.conntrack.size).toBe(8);
  });

  test('the key must be two unsigned 32-bit words', () => {
    expect(() => new PacketFilter(fixtureDataplane(), { seed: [1, -1] })).toThrow(RangeError);
    expect(() => new PacketFilter(fixtureDataplane(), { seed: [1] as unknown as [number, number] })).toThrow(RangeError);
  });
});
