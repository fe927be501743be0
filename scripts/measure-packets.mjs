#!/usr/bin/env node
// Packet-path throughput (until the bench package wires it in):
//   npx pnpm@12.21.0 --filter @netpol/core run build && node scripts/measure-packets.mjs [S|M|L] [--packets N]
// Raw IPv4 TCP/UDP packets (real header layouts: 20-byte IP + 20-byte TCP / 8-byte UDP) built
// from a synthetic cluster's Zipf trace, through PacketFilter.packetCode (parse + conntrack +
// compiled verdict). Four figures, packets/s on one core, median of rounds:
//   parse      parsePacketInto alone
//   hits       every packet belongs to an allowed, tracked connection (conntrack hit, no policy)
//   misses     every packet opens a new connection (unique 5-tuples): policy verdict, and an
//              insert for the allowed ones, with LRU eviction once the table is full
//   mixed      the trace as is, replayed twice through one filter (first pass mostly misses,
//              second mostly hits; denied flows are judged again each time)
// Before timing, the filter's verdicts for new connections are checked against the
// dataplane's own verdictCode on the same flows.
import { CompiledDataplane, PacketFilter, ParsedPacket, SIZES, parseIP, parsePacketInto, syntheticCluster, syntheticTrace } from '../packages/core/dist/index.js';

const args = process.argv.slice(2);
const sizeName = args.find((a) => /^(S|M|L|XL)$/.test(a)) ?? 'M';
const countArg = args.indexOf('--packets');
const COUNT = countArg >= 0 ? Number(args[countArg + 1]) : 1 << 18;
const ROUNDS = 7;
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

function packetBytes(src, dst, protocol, sport, dport, flags) {
  const l4 = protocol === 6 ? 20 : 8;
  const b = new Uint8Array(20 + l4);
  const v = new DataView(b.buffer);
  b[0] = 0x45;
  v.setUint16(2, 20 + l4);
  b[8] = 64;
  b[9] = protocol;
  v.setUint32(12, src);
  v.setUint32(16, dst);
  v.setUint16(20, sport);
  v.setUint16(22, dport);
  if (protocol === 6) {
    b[32] = 0x50;
    b[33] = flags;
  } else v.setUint16(24, 8);
  return b;
}

const SYN = 2;
const ACK = 16;

function time(label, fn, packets = COUNT) {
  const rounds = [];
  for (let k = 0; k < ROUNDS; k++) {
    const t = performance.now();
    fn(k);
    rounds.push(performance.now() - t);
  }
  const ms = median(rounds);
  const pps = (packets / ms) * 1000;
  console.log(`  ${label.padEnd(52)} ${(pps / 1e6).toFixed(2).padStart(6)} M packets/s  (${((ms * 1e6) / packets).toFixed(0)} ns/packet)`);
  return pps;
}

const cluster = syntheticCluster({ ...SIZES[sizeName], seed: 1 });
const dp = new CompiledDataplane(cluster, { native: 'off' });
const trace = syntheticTrace(cluster, { count: COUNT, seed: 7 });
console.log(`netpol packet path: cluster ${sizeName} (${SIZES[sizeName].pods} pods, ${SIZES[sizeName].policies} policies), ${COUNT} packets per round, median of ${ROUNDS} rounds, Node ${process.version}`);

// Packets of the trace: TCP (or UDP for UDP flows) with distinct source ports per flow index.
const tracePackets = [];
for (let i = 0; i < COUNT; i++) {
  const proto = trace.protocol[i] === 17 ? 17 : 6;
  tracePackets.push(packetBytes(trace.src[i], trace.dst[i], proto, 1024 + (i % 60000), trace.port[i], SYN));
}

// Correctness first: the filter's verdict for a new connection is the dataplane's.
{
  const f = new PacketFilter(dp, { maxEntries: 1 << 20 });
  let mismatches = 0;
  for (let i = 0; i < Math.min(COUNT, 50_000); i++) {
    const code = f.packetCode(tracePackets[i], 0);
    const flow = { src: parseIP(num(trace.src[i])), dst: parseIP(num(trace.dst[i])), protocol: trace.protocol[i] === 17 ? 17 : 6, port: trace.port[i] };
    const expected = dp.verdictCode(flow);
    // A later packet of the same 5-tuple is a conntrack hit (allowed), not a judgement.
    if (((code >>> 8) & 7) === 0 && (code & 0x1f) !== expected) mismatches++;
  }
  console.log(`  check: filter verdicts for new connections = dataplane.verdictCode (${mismatches} mismatches in ${Math.min(COUNT, 50_000)})`);
  if (mismatches) process.exit(1);
}
function num(a) {
  return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
}

// parse only
{
  const p = new ParsedPacket();
  let sink = 0;
  time('parse (parsePacketInto)', () => {
    for (let i = 0; i < COUNT; i++) sink += parsePacketInto(tracePackets[i], p) + p.dstPort;
  });
  if (sink === 42) console.log('');
}

// hits: allowed connections opened once, then ACK segments in both directions
{
  const f = new PacketFilter(dp, { maxEntries: 1 << 17 });
  const fwd = [];
  const back = [];
  for (let i = 0; i < COUNT && fwd.length < 65536; i++) {
    const proto = trace.protocol[i] === 17 ? 17 : 6;
    const sport = 1024 + (i % 60000);
    const code = f.packetCode(packetBytes(trace.src[i], trace.dst[i], proto, sport, trace.port[i], SYN), 0);
    if ((code & 1) === 1 && ((code >>> 8) & 7) === 0) {
      fwd.push(packetBytes(trace.src[i], trace.dst[i], proto, sport, trace.port[i], ACK));
      back.push(packetBytes(trace.dst[i], trace.src[i], proto, trace.port[i], sport, ACK));
    }
  }
  const pkts = [];
  for (let i = 0; i < COUNT; i++) {
    const k = (i * 2654435761) % fwd.length >>> 0;
    // A buffer per packet, in arrival order, as the miss figures have (not 2x|connections|
    // shared buffers visited at random, which measures cache misses on the buffers).
    pkts.push((i & 1 ? back[k] : fwd[k]).slice());
  }
  let allowed = 0;
  time(`conntrack hits (${fwd.length} connections, both directions)`, (r) => {
    for (let i = 0; i < COUNT; i++) allowed += f.packetCode(pkts[i], 1 + r) & 1;
  });
  if (allowed !== COUNT * ROUNDS) throw new Error(`hits: only ${allowed} of ${COUNT * ROUNDS} allowed`);
  console.log(`    (every packet allowed as established/reply; table ${f.conntrack.size} entries, ${(f.conntrack.stats().bytes / 1048576).toFixed(1)} MiB)`);
}

// misses: every packet a new 5-tuple (a fresh source port per round), allowed or denied
{
  // The trace's allowed and denied flows, apart.
  const probe = new PacketFilter(dp, { maxEntries: 1 });
  const allowedFlows = [];
  const deniedFlows = [];
  const seen = new Set();
  for (let i = 0; i < COUNT; i++) {
    const b = tracePackets[i];
    const key = `${b[9]} ${b.subarray(12, 20).join('.')} ${b[22]} ${b[23]}`; // distinct (proto, src, dst, dport)
    if (seen.has(key)) continue;
    seen.add(key);
    const code = probe.packetCode(b, 0);
    (code & 1 ? allowedFlows : deniedFlows).push(b);
  }
  for (const [label, pool, allowedExpected] of [
    ['conntrack misses, allowed (verdict + insert, LRU evicts)', allowedFlows, true],
    ['conntrack misses, denied (verdict only)', deniedFlows, false],
  ]) {
    if (pool.length === 0) continue;
    const f = new PacketFilter(dp, { maxEntries: 65536 });
    const rounds = Array.from({ length: ROUNDS }, (_, r) =>
      Array.from({ length: COUNT }, (_, i) => {
        // A new 5-tuple for every packet of every round: flow n % |pool| with source port
        // n / |pool| (unique while n < |pool| * 64000).
        const n = r * COUNT + i;
        const c = pool[n % pool.length].slice();
        new DataView(c.buffer).setUint16(20, 1024 + (Math.floor(n / pool.length) % 64000));
        return c;
      }),
    );
    let allowed = 0;
    time(label, (r) => {
      const pk = rounds[r];
      for (let i = 0; i < COUNT; i++) allowed += f.packetCode(pk[i], r + i / COUNT) & 1;
    });
    const st = f.conntrack.stats();
    if ((allowed === COUNT * ROUNDS) !== allowedExpected) throw new Error(`${label}: ${allowed} allowed`);
    console.log(`    (${allowed} allowed; ${st.inserted} inserted, ${st.evicted} evicted under maxEntries 65536; hits ${f.stats().hits})`);
  }
}

// mixed: the trace as is, twice through a fresh filter (first pass misses, second pass hits
// for the allowed flows; denied flows are judged again every time)
{
  let f;
  time(
    'mixed (the trace twice through a fresh filter)',
    (r) => {
      f = new PacketFilter(dp, { maxEntries: 1 << 17 });
      for (let i = 0; i < COUNT; i++) f.packetCode(tracePackets[i], r);
      for (let i = 0; i < COUNT; i++) f.packetCode(tracePackets[i], r + 0.5);
    },
    2 * COUNT,
  );
  const s = f.stats();
  console.log(`    (per round: ${s.hits} hits, ${s.misses} misses)`);
}
