// `netpol replay` under hostile captures: a SYN flood of distinct flows keeps a bounded flow
// table (the busiest flows listed, the rest counted), and a capture that cannot be read to its
// end says so, with --fail-on-deny as a failure (exit 2), since its unread rest may hold denials.
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { openCapture } from '@netpol/core';
import { FlowTable } from '../../packages/core/src/cli/replay-flows.js';
import { runCli, scratchFile as write } from '../helpers.js';
import { fixture, FIXTURES, ipv4, pcap, tcp, TCP_FLAGS as F } from './build.js';

const CLUSTER = ['-f', join(FIXTURES, 'cluster.yaml'), '-f', join(FIXTURES, 'policies.yaml')];
const CLIENT = '10.244.1.10';
const INTRUDER = '10.244.1.11';
const SERVER = '10.244.1.20';
const RAW_IP = 101;

async function cli(...args: string[]) {
  const r = await runCli(...args);
  return { ...r, err: r.err.join('\n') };
}

const syn = (src: string, sport: number) => ({ data: ipv4({ protocol: 6, src, dst: SERVER }, tcp(sport, 8080, F.S)) });

describe('replay: bounded flow table', () => {
  // 30,000 denied SYNs, each its own flow, and in the middle one flow retried 5 times.
  const N = 30_000;
  const records = Array.from({ length: N }, (_, i) => syn(INTRUDER, 20_000 + i));
  records.splice(12_345, 0, ...Array.from({ length: 5 }, () => syn(INTRUDER, 999)));
  const flood = write('flood.pcap', pcap(records, { linkType: RAW_IP }));

  test('the summary lists the busiest denied flows and counts the others; the table never grows past its capacity', async () => {
    const r = await cli('replay', flood, ...CLUSTER, '-o', 'json', '--top-flows', '3');
    expect(r.code).toBe(0);
    const s = JSON.parse(r.out.join('\n'));
    expect(s.packets).toMatchObject({ total: N + 5, denied: N + 5 });
    expect(s.deniedFlows).toHaveLength(3);
    expect(s.deniedFlows[0]).toMatchObject({ srcPort: 999, packets: 5 });
    const listed = s.deniedFlows.reduce((n: number, f: { packets: number }) => n + f.packets, 0);
    expect(s.otherDeniedFlows).toEqual({ flows: N + 1 - 3, packets: N + 5 - listed });
    expect(s.flowTable.capacity).toBe(10_000);
    expect(s.flowTable.folded).toBeGreaterThan(0);
    const text = (await cli('replay', flood, ...CLUSTER, '-o', 'summary', '--top-flows', '3')).out.join('\n');
    expect(text).toContain(`and ${N + 1 - 3} more denied flow(s), ${N + 5 - listed} packet(s)`);
    expect(text).toMatch(/^denied flows \(the 3 with most packets\):\n {2}10\.244\.1\.11:999 .*: 5 packet\(s\)/m);
    expect(text).toContain('flow counts are approximate');
  });

  test('--top-flows must be 1..100000', async () => {
    for (const bad of ['0', '-1', 'x', '100001']) expect((await cli('replay', flood, ...CLUSTER, '-o', 'json', '--top-flows', bad)).code).toBe(2);
  });

  test('FlowTable: at most `capacity` flows; folding keeps the busiest and counts the rest', () => {
    const t = new FlowTable<{ allowed: boolean; packets: number }>(100);
    let most = 0;
    for (let i = 0; i < 10_000; i++) {
      t.add(`f${i}`, { allowed: i % 3 === 0, packets: 1 });
      if (i === 5_000) t.get('f5000')!.packets = 50;
      most = Math.max(most, t.size);
    }
    expect(most).toBe(100);
    const top = t.topDenied(1);
    expect(top.listed[0]!.packets).toBe(50);
    const deniedPackets = 10_000 - Math.ceil(10_000 / 3) + 49;
    expect(top.listed[0]!.packets + top.rest.packets).toBe(deniedPackets);
  });
});

describe('replay: a capture that cannot be read to its end', () => {
  // An allowed SYN, then a record header with an impossible length, then denied SYNs nobody judges.
  const first = syn(CLIENT, 40_000);
  const bytes = pcap([first, syn(INTRUDER, 1), syn(INTRUDER, 2), syn(INTRUDER, 3)], { linkType: RAW_IP });
  const at = 24 + 16 + first.data.length;
  new DataView(bytes.buffer, bytes.byteOffset).setUint32(at + 8, 0xffffffff, true);
  const cut = write('cut.pcap', bytes);
  const unread = bytes.length - at;

  test('--fail-on-deny: exit 2, saying how many records were replayed and how much could not be read', async () => {
    for (const output of ['jsonl', 'summary', 'json']) {
      const r = await cli('replay', cut, ...CLUSTER, '-o', output, '--fail-on-deny');
      expect(r.code).toBe(2);
      expect(r.err).toContain(`record 2 at byte ${at}: captured length 4294967295 is not plausible`);
      expect(r.err).toContain(`1 record(s) before it were replayed; the remaining ${unread} byte(s) could not be read`);
      expect(r.err).not.toContain('warning');
    }
  });

  test('without it: exit 0, and the warning and the summary still say the capture was cut', async () => {
    const r = await cli('replay', cut, ...CLUSTER, '-o', 'summary');
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/^netpol: warning: .*the remaining \d+ byte\(s\) could not be read/);
    expect(r.out.join('\n')).toContain(`capture cut: record 2 at byte ${at}`);
    const j = JSON.parse((await cli('replay', cut, ...CLUSTER, '-o', 'json')).out.join('\n'));
    expect(j.capture).toMatchObject({ unreadBytes: unread });
    expect(j.capture.problem).toContain('not plausible');
  });

  test('openCapture: unreadBytes for pcap and pcapng, 0 for a capture read to its end', () => {
    const count = (b: Uint8Array) => {
      const o = openCapture(b);
      if (!o.ok) throw new Error(o.error);
      const n = [...o.capture.records()].length;
      return { n, unread: o.capture.unreadBytes, problem: o.capture.problem };
    };
    const ng = fixture('demo.pcapng');
    expect(count(ng)).toEqual({ n: 52, unread: 0, problem: undefined });
    const half = ng.length >> 1;
    const cutNg = count(ng.subarray(0, half));
    expect(cutNg.n).toBeGreaterThan(0);
    expect(cutNg.n).toBeLessThan(52);
    expect(cutNg.problem).toMatch(/^block at byte (\d+).*cut short/);
    expect(cutNg.unread).toBe(half - Number(/^block at byte (\d+)/.exec(cutNg.problem!)![1]));
    expect(count(bytes)).toMatchObject({ n: 1, unread });
  });
});
