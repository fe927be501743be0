// connlist's building blocks on their own: the address-space cut that names external endpoints
// (netpol-analyzer's DisjointIPBlocks), connection sets as text, and the five formats.
import { describe, expect, test } from 'vitest';
import { cidrBlock, disjointBlocks, subtractBlocks, type AddressBlock } from '../../packages/core/src/analysis/address-blocks.js';
import { connectionsText, connlistLines, formatConnlist, type FormattedConnection } from '../../packages/core/src/analysis/connlist-format.js';
import { externalName } from '../../packages/core/src/analysis/external-endpoints.js';
import type { ConnectionSet } from '../../packages/core/src/analysis/connection-set.js';
import { parseCIDR } from '../../packages/core/src/ip/cidr.js';

const block = (text: string): AddressBlock => {
  const p = parseCIDR(text);
  if (!p.ok) throw new Error(`bad CIDR in test: ${text}`);
  return cidrBlock(p.cidr);
};
const names = (blocks: AddressBlock[]): string[] => blocks.map(externalName).sort();

describe('disjointBlocks (the external endpoints)', () => {
  test('no block: the whole IPv4 space', () => {
    expect(names(disjointBlocks(4, []))).toEqual(['0.0.0.0-255.255.255.255[External]']);
  });

  test('each block is an endpoint; what is left is one endpoint per contiguous range', () => {
    expect(names(disjointBlocks(4, [block('104.154.164.170/32'), block('104.154.164.160/32')]))).toEqual([
      '0.0.0.0-104.154.164.159[External]',
      '104.154.164.160-104.154.164.160[External]',
      '104.154.164.161-104.154.164.169[External]',
      '104.154.164.170-104.154.164.170[External]',
      '104.154.164.171-255.255.255.255[External]',
    ]);
  });

  test('an ipBlock with an except inside a smaller block: the shared part keeps both its ranges in one endpoint', () => {
    // 10.0.0.0/8 is taken first (the smaller); 0.0.0.0/0 except 10.1.0.0/16 then shares two ranges with it.
    const all = subtractBlocks(block('0.0.0.0/0'), block('10.1.0.0/16'));
    expect(names(disjointBlocks(4, [all, block('10.0.0.0/8')]))).toEqual([
      '0.0.0.0-9.255.255.255[External]',
      '10.0.0.0-10.0.255.255, 10.2.0.0-10.255.255.255[External]',
      '10.1.0.0-10.1.255.255[External]',
      '11.0.0.0-255.255.255.255[External]',
    ]);
  });

  test('the pieces cover the space exactly once', () => {
    const pieces = disjointBlocks(4, [block('10.0.0.0/8'), block('10.0.0.0/16'), block('172.16.0.0/12'), block('0.0.0.0/1')]);
    const ranges = pieces.flatMap((p) => p.ranges).sort((a, b) => (a.first < b.first ? -1 : 1));
    expect(ranges[0]!.first).toBe(0n);
    expect(ranges[ranges.length - 1]!.last).toBe(0xffffffffn);
    for (let i = 1; i < ranges.length; i++) expect(ranges[i]!.first).toBe(ranges[i - 1]!.last + 1n);
  });

  test('IPv6 blocks are cut in their own family', () => {
    expect(names(disjointBlocks(6, [block('2001:db8::/32'), block('10.0.0.0/8')]))).toEqual([
      '2001:db8::-2001:db8:ffff:ffff:ffff:ffff:ffff:ffff[External]',
      '2001:db9::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff[External]',
      '::-2001:db7:ffff:ffff:ffff:ffff:ffff:ffff[External]',
    ]);
  });
});

const set = (s: Partial<ConnectionSet>): ConnectionSet => ({ tcp: [], udp: [], sctp: [], otherProtocols: false, ...s });
const FULL = [{ start: 1, end: 65535 }];

describe('connectionsText', () => {
  test('netpol-analyzer forms: protocols in SCTP, TCP, UDP order, single ports and ranges', () => {
    expect(
      connectionsText(
        set({
          tcp: [
            { start: 80, end: 80 },
            { start: 8080, end: 8090 },
          ],
          udp: [{ start: 53, end: 53 }],
        }),
      ),
    ).toBe('TCP 80,8080-8090,UDP 53');
    expect(
      connectionsText(
        set({
          sctp: FULL,
          tcp: [
            { start: 1, end: 79 },
            { start: 81, end: 65535 },
          ],
          udp: FULL,
        }),
      ),
    ).toBe('SCTP 1-65535,TCP 1-79,81-65535,UDP 1-65535');
    expect(connectionsText(set({}))).toBe('No Connections');
  });

  test('All Connections: every port of the three protocols, and (unless ignored) every other protocol', () => {
    const ports = set({ tcp: FULL, udp: FULL, sctp: FULL });
    expect(connectionsText({ ...ports, otherProtocols: true })).toBe('All Connections');
    expect(connectionsText(ports)).toBe('SCTP 1-65535,TCP 1-65535,UDP 1-65535');
    expect(connectionsText(ports, { ignoreOtherProtocols: true })).toBe('All Connections');
  });

  test('protocols without ports beside some ports are said (dataplane view), left out in compat', () => {
    const c = set({ tcp: [{ start: 80, end: 80 }], otherProtocols: true });
    expect(connectionsText(c)).toBe('TCP 80,other protocols');
    expect(connectionsText(c, { ignoreOtherProtocols: true })).toBe('TCP 80');
    expect(connectionsText(set({ otherProtocols: true }), { ignoreOtherProtocols: true })).toBe('No Connections');
  });
});

const ALL = set({ tcp: FULL, udp: FULL, sctp: FULL, otherProtocols: true });
const EXT = { kind: 'external', name: '0.0.0.0-255.255.255.255[External]' } as const;
const A = { kind: 'workload', name: 'ns-a/a[Deployment]', namespace: 'ns-a' } as const;
const B = { kind: 'workload', name: 'ns-b/b[StatefulSet]', namespace: 'ns-b' } as const;
const C = { kind: 'workload', name: 'ns-b/c[Pod]', namespace: 'ns-b' } as const;
const CONNS: FormattedConnection[] = [
  { src: EXT, dst: A, conns: ALL },
  { src: A, dst: B, conns: set({ tcp: [{ start: 80, end: 80 }], udp: [{ start: 53, end: 53 }] }) },
];

describe('formats', () => {
  test('txt: src => dst : conns', () => {
    expect(formatConnlist(CONNS, 'txt')).toBe(
      '0.0.0.0-255.255.255.255[External] => ns-a/a[Deployment] : All Connections\nns-a/a[Deployment] => ns-b/b[StatefulSet] : TCP 80,UDP 53\n',
    );
  });

  test('csv quotes a connection set with commas, as Go encoding/csv does', () => {
    expect(formatConnlist(CONNS, 'csv').split('\n')).toEqual([
      'src,dst,conn',
      '0.0.0.0-255.255.255.255[External],ns-a/a[Deployment],All Connections',
      'ns-a/a[Deployment],ns-b/b[StatefulSet],"TCP 80,UDP 53"',
      '',
    ]);
  });

  test('md table', () => {
    expect(formatConnlist(CONNS, 'md').split('\n').slice(0, 3)).toEqual([
      '| src | dst | conn |',
      '|-----|-----|------|',
      '| 0.0.0.0-255.255.255.255[External] | ns-a/a[Deployment] | All Connections |',
    ]);
  });

  test('json: an array of {src, dst, conn}, two-space indented; [] when empty', () => {
    expect(JSON.parse(formatConnlist(CONNS, 'json'))).toEqual([
      { src: EXT.name, dst: A.name, conn: 'All Connections' },
      { src: A.name, dst: B.name, conn: 'TCP 80,UDP 53' },
    ]);
    expect(formatConnlist(CONNS, 'json')).toMatch(/^\[\n {2}\{\n {4}"src": /);
    expect(formatConnlist([], 'json')).toBe('[]\n');
  });

  test('dot: a cluster per namespace (dashes made underscores), every endpoint given drawn, externals red, edges labelled', () => {
    const dot = formatConnlist(CONNS, 'dot', { endpoints: [A, B, C] });
    expect(dot.split('\n')).toEqual([
      'digraph {',
      '\tsubgraph cluster_ns_a {',
      '\t\t"ns-a/a[Deployment]" [label="a[Deployment]" color="blue" fontcolor="blue"]',
      '\t\tlabel="ns-a"',
      '\t}',
      '\tsubgraph cluster_ns_b {',
      '\t\t"ns-b/b[StatefulSet]" [label="b[StatefulSet]" color="blue" fontcolor="blue"]',
      '\t\t"ns-b/c[Pod]" [label="c[Pod]" color="blue" fontcolor="blue"]',
      '\t\tlabel="ns-b"',
      '\t}',
      '\t"0.0.0.0-255.255.255.255[External]" [label="0.0.0.0-255.255.255.255[External]" color="red2" fontcolor="red2"]',
      '\t"0.0.0.0-255.255.255.255[External]" -> "ns-a/a[Deployment]" [label="All Connections" color="gold2" fontcolor="darkgreen"]',
      '\t"ns-a/a[Deployment]" -> "ns-b/b[StatefulSet]" [label="TCP 80,UDP 53" color="gold2" fontcolor="darkgreen"]',
      '}',
    ]);
  });

  test('lines are produced as the connections come (txt reads no further than it writes)', () => {
    let pulled = 0;
    function* source(): Generator<FormattedConnection> {
      for (const c of CONNS) {
        pulled++;
        yield c;
      }
    }
    const lines = connlistLines(source(), 'txt');
    lines.next();
    expect(pulled).toBe(1);
  });
});
