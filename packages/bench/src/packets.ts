/**
 * The packet path (`packets` part): raw IPv4 packets built from a synthetic trace, through
 * `PacketFilter.packetCode` — parse, conntrack lookup and, for a packet that opens a
 * connection, the compiled verdict (plus an insert when it is allowed). The cases, per
 * cluster, each timed like the engines (one call = a batch of packets, packets/s =
 * calls/s × batch, results folded into the XOR sink):
 *
 * - `parse`: `parsePacketInto` alone over the trace's packets;
 * - `hits@N`: every packet belongs to one of N tracked, established connections (TCP after a
 *   full handshake, UDP and ICMP echo after a reply), connection and direction at random:
 *   lookup and state update, no policy. Run for a few thousand connections and for tens of
 *   thousands: the second no longer fits the caches, and a hit then costs several times more;
 * - `misses-denied`: every packet opens a connection policy denies: lookup and verdict;
 * - `misses-allowed`: every packet opens a new connection policy allows: lookup, verdict,
 *   insert, and the LRU eviction it causes (the ring of packets is 4× the table);
 * - `trace`: the trace as is, twice through a fresh filter (flushed in the timed call): the
 *   first pass is mostly misses, the second hits for the allowed flows.
 *
 * Packets have the real header layouts (20-byte IPv4 header; TCP 20 bytes, UDP 8, SCTP 12,
 * ICMP echo 8; no payload, checksums left zero: the parser does not verify them), one per
 * 40-byte slot of one buffer, in arrival order, so the timed loops read memory as a capture
 * ring would. The trace's TCP flows become SYNs, UDP/SCTP flows datagrams and ICMP flows
 * echo requests, with source port (or echo id) 1024 + (i mod 60000) for trace row i.
 *
 * Before any timing, the trace goes once through a fresh filter and every packet policy
 * judges must carry the dataplane's own `verdictCode` for the same flow (every other packet
 * must be an allowed conntrack hit); a difference throws VerdictMismatchError and the run
 * exits 1. Each case then checks its premise on one untimed pass (hits are all hits, misses
 * all judged, with the expected verdict) and again over the timed calls.
 */
import { CompiledDataplane, PacketFilter, ParsedPacket, decodeVerdict, parsePacketInto } from '@netpol/core';
import { VerdictMismatchError, describeFlow, describeVerdict, round } from './engines.js';
import { benchCluster, benchTrace, flowAt, type BenchTrace, type SizeName } from './generators.js';
import type { LoadFigures } from './machine-load.js';
import { collectGarbage, sink, roundSpread, timeBatch, type Spread, type TimeOptions } from './measure.js';
import type { Progress } from './progress.js';
import { clusterSize, shapeOf, type ClusterSize } from './scenario.js';

export type PacketCaseKind = 'parse' | 'hits' | 'misses-denied' | 'misses-allowed' | 'trace';

export interface PacketSpec {
  readonly id: string;
  readonly size: SizeName;
  /** Packets built from the trace (a power of two, a multiple of `batch`). */
  readonly packets: number;
  readonly traceSeed: number;
  /** Packets per timed call (the `trace` case takes the whole trace twice per call). */
  readonly batch: number;
  /**
   * Tracked connections for the `hits` cases, one case each: a hit's cost depends on whether
   * the table stays in the caches (a few thousand connections) or not (tens of thousands).
   */
  readonly hitConnections: readonly number[];
  readonly timing: TimeOptions;
  /** Self-test of the check: one expected verdict is flipped, so the run must abort. */
  readonly injectMismatch?: boolean;
}

export interface PacketConntrackFigures {
  /** The table's capacity (`maxEntries`). */
  readonly maxEntries: number;
  /** Connections in the table when the timing started. */
  readonly entries: number;
  /** Per packet, over every timed call (warmup included): conntrack hits, misses, inserts and LRU evictions. */
  readonly hits: number;
  readonly misses: number;
  readonly inserts: number;
  readonly evictions: number;
}

export interface PacketCaseResult {
  /** The kind, or `hits@N` for N tracked connections. */
  readonly id: string;
  readonly kind: PacketCaseKind;
  readonly label: string;
  /** Packets per timed call. */
  readonly batch: number;
  readonly packetsPerSecond: Spread;
  /** Median call latency / batch. */
  readonly nsPerPacket: number;
  readonly samples: number;
  /** Load while it was timed. */
  readonly load: LoadFigures;
  /**
   * hits: the tracked connections; misses: the trace's distinct (protocol, source,
   * destination, port) flows with that verdict, which the new connections cycle through;
   * parse and trace: the trace's packets.
   */
  readonly flows: number;
  /** null for `parse` (no filter). */
  readonly conntrack: PacketConntrackFigures | null;
}

export interface PacketScenarioResult {
  readonly id: string;
  readonly size: ClusterSize;
  readonly trace: {
    readonly count: number;
    readonly seed: number;
    readonly family: 4;
    /** Packets per protocol. */
    readonly protocols: { readonly tcp: number; readonly udp: number; readonly sctp: number; readonly icmp: number };
    readonly bytes: number;
    /** Share of the trace's flows policy allows (verdictCode). */
    readonly allowedShare: number;
  };
  readonly verification: {
    readonly ok: true;
    /** Packets judged by policy in the checked pass, each equal to verdictCode. */
    readonly judged: number;
    /** Packets of the checked pass that were conntrack hits (a repeated 5-tuple of an allowed flow). */
    readonly conntrackHits: number;
  };
  readonly cases: readonly PacketCaseResult[];
}

// ---- packets ----

/** Bytes per packet slot: the largest packet built here (IPv4 + TCP, no options). */
const SLOT = 40;
const TCP_SYN = 2;
const TCP_ACK = 16;
/** packetCode bits (filter.ts CODE): bit 11 judged by policy, bits 8-10 the state. */
const JUDGED = 1 << 11;
const stateOf = (code: number): number => (code >>> 8) & 7;
const STATE_NEW = 0;
const STATE_ESTABLISHED = 1;
const STATE_REPLY = 2;

/** One direction-independent connection: the opener's view. ICMP: `sport` is the echo id, `dport` the request type. */
export interface Conn {
  readonly protocol: number;
  readonly src: number;
  readonly dst: number;
  readonly sport: number;
  readonly dport: number;
}

/**
 * Writes one IPv4 packet of `c` at `b[o..]`: direction 0 from the opener, 1 from the
 * responder (ports swapped; ICMP: the echo reply). Returns its length.
 */
function writePacket(b: Uint8Array, o: number, c: Conn, dir: 0 | 1, tcpFlags: number): number {
  const proto = c.protocol;
  const l4 = proto === 6 ? 20 : proto === 132 ? 12 : 8;
  const len = 20 + l4;
  b.fill(0, o, o + SLOT);
  b[o] = 0x45;
  b[o + 2] = len >>> 8;
  b[o + 3] = len & 255;
  b[o + 8] = 64;
  b[o + 9] = proto;
  const src = dir === 0 ? c.src : c.dst;
  const dst = dir === 0 ? c.dst : c.src;
  put32(b, o + 12, src);
  put32(b, o + 16, dst);
  const t = o + 20;
  if (proto === 1) {
    if (c.dport !== 8) throw new RangeError(`ICMP type ${c.dport}: only echo requests are built`);
    b[t] = dir === 0 ? 8 : 0;
    put16(b, t + 4, c.sport);
    return len;
  }
  if (proto !== 6 && proto !== 17 && proto !== 132) throw new RangeError(`protocol ${proto}: not built`);
  put16(b, t, dir === 0 ? c.sport : c.dport);
  put16(b, t + 2, dir === 0 ? c.dport : c.sport);
  if (proto === 6) {
    b[t + 12] = 0x50; // data offset 5
    b[t + 13] = tcpFlags;
  } else if (proto === 17) put16(b, t + 4, 8);
  return len;
}

function put16(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 8) & 255;
  b[o + 1] = v & 255;
}
function put32(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 24;
  b[o + 1] = (v >>> 16) & 255;
  b[o + 2] = (v >>> 8) & 255;
  b[o + 3] = v & 255;
}

/** Packets in slots of one buffer, in arrival order, each a view of its real length. */
export class PacketRing {
  readonly buffer: Uint8Array;
  readonly packets: Uint8Array[] = [];

  constructor(readonly capacity: number) {
    this.buffer = new Uint8Array(capacity * SLOT);
  }

  push(c: Conn, dir: 0 | 1, tcpFlags: number): Uint8Array {
    const o = this.packets.length * SLOT;
    if (o >= this.buffer.length) throw new RangeError('packet ring full');
    const p = this.buffer.subarray(o, o + writePacket(this.buffer, o, c, dir, tcpFlags));
    this.packets.push(p);
    return p;
  }

  get bytes(): number {
    return this.packets.reduce((s, p) => s + p.length, 0);
  }
}

/** Trace row i as a connection opener: source port (echo id) 1024 + (i mod 60000). */
export function traceConn(trace: BenchTrace, i: number): Conn {
  if (trace.family) throw new RangeError('the packet path is measured on IPv4 traces');
  return { protocol: trace.protocol[i]!, src: trace.src[i]!, dst: trace.dst[i]!, sport: 1024 + (i % 60000), dport: trace.port[i]! };
}

/** The trace's rows as packets: TCP SYNs, UDP/SCTP datagrams, ICMP echo requests. */
export function tracePackets(trace: BenchTrace): PacketRing {
  const ring = new PacketRing(trace.count);
  for (let i = 0; i < trace.count; i++) ring.push(traceConn(trace, i), 0, TCP_SYN);
  return ring;
}

const keyOf = (c: Conn): string => `${c.protocol} ${c.src} ${c.dst} ${c.sport} ${c.dport}`;
/** The 5-tuple key of the responder's packets (ICMP: the echo reply keeps the id). */
const replyKeyOf = (c: Conn): string => (c.protocol === 1 ? `1r ${c.dst} ${c.src} ${c.sport}` : `${c.protocol} ${c.dst} ${c.src} ${c.dport} ${c.sport}`);

// ---- the check before timing ----

export interface PacketCheck {
  /** verdictCode for every trace row. */
  readonly verdicts: Uint8Array;
  readonly judged: number;
  readonly hits: number;
}

/**
 * The trace's packets, in order, through a fresh filter whose table never fills: every
 * packet policy judges must carry `dp.verdictCode` of the same flow, every other one must be
 * an allowed conntrack hit. `inject` flips one expected verdict (the self-test).
 */
export function verifyPacketVerdicts(where: string, dp: CompiledDataplane, trace: BenchTrace, packets: readonly Uint8Array[], inject = false): PacketCheck {
  const n = trace.count;
  const verdicts = new Uint8Array(n);
  for (let i = 0; i < n; i++) verdicts[i] = dp.verdictCode(flowAt(trace, i));
  const f = new PacketFilter(dp, { maxEntries: Math.max(16, n) });
  let pending = inject;
  let judged = 0;
  let hits = 0;
  for (let i = 0; i < n; i++) {
    const code = f.packetCode(packets[i]!, 0);
    if (code & JUDGED) {
      judged++;
      let want = verdicts[i]!;
      if (pending && i >= n >> 1) {
        want ^= 1;
        pending = false;
      }
      if ((code & 0xff) !== want) {
        throw new VerdictMismatchError(
          `${where}: PacketFilter disagrees with verdictCode on packet #${i} (${describeFlow(flowAt(trace, i))}): filter ${describeVerdict(decodeVerdict(code & 0x1f))}${code & 0x80 ? ' (malformed)' : ''}, verdictCode ${describeVerdict(decodeVerdict(want))}`,
        );
      }
    } else {
      hits++;
      if ((code & 1) !== 1 || stateOf(code) > STATE_REPLY) {
        throw new VerdictMismatchError(
          `${where}: packet #${i} (${describeFlow(flowAt(trace, i))}) was neither judged by policy nor an allowed conntrack hit (code 0x${code.toString(16)})`,
        );
      }
    }
  }
  return { verdicts, judged, hits };
}

// ---- the cases ----

interface Case {
  readonly id: string;
  readonly kind: PacketCaseKind;
  readonly label: string;
  readonly batch: number;
  readonly timed: () => void;
  readonly flows: number;
  readonly filter: PacketFilter | null;
  /** What every timed packet must be: a conntrack hit, a miss, or either. */
  readonly expect: 'hit' | 'miss' | 'any';
  readonly timing?: Partial<TimeOptions>;
}

/** A murmur3 finalizer: a well-mixed u32 from a counter. */
const mix = (x: number): number => {
  let h = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
};

/** A timed function over a ring of packets: each call the next `batch` of them through `f`; the clock advances 1 ms per call. */
function filterLoop(f: PacketFilter, ring: readonly Uint8Array[], batch: number, start: number): () => void {
  if (ring.length % batch !== 0) throw new RangeError(`${ring.length} packets are not a whole number of batches of ${batch}`);
  let at = 0;
  let now = start;
  return () => {
    let x = 0;
    const end = at + batch;
    for (let i = at; i < end; i++) x ^= f.packetCode(ring[i]!, now);
    sink(x);
    now += 0.001;
    at = end === ring.length ? 0 : end;
  };
}

function parseCase(packets: readonly Uint8Array[], batch: number): Case {
  const p = new ParsedPacket();
  for (const b of packets) if (parsePacketInto(b, p) !== 0) throw new Error(`a built packet does not parse: ${p.reason ?? '?'}`);
  let at = 0;
  return {
    id: 'parse',
    kind: 'parse',
    label: 'parse only (parsePacketInto)',
    batch,
    flows: packets.length,
    filter: null,
    expect: 'any',
    timed: () => {
      let x = 0;
      const end = at + batch;
      for (let i = at; i < end; i++) x ^= parsePacketInto(packets[i]!, p) + p.dstPort;
      sink(x);
      at = end === packets.length ? 0 : end;
    },
  };
}

/**
 * `connections` allowed connections, opened with a full exchange (TCP SYN, SYN-ACK, ACK;
 * UDP/SCTP a datagram each way; ICMP echo request and reply), then `count` packets of them,
 * each of a connection and a direction drawn at random (TCP: ACK segments). The trace allows
 * few distinct flows (a few percent of its rows), so the connections cycle through them with a
 * new source port (echo id) per round, as many clients of the same services would.
 */
function hitsCase(where: string, dp: CompiledDataplane, trace: BenchTrace, verdicts: Uint8Array, count: number, connections: number, batch: number): Case {
  const conns = newConnections(where, trace, verdicts, connections, true).conns;
  if (conns.length === 0) throw new Error(`${where}: the trace has no allowed flow to open connections with`);
  const f = new PacketFilter(dp, { maxEntries: Math.max(16, 2 * conns.length) });
  const scratch = new PacketRing(3);
  const step = (c: Conn, dir: 0 | 1, flags: number, judged: boolean, state: number): void => {
    scratch.packets.length = 0;
    const code = f.packetCode(scratch.push(c, dir, flags), 0);
    if ((code & 1) !== 1 || ((code & JUDGED) !== 0) !== judged || stateOf(code) !== state) {
      throw new Error(`${where}: opening ${keyOf(c)}: direction ${dir} flags ${flags} gave code 0x${code.toString(16)}`);
    }
  };
  for (const c of conns) {
    if (c.protocol === 6) {
      step(c, 0, TCP_SYN, true, STATE_NEW);
      step(c, 1, TCP_SYN | TCP_ACK, false, STATE_REPLY);
      step(c, 0, TCP_ACK, false, STATE_ESTABLISHED);
    } else {
      step(c, 0, 0, true, STATE_NEW);
      step(c, 1, 0, false, STATE_REPLY);
    }
  }
  const ring = new PacketRing(count);
  const dirs = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const h = mix(i);
    dirs[i] = mix(i ^ 0x5bd1e995) & 1;
    ring.push(conns[h % conns.length]!, dirs[i] as 0 | 1, TCP_ACK);
  }
  // Untimed pass: every packet an allowed hit, established from the opener, reply from the responder.
  for (let i = 0; i < count; i++) {
    const code = f.packetCode(ring.packets[i]!, 0.5);
    const want = dirs[i] === 0 ? STATE_ESTABLISHED : STATE_REPLY;
    if ((code & 1) !== 1 || code & JUDGED || stateOf(code) !== want)
      throw new Error(`${where}: hits: packet #${i} gave code 0x${code.toString(16)}, not an allowed hit in state ${want}`);
  }
  return {
    id: `hits@${conns.length}`,
    kind: 'hits',
    label: `conntrack hits, ${conns.length} connections (established, both directions)`,
    batch,
    flows: conns.length,
    filter: f,
    expect: 'hit',
    timed: filterLoop(f, ring.packets, batch, 1),
  };
}

/**
 * `count` distinct connections with the wanted verdict: the trace's distinct (protocol,
 * source, destination, port) flows, cycled with a new source port (echo id) 1024 + round
 * per round; no 5-tuple repeats, and none is the reply of another. `expected`: each one's
 * verdictCode.
 */
function newConnections(
  where: string,
  trace: BenchTrace,
  verdicts: Uint8Array,
  count: number,
  allowed: boolean,
): { conns: Conn[]; expected: Uint8Array; pool: number } {
  const pool: Conn[] = [];
  const want: number[] = [];
  const distinct = new Set<string>();
  for (let i = 0; i < trace.count; i++) {
    if ((verdicts[i]! & 1) !== (allowed ? 1 : 0)) continue;
    const c = traceConn(trace, i);
    const k = `${c.protocol} ${c.src} ${c.dst} ${c.dport}`;
    if (distinct.has(k)) continue;
    distinct.add(k);
    pool.push(c);
    want.push(verdicts[i]!);
  }
  if (pool.length === 0) throw new Error(`${where}: the trace has no ${allowed ? 'allowed' : 'denied'} flow`);
  const conns: Conn[] = [];
  const expected = new Uint8Array(count);
  const seen = new Set<string>();
  for (let j = 0; conns.length < count; j++) {
    if (j >= pool.length * 64000) throw new Error(`${where}: not enough distinct 5-tuples for ${count} connections`);
    const c = { ...pool[j % pool.length]!, sport: 1024 + (Math.floor(j / pool.length) % 64000) };
    const k = keyOf(c);
    const r = replyKeyOf(c);
    // A 5-tuple already taken, or the reply of one, would be a hit.
    if (seen.has(k) || seen.has(r)) continue;
    seen.add(k);
    seen.add(r);
    expected[conns.length] = want[j % pool.length]!;
    conns.push(c);
  }
  return { conns, expected, pool: pool.length };
}

/**
 * `count` packets that each open a new connection (newConnections), in a ring 4× the
 * table: when the ring comes round its first connections have long been evicted.
 */
function missesCase(where: string, dp: CompiledDataplane, trace: BenchTrace, verdicts: Uint8Array, count: number, allowed: boolean, batch: number): Case {
  const { conns, expected, pool } = newConnections(where, trace, verdicts, count, allowed);
  const ring = new PacketRing(count);
  for (const c of conns) ring.push(c, 0, TCP_SYN);
  const maxEntries = Math.max(16, count >> 2);
  const f = new PacketFilter(dp, { maxEntries });
  for (let i = 0; i < count; i++) {
    const code = f.packetCode(ring.packets[i]!, 0.5);
    if (!(code & JUDGED) || (code & 0xff) !== expected[i]) {
      throw new VerdictMismatchError(
        `${where}: misses: packet #${i} gave code 0x${code.toString(16)}, verdictCode of its flow is ${describeVerdict(decodeVerdict(expected[i]!))}`,
      );
    }
  }
  return {
    id: allowed ? 'misses-allowed' : 'misses-denied',
    kind: allowed ? 'misses-allowed' : 'misses-denied',
    label: allowed ? 'conntrack misses, allowed (verdict, insert, LRU eviction)' : 'conntrack misses, denied (lookup, verdict)',
    batch,
    flows: pool,
    filter: f,
    expect: 'miss',
    timed: filterLoop(f, ring.packets, batch, 1),
  };
}

/** The trace twice through a fresh filter per call (flushed inside the timed call). */
function traceCase(dp: CompiledDataplane, packets: readonly Uint8Array[]): Case {
  const n = packets.length;
  const f = new PacketFilter(dp, { maxEntries: Math.max(16, n >> 1) });
  let now = 1;
  return {
    id: 'trace',
    kind: 'trace',
    label: 'the trace twice through a fresh filter',
    batch: 2 * n,
    flows: n,
    filter: f,
    expect: 'any',
    timing: { iterations: 8 },
    timed: () => {
      f.flush();
      let x = 0;
      for (let i = 0; i < n; i++) x ^= f.packetCode(packets[i]!, now);
      now += 0.001;
      for (let i = 0; i < n; i++) x ^= f.packetCode(packets[i]!, now);
      now += 0.001;
      sink(x);
    },
  };
}

function timeCase(where: string, c: Case, timing: TimeOptions): PacketCaseResult {
  const f = c.filter;
  const s0 = f?.stats();
  const t0 = f?.conntrack.stats();
  const entries = f?.conntrack.size ?? 0;
  const t = timeBatch(`${where} packets ${c.id}`, c.timed, c.batch, { ...timing, ...c.timing });
  let conntrack: PacketConntrackFigures | null = null;
  if (f && s0 && t0) {
    const s1 = f.stats();
    const t1 = f.conntrack.stats();
    const packets = s1.packets - s0.packets;
    const hits = s1.hits - s0.hits;
    const misses = s1.misses - s0.misses;
    if (c.expect === 'hit' && misses !== 0) throw new Error(`${where}: ${c.label}: ${misses} of ${packets} timed packets missed the table`);
    if (c.expect === 'miss' && hits !== 0) throw new Error(`${where}: ${c.label}: ${hits} of ${packets} timed packets hit the table`);
    const per = (x: number): number => Number((x / packets).toPrecision(4));
    conntrack = {
      maxEntries: t1.capacity,
      entries,
      hits: per(hits),
      misses: per(misses),
      inserts: per(t1.inserted - t0.inserted),
      evictions: per(t1.evicted - t0.evicted),
    };
  }
  return {
    id: c.id,
    kind: c.kind,
    label: c.label,
    batch: c.batch,
    packetsPerSecond: roundSpread(t.perSecond),
    nsPerPacket: round(t.nsPerOp, 2),
    samples: t.samples,
    load: t.load,
    flows: c.flows,
    conntrack,
  };
}

export function runPackets(specs: readonly PacketSpec[], progress: Progress): PacketScenarioResult[] {
  const results: PacketScenarioResult[] = [];
  for (const spec of specs) {
    const where = `packets ${spec.id}`;
    progress.phase(`packet path ${spec.id}`);
    const shape = shapeOf(spec.size);
    progress.step(`${spec.id}: generating and compiling ${shape.pods} pods / ${shape.policies} policies`);
    const cluster = benchCluster(shape);
    const dp = new CompiledDataplane(cluster);
    const n = spec.packets;
    const trace = benchTrace(cluster, { count: n, seed: spec.traceSeed, family: 4 });
    const ring = tracePackets(trace);
    progress.step(`${spec.id}: checking the filter's verdicts against verdictCode (${n} packets)`);
    const check = verifyPacketVerdicts(where, dp, trace, ring.packets, spec.injectMismatch);
    const cases: PacketCaseResult[] = [];
    const build: (() => Case)[] = [
      () => parseCase(ring.packets, spec.batch),
      ...spec.hitConnections.map((k) => () => hitsCase(where, dp, trace, check.verdicts, n, k, spec.batch)),
      () => missesCase(where, dp, trace, check.verdicts, n, false, spec.batch),
      () => missesCase(where, dp, trace, check.verdicts, n, true, spec.batch),
      () => traceCase(dp, ring.packets),
    ];
    for (const make of build) {
      progress.step(`${spec.id}: preparing a case`);
      const c = make();
      progress.step(`${spec.id}: timing ${c.label}`);
      cases.push(timeCase(where, c, spec.timing));
      collectGarbage();
    }
    const proto = (p: number): number => trace.protocol.reduce((a, x) => a + (x === p ? 1 : 0), 0);
    results.push({
      id: spec.id,
      size: clusterSize(shape, cluster),
      trace: {
        count: n,
        seed: spec.traceSeed,
        family: 4,
        protocols: { tcp: proto(6), udp: proto(17), sctp: proto(132), icmp: proto(1) },
        bytes: ring.bytes,
        allowedShare: round(check.verdicts.reduce((a, v) => a + (v & 1), 0) / n, 4),
      },
      verification: { ok: true, judged: check.judged, conntrackHits: check.hits },
      cases,
    });
  }
  return results;
}
