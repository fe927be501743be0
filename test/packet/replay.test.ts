// `netpol replay` on the recorded captures: the verdicts the fixture's cluster and policies
// call for, replies included, in every capture format; the summary; options; exit codes.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { run } from '../../packages/core/src/cli/run.js';
import { ethernet, FIXTURES, ipv4, pcap, tcp, udp } from './build.js';

const CLUSTER = ['-f', join(FIXTURES, 'cluster.yaml'), '-f', join(FIXTURES, 'policies.yaml')];
const cap = (name: string) => join(FIXTURES, name);

async function cli(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await run(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err: err.join('\n') };
}

interface Line {
  index: number;
  timestamp: string;
  src: string;
  dst: string;
  protocol: string;
  srcPort?: number;
  dstPort?: number;
  tcpFlags?: string;
  icmpType?: number;
  fragment?: string;
  allowed: boolean;
  state: string;
  egress?: string;
  ingress?: string;
  direction?: string;
  policies?: string[];
  error?: string;
  invalid?: string;
  skipped?: string;
}

async function replay(capture: string, ...extra: string[]): Promise<Line[]> {
  const r = await cli('replay', cap(capture), ...CLUSTER, ...extra);
  expect(r.err).toBe('');
  expect(r.code).toBe(0);
  return r.out.map((l) => JSON.parse(l) as Line);
}

const CLIENT = '10.244.1.10';
const INTRUDER = '10.244.1.11';
const SERVER = '10.244.1.20';
const brief = (l: Line) => `${l.allowed ? 'allow' : 'deny'}/${l.state}`;

describe('replay: the demo capture', async () => {
  const lines = await replay('demo.eth.pcap');
  const conn = (src: string, dst: string, proto: string, port: number) =>
    lines.filter(
      (l) => l.protocol === proto && ((l.src === src && l.dst === dst && l.dstPort === port) || (l.src === dst && l.dst === src && l.srcPort === port)),
    );

  test('one line per packet, with index, timestamp, addresses, protocol and ports', () => {
    expect(lines.length).toBe(52);
    expect(lines[0]).toEqual({
      index: 1,
      timestamp: expect.stringMatching(/^\d+\.\d{6}$/),
      src: CLIENT,
      dst: SERVER,
      protocol: 'TCP',
      srcPort: expect.any(Number),
      dstPort: 8080,
      tcpFlags: 'S',
      allowed: true,
      state: 'new',
      egress: 'not-isolated',
      ingress: 'allowed',
    });
  });

  test('client -> server TCP 8080: SYN allowed/new, SYN-ACK allowed/reply, every packet allowed, the server side as replies', () => {
    const c = conn(CLIENT, SERVER, 'TCP', 8080);
    expect(c.length).toBe(10);
    expect(c.slice(0, 3).map((l) => `${l.tcpFlags} ${brief(l)}`)).toEqual(['S allow/new', 'S. allow/reply', '. allow/established']);
    expect(c.every((l) => l.allowed)).toBe(true);
    expect(c.filter((l) => l.src === SERVER).every((l) => l.state === 'reply')).toBe(true);
    expect(
      c
        .filter((l) => l.src === CLIENT)
        .slice(1)
        .every((l) => l.state === 'established'),
    ).toBe(true);
  });

  test('client -> server UDP 5353: request new, response reply (the client is ingress-isolated: conntrack lets it in)', () => {
    expect(conn(CLIENT, SERVER, 'UDP', 5353).map(brief)).toEqual(['allow/new', 'allow/reply']);
  });

  test('intruder -> server: the SYN is denied by ingress, naming server-allow-client; so is its UDP', () => {
    const c = conn(INTRUDER, SERVER, 'TCP', 8080);
    const syn = c.find((l) => l.tcpFlags === 'S')!;
    expect(syn).toMatchObject({
      src: INTRUDER,
      allowed: false,
      state: 'new',
      egress: 'not-isolated',
      ingress: 'denied',
      direction: 'ingress',
      policies: ['demo/server-allow-client'],
    });
    // What the intruder sends before anything is tracked is denied just the same.
    const fromIntruder = c.filter((l) => l.src === INTRUDER);
    expect(fromIntruder.slice(0, 3).map(brief)).toEqual(['deny/new', 'deny/new', 'deny/new']);
    const u = conn(INTRUDER, SERVER, 'UDP', 5353);
    expect(u[0]).toMatchObject({ allowed: false, direction: 'ingress', policies: ['demo/server-allow-client'] });
    // The server's answer is a new flow towards a pod nothing isolates: allowed.
    expect(brief(u[1]!)).toBe('allow/new');
  });

  test('server -> client TCP 9000: a new connection in the reverse direction, denied by client-deny-ingress', () => {
    const c = conn(SERVER, CLIENT, 'TCP', 9000);
    expect(c[0]).toMatchObject({ tcpFlags: 'S', allowed: false, state: 'new', direction: 'ingress', policies: ['demo/client-deny-ingress'] });
    expect(c.every((l) => !l.allowed)).toBe(true);
  });

  test('pings: server -> intruder allowed with replies; client -> server denied (the rule has ports), its reply too', () => {
    const icmp = lines.filter((l) => l.protocol === 'ICMP');
    expect(icmp.map((l) => `${l.src === SERVER ? 'S' : l.src === CLIENT ? 'C' : 'I'}${l.icmpType} ${brief(l)}`)).toEqual([
      'S8 allow/new',
      'I0 allow/reply',
      'S8 allow/established',
      'I0 allow/reply',
      'C8 deny/new',
      'S0 deny/new',
    ]);
    expect(icmp[4]!.policies).toEqual(['demo/server-allow-client']);
    expect(icmp[5]!.policies).toEqual(['demo/client-deny-ingress']);
  });

  test('IPv6: the TCP connection is allowed with its replies; the neighbour advertisement into the client is denied', () => {
    const c = conn('fd00:10:244:1::10', 'fd00:10:244:1::20', 'TCP', 8080);
    expect(c.length).toBe(10);
    expect(c.slice(0, 2).map(brief)).toEqual(['allow/new', 'allow/reply']);
    expect(c.every((l) => l.allowed)).toBe(true);
    const nd = lines.filter((l) => l.protocol === 'ICMPv6');
    expect(nd.map((l) => `${l.icmpType} ${brief(l)} ${l.ingress}`)).toEqual(['135 allow/new not-applicable', '136 deny/new denied']);
  });

  test('the same verdicts from SLL2, nanosecond pcap and pcapng', async () => {
    const sig = (ls: Line[]) => ls.map((l) => `${l.src}>${l.dst} ${l.srcPort ?? l.icmpType} ${brief(l)} ${l.policies ?? ''}`);
    for (const other of ['demo.sll2.pcap', 'demo.ns.pcap', 'demo.pcapng']) expect(sig(await replay(other))).toEqual(sig(lines));
    expect((await replay('demo.ns.pcap'))[0]!.timestamp).toMatch(/^\d+\.\d{9}$/);
  });

  test('--allow-icmpv6-nd and --strict-tcp change exactly what they should', async () => {
    const nd = await replay('demo.eth.pcap', '--allow-icmpv6-nd');
    expect(nd.filter((l) => !l.allowed).length).toBe(lines.filter((l) => !l.allowed).length - 1);
    const strict = await replay('demo.eth.pcap', '--strict-tcp');
    // Without mid-stream pickup only the intruder's SYN is judged (denied); its later segments
    // belong to no connection and cannot open one: invalid (Linux's nf_conntrack_tcp_loose=0).
    const fromIntruder = strict.filter((l) => l.src === INTRUDER && l.protocol === 'TCP');
    expect(fromIntruder.length).toBe(6);
    expect(fromIntruder.map(brief)).toEqual(['deny/new', ...Array(5).fill('deny/invalid')]);
    expect(lines.filter((l) => l.src === INTRUDER && l.protocol === 'TCP' && l.allowed).length).toBeGreaterThan(0);
  });
});

describe('replay: summaries', () => {
  test('-o json: packets and flows allowed/denied per policy and per direction, every denied flow (busiest first)', async () => {
    const r = await cli('replay', cap('demo.eth.pcap'), ...CLUSTER, '-o', 'json');
    expect(r.code).toBe(0);
    const s = JSON.parse(r.out.join('\n'));
    expect(s.packets).toEqual({
      total: 52,
      ip: 52,
      skipped: 0,
      allowed: 34,
      denied: 14,
      malformed: 0,
      // The SYN-ACKs and FINs of the two denied TCP connections: no connection, no verdict.
      invalid: 4,
      byState: { new: 21, established: 13, reply: 14, fragment: 0, invalid: 4 },
    });
    expect(s.flows).toEqual({ allowed: 7, denied: 7 });
    expect(s.directions.egress).toEqual({ allowed: { packets: 0, flows: 0 }, denied: { packets: 0, flows: 0 } });
    expect(s.directions.ingress).toEqual({ allowed: { packets: 3, flows: 3 }, denied: { packets: 14, flows: 7 } });
    expect(s.policies).toEqual({
      'demo/server-allow-client': { allowed: { packets: 3, flows: 3 }, denied: { packets: 7, flows: 4 } },
      'demo/client-deny-ingress': { allowed: { packets: 0, flows: 0 }, denied: { packets: 7, flows: 3 } },
    });
    // The server's SYN-ACK to the intruder is no flow (it used to be judged, and allowed, as a
    // new connection from the server); the client's bare ACKs to the server are: picked up mid-stream.
    expect(s.deniedFlows.map((f: { srcPod: string; dstPod: string; protocol: string }) => `${f.srcPod} -> ${f.dstPod} ${f.protocol}`)).toEqual([
      'demo/server -> demo/client TCP',
      'demo/intruder -> demo/server TCP',
      'demo/client -> demo/server TCP',
      'demo/intruder -> demo/server UDP',
      'demo/client -> demo/server ICMP',
      'demo/server -> demo/client ICMP',
      'demo/server -> demo/client ICMPv6',
    ]);
  });

  test('-o summary: readable, names the policies', async () => {
    const r = await cli('replay', cap('demo.pcapng'), ...CLUSTER, '-o', 'summary');
    expect(r.code).toBe(0);
    const text = r.out.join('\n');
    expect(text).toMatch(/^pcapng: 52 frame\(s\), 52 IP packet\(s\), 0 not IP$/m);
    expect(text).toMatch(/^packets: 34 allowed, 14 denied, 0 malformed, 4 invalid \(TCP segments of no tracked connection\)$/m);
    expect(text).toMatch(/^ {2}by state: new 21, established 13, reply 14, fragment 0, invalid 4$/m);
    expect(text).toMatch(
      /10\.244\.1\.11:\d+ \(demo\/intruder\) -> 10\.244\.1\.20:8080 \(demo\/server\) TCP: 3 packet\(s\), ingress denied by demo\/server-allow-client/,
    );
  });
});

describe('replay: fragments', () => {
  test('default protocol-only: later fragments into isolated pods are denied; track follows the first fragment', async () => {
    const lines = await replay('fragments.pcap');
    const frags = lines.filter((l) => l.fragment);
    expect(frags.map((l) => `${l.fragment} ${l.protocol} ${brief(l)}`)).toEqual([
      'first UDP allow/new',
      'later UDP deny/fragment',
      'later UDP deny/fragment',
      'first UDP allow/reply',
      'later UDP deny/fragment',
      'later UDP deny/fragment',
      'first ICMPv6 allow/new',
      'later ICMPv6 allow/fragment',
      'first ICMPv6 allow/reply',
      'later ICMPv6 deny/fragment',
    ]);
    expect(frags[1]!.policies).toEqual(['demo/server-allow-client']);
    expect(frags[4]!.policies).toEqual(['demo/client-deny-ingress']);
    const tracked = await replay('fragments.pcap', '--fragments', 'track');
    expect(tracked.filter((l) => l.fragment).every((l) => l.allowed)).toBe(true);
    const allowed = await replay('fragments.pcap', '--fragments', 'allow', '--allow-icmpv6-nd');
    expect(allowed.every((l) => l.allowed)).toBe(true);
  });
});

describe('replay: bad packets and bad input', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'netpol-replay-'));
  const write = (name: string, bytes: Uint8Array) => {
    const f = join(tmp, name);
    writeFileSync(f, bytes);
    return f;
  };

  test('malformed packets, non-IP frames and a truncated file: reported per packet and on stderr, exit 0', async () => {
    const good = ethernet(ipv4({ protocol: 6, src: '10.244.1.10', dst: '10.244.1.20' }, tcp(1, 8080)));
    const cutL4 = ethernet(ipv4({ protocol: 17, src: '10.244.1.10', dst: '10.244.1.20' }, udp(1, 5353).slice(0, 4)));
    const arp = ethernet(new Uint8Array(28), [], 0x0806);
    const file = pcap([{ data: good }, { data: cutL4 }, { data: arp }, { data: ethernet(new Uint8Array(0)) }, { data: good }]);
    const f = write('mixed.pcap', file.subarray(0, file.length - 10));
    const r = await cli('replay', f, ...CLUSTER);
    expect(r.code).toBe(0);
    const lines = r.out.map((l) => JSON.parse(l));
    expect(lines.map((l) => l.error ?? l.skipped ?? l.state)).toEqual(['new', 'truncated-l4', 'ARP', 'too-short']);
    expect(lines[1]).toMatchObject({ allowed: false, state: 'invalid' });
    expect(r.err).toMatch(/warning: .*record 5 at byte \d+: data cut short/);
    const s = await cli('replay', f, ...CLUSTER, '-o', 'json');
    expect(JSON.parse(s.out.join('\n')).packets).toMatchObject({ total: 4, ip: 3, skipped: 1, malformed: 2, allowed: 1 });
    // With --fail-on-deny the unread rest is a failure (exit 2), not just a denial.
    expect((await cli('replay', f, ...CLUSTER, '--fail-on-deny')).code).toBe(2);
  });

  test('a SYN-ACK, RST or FIN with no tracked connection: invalid, no verdict, no flow (as Linux conntrack marks it)', async () => {
    const F = { F: 1, S: 2, R: 4, P: 8, A: 16 };
    const seg = (src: string, dst: string, sport: number, dport: number, flags: number) => ({
      data: ethernet(ipv4({ protocol: 6, src, dst }, tcp(sport, dport, flags))),
    });
    const [C, S] = ['10.244.1.10', '10.244.1.20'];
    const f = write(
      'stray.pcap',
      pcap([
        seg(S, C, 8080, 40000, F.S | F.A), // the SYN was not captured: no connection
        seg(C, S, 40001, 8080, F.R),
        seg(S, C, 8080, 40002, F.F | F.A),
        seg(C, S, 40003, 8080, F.S), // a connection the client may open...
        seg(S, C, 8080, 40003, F.S | F.A), // ...answered
        seg(S, C, 8080, 40003, F.R), // its RST is a reply, not invalid
      ]),
    );
    const r = await cli('replay', f, ...CLUSTER);
    const lines = r.out.map((l) => JSON.parse(l));
    expect(lines.map((l) => `${l.tcpFlags} ${brief(l)}${l.invalid ? ` ${l.invalid}` : ''}`)).toEqual([
      'S. deny/invalid no-connection',
      'R deny/invalid no-connection',
      'F. deny/invalid no-connection',
      'S allow/new',
      'S. allow/reply',
      'R allow/reply',
    ]);
    // No decision for the invalid ones: they never reached policy.
    expect(lines[0]).toEqual({
      index: 1,
      timestamp: lines[0].timestamp,
      src: S,
      dst: C,
      protocol: 'TCP',
      srcPort: 8080,
      dstPort: 40000,
      tcpFlags: 'S.',
      allowed: false,
      state: 'invalid',
      invalid: 'no-connection',
    });
    const s = JSON.parse((await cli('replay', f, ...CLUSTER, '-o', 'json')).out.join('\n'));
    expect(s.packets).toMatchObject({ total: 6, allowed: 3, denied: 0, malformed: 0, invalid: 3, byState: { new: 1, reply: 2, invalid: 3 } });
    expect(s.flows).toEqual({ allowed: 1, denied: 0 });
    expect(s.deniedFlows).toEqual([]);
    const text = (await cli('replay', f, ...CLUSTER, '-o', 'summary')).out.join('\n');
    expect(text).toMatch(/^packets: 3 allowed, 0 denied, 0 malformed, 3 invalid \(TCP segments of no tracked connection\)$/m);
    expect(text).toMatch(/^denied flows: none$/m);
    // Invalid segments are no policy's decision: --fail-on-deny does not fail on them.
    expect((await cli('replay', f, ...CLUSTER, '--fail-on-deny')).code).toBe(0);
  });

  test('--fail-on-deny: exit 1 when something was denied', async () => {
    expect((await cli('replay', cap('demo.eth.pcap'), ...CLUSTER, '-o', 'summary', '--fail-on-deny')).code).toBe(1);
    const clean = write('clean.pcap', pcap([{ data: ethernet(ipv4({ protocol: 6, src: '10.244.1.10', dst: '10.244.1.20' }, tcp(1, 8080))) }]));
    expect((await cli('replay', clean, ...CLUSTER, '--fail-on-deny')).code).toBe(0);
  });

  test.each([
    [['replay', join(FIXTURES, 'policies.yaml'), ...CLUSTER], /not a pcap or pcapng file/],
    [['replay', cap('demo.eth.pcap')], /no input/],
    [['replay', ...CLUSTER], /give one capture file/],
    [['replay', cap('demo.eth.pcap'), ...CLUSTER, '-o', 'xml'], /-o must be jsonl, summary or json/],
    [['replay', cap('demo.eth.pcap'), ...CLUSTER, '--fragments', 'drop'], /--fragments must be/],
    [['replay', cap('demo.eth.pcap'), ...CLUSTER, '--engine', 'reference'], /compiled dataplane/],
    [['replay', cap('demo.eth.pcap'), ...CLUSTER, '--max-connections', '0'], /--max-connections/],
    [['replay', join(tmp, 'missing.pcap'), ...CLUSTER], /cannot read/],
  ])('exit 2: %j', async (args, message) => {
    const r = await cli(...(args as string[]));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
  });

  test('--help, and the built binary', () => {
    const bin = join(import.meta.dirname, '../../packages/core/dist/cli/main.js');
    const help = spawnSync(process.execPath, [bin, 'replay', '--help'], { encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^Usage: netpol replay <capture> -f/);
    expect(help.stdout).toMatch(/^ +netpol replay <capture> --image <file> /m);
    expect(help.stdout).toMatch(/--fragments <p>/);
    const denied = spawnSync(process.execPath, [bin, 'replay', cap('demo.eth.pcap'), ...CLUSTER, '--fail-on-deny', '-o', 'summary'], { encoding: 'utf8' });
    expect(denied.status).toBe(1);
    expect(denied.stdout).toMatch(/14 denied/);
    expect(spawnSync(process.execPath, [bin, '--help'], { encoding: 'utf8' }).stdout).toMatch(/replay {5}run a pcap\/pcapng capture/);
  });
});
