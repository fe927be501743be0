// Bulk fuzzing of the packet parser and the whole packet path: well over a million random
// and mutated inputs through a hand-rolled PRNG (fast-check would spend its budget on
// generation and shrinking; the structured, shrinkable properties are in parse.test.ts).
// Seeds are the real captured packets of test/fixtures/pcap plus crafted extension chains.
// FUZZ_SEED=<n> replays a run; FUZZ_INPUTS=<n> changes the count.
import { describe, expect, test } from 'vitest';
import { CompiledDataplane, FRAGMENT, MALFORMED_REASONS, PacketFilter, ParsedPacket, linkPayload, loadFiles, openCapture, parsePacketInto } from '@netpol/core';
import { FIXTURES, fixture, icmp, ipv4, ipv6, sctp, tcp, udp } from './build.js';
import { join } from 'node:path';

const SEED = Number(process.env['FUZZ_SEED'] ?? 0x5eed1234) >>> 0;
const INPUTS = Number(process.env['FUZZ_INPUTS'] ?? 2_000_000);

/** xorshift32: fast, deterministic, good enough to pick bytes. */
function prng(seed: number): () => number {
  let x = seed || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}

function seeds(): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const name of ['demo.eth.pcap', 'fragments.pcap']) {
    const c = openCapture(fixture(name));
    if (!c.ok) throw new Error(c.error);
    for (const r of c.capture.records()) {
      const l = linkPayload(r.linkType, r.data);
      if (l.ok) out.push(r.data.slice(l.offset));
    }
  }
  out.push(
    ipv4({ protocol: 6, options: [1, 1, 1, 0] }, tcp(1, 2)),
    ipv4({ protocol: 17, more: true }, udp(1, 2, [1, 2, 3, 4])),
    ipv4({ protocol: 1 }, icmp(8)),
    ipv4({ protocol: 132 }, sctp(1, 2)),
    ipv6(
      {
        protocol: 6,
        ext: [{ kind: 'hop' }, { kind: 'routing', len: 1 }, { kind: 'dest' }, { kind: 'ah', len: 2 }, { kind: 'fragment', offset: 0, more: true }],
      },
      tcp(1, 2),
    ),
    ipv6({ protocol: 58, ext: [{ kind: 'fragment', offset: 8, more: false }] }, [0, 0, 0, 0]),
    ipv6({ protocol: 50, ext: [{ kind: 'dest' }] }, [1, 2, 3, 4, 5, 6, 7, 8]),
  );
  return out;
}

const INTERESTING = [0, 1, 4, 5, 6, 8, 15, 17, 0x2c, 0x3b, 0x33, 0x32, 0x3a, 0x40, 0x45, 0x4f, 0x60, 0x7f, 0x80, 0xff];

/** Fills `buf` with the next input; returns its length. Half random bytes, half mutated seeds. */
function nextInput(rnd: () => number, pool: Uint8Array[], buf: Uint8Array): number {
  const r = rnd();
  if ((r & 1) === 0) {
    // Random bytes, with a plausible version nibble most of the time so the fuzz goes deep.
    const len = (r >>> 1) % 120;
    for (let i = 0; i < len; i += 4) {
      const w = rnd();
      buf[i] = w;
      buf[i + 1] = w >>> 8;
      buf[i + 2] = w >>> 16;
      buf[i + 3] = w >>> 24;
    }
    if (len > 0 && (r & 6) !== 0) buf[0] = (r & 8 ? 0x40 : 0x60) | (buf[0]! & 15);
    return len;
  }
  const s = pool[(r >>> 1) % pool.length]!;
  let len = s.length;
  buf.set(s);
  const edits = 1 + ((r >>> 12) & 3);
  for (let e = 0; e < edits; e++) {
    const m = rnd();
    const at = len === 0 ? 0 : (m >>> 4) % len;
    switch (m & 7) {
      case 0:
      case 1:
        buf[at] = buf[at]! ^ (1 << ((m >>> 24) & 7)); // bit flip
        break;
      case 2:
        buf[at] = INTERESTING[(m >>> 24) % INTERESTING.length]!; // interesting byte
        break;
      case 3:
        buf[at] = m >>> 24; // random byte
        break;
      case 4:
        len = (m >>> 4) % (len + 1); // truncate
        break;
      case 5: {
        // a length-ish field: IPv4 total length / IPv6 payload length / an extension length
        const f = [2, 3, 4, 5, 41, 0][(m >>> 24) % 6]!;
        if (f < len) buf[f] = m >>> 16;
        break;
      }
      case 6:
        if (len < buf.length - 8) len += (m >>> 24) & 7; // stale bytes beyond the end
        break;
      default:
        if (len > 0) buf[0] = (buf[0]! & 0xf0) | ((m >>> 24) & 15); // IHL
    }
  }
  return len;
}

describe('fuzz', () => {
  const pool = seeds();

  test(`parsePacketInto: ${INPUTS} random and mutated inputs, no exception, consistent output`, () => {
    expect(pool.length).toBeGreaterThan(60);
    const rnd = prng(SEED);
    const buf = new Uint8Array(4096);
    const p = new ParsedPacket();
    const reasons = new Array<number>(MALFORMED_REASONS.length).fill(0);
    let parsedL4 = 0;
    let laterFragments = 0;
    let bad = '';
    const t0 = performance.now();
    for (let i = 0; i < INPUTS; i++) {
      const len = nextInput(rnd, pool, buf);
      const bytes = buf.subarray(0, len);
      let code: number;
      try {
        code = parsePacketInto(bytes, p, (i & 15) === 0 ? len + (i & 1023) : len);
      } catch (e) {
        bad = `input ${i} (FUZZ_SEED=${SEED}) threw: ${(e as Error).message} bytes=${Buffer.from(bytes).toString('hex')}`;
        break;
      }
      reasons[code]!++;
      // Invariants of every answer.
      if (code !== p.error || code < 0 || code >= MALFORMED_REASONS.length) bad = `input ${i}: code ${code} / error ${p.error}`;
      else if (code === 0) {
        if (p.family !== 4 && p.family !== 6) bad = `input ${i}: family ${p.family}`;
        else if (p.ipEnd > len || p.l4Offset > p.ipEnd) bad = `input ${i}: l4Offset ${p.l4Offset} ipEnd ${p.ipEnd} len ${len}`;
        else if (p.hasL4 && p.fragment === FRAGMENT.later) bad = `input ${i}: L4 parsed from a later fragment`;
        else if (p.srcPort > 65535 || p.dstPort > 65535 || p.protocol > 255) bad = `input ${i}: field out of range`;
        else if (p.hasL4 && (p.protocol === 6 ? 20 : p.protocol === 17 ? 8 : p.protocol === 132 ? 12 : 4) > p.ipEnd - p.l4Offset)
          bad = `input ${i}: L4 header beyond the packet`;
        if (p.hasL4) parsedL4++;
        if (p.fragment === FRAGMENT.later) laterFragments++;
      }
      if (bad) break;
    }
    const ms = performance.now() - t0;
    expect(bad).toBe('');
    // The fuzz reached every branch that matters: valid L4, later fragments, every reason.
    expect(parsedL4).toBeGreaterThan(INPUTS / 20);
    expect(laterFragments).toBeGreaterThan(100);
    for (let r = 1; r < MALFORMED_REASONS.length; r++) expect(reasons[r], MALFORMED_REASONS[r]).toBeGreaterThan(10);
    // Keep the suite's budget honest (a regression to allocation per packet would show).
    expect(ms).toBeLessThan(15_000);
  });

  test('the whole packet path (parse, conntrack, compiled verdicts): 300k mutated packets, bounded table', () => {
    const r = loadFiles([join(FIXTURES, 'cluster.yaml'), join(FIXTURES, 'policies.yaml')]);
    const dp = new CompiledDataplane(r.cluster!, { native: 'off' });
    for (const fragmentPolicy of ['protocol-only', 'track'] as const) {
      const filter = new PacketFilter(dp, { maxEntries: 512, fragmentPolicy });
      const rnd = prng(SEED ^ 0x9e3779b9);
      const buf = new Uint8Array(4096);
      let allowed = 0;
      let malformed = 0;
      for (let i = 0; i < 150_000; i++) {
        const len = nextInput(rnd, pool, buf);
        const code = filter.packetCode(buf.subarray(0, len), i / 1000);
        if (code & 0x80) malformed++;
        else if (code & 1) allowed++;
      }
      expect(filter.conntrack.size).toBeLessThanOrEqual(512);
      expect(filter.conntrack.stats().evicted + filter.conntrack.stats().expired).toBeGreaterThan(0);
      expect(allowed).toBeGreaterThan(1000);
      expect(malformed).toBeGreaterThan(1000);
      // The table is still consistent: every entry is found again from its own key.
      for (const e of filter.conntrack.entries()) expect(e.state).not.toBe('none');
    }
  });
});
