// diffConnectivity on hand-built connectivity maps: pair matching, new and gone endpoints,
// the refinement and merge of external ranges, streaming order, and the formats.
import { describe, expect, test } from 'vitest';
import {
  connectionChanges,
  diffConnectivity,
  UnsortedConnectionsError,
  type DiffConnection,
  type DiffEndpoint,
  type DiffSide,
} from '../../packages/core/src/analysis/diff.js';
import { diffLines, formatDiff } from '../../packages/core/src/analysis/diff-format.js';
import type { ConnectionSet } from '../../packages/core/src/analysis/connection-set.js';

const tcp = (...ports: number[]): ConnectionSet => ({ tcp: ports.map((p) => ({ start: p, end: p })), udp: [], sctp: [], otherProtocols: false });
const ALL: ConnectionSet = { tcp: [{ start: 1, end: 65535 }], udp: [{ start: 1, end: 65535 }], sctp: [{ start: 1, end: 65535 }], otherProtocols: true };

const w = (name: string): DiffEndpoint => ({ kind: 'workload', name: `ns/${name}[Deployment]`, namespace: 'ns' });
const ip4 = (a: number, b: number, c: number, d: number): bigint => BigInt(((a << 24) | (b << 16) | (c << 8) | d) >>> 0);
const ext = (first: bigint, last: bigint): DiffEndpoint => ({ kind: 'external', name: `${first}-${last}`, block: { family: 4, ranges: [{ first, last }] } });

/** A map from endpoints and [src, dst, conns] triples, yielded sorted (or as given, with `unsorted`). */
function side(endpoints: DiffEndpoint[], conns: [DiffEndpoint, DiffEndpoint, ConnectionSet][], unsorted = false): DiffSide {
  const list: DiffConnection[] = conns.map(([src, dst, c]) => ({ src, dst, conns: c }));
  if (!unsorted)
    list.sort((x, y) => (x.src.name < y.src.name ? -1 : x.src.name > y.src.name ? 1 : x.dst.name < y.dst.name ? -1 : x.dst.name > y.dst.name ? 1 : 0));
  return { endpoints, connections: () => list[Symbol.iterator]() };
}

const [a, b, c, d] = [w('a'), w('b'), w('c'), w('d')];

describe('diffConnectivity', () => {
  test('identical maps: no change; with unchanged: every pair, unchanged', () => {
    const s = side([a, b], [[a, b, tcp(80)]]);
    expect(diffConnectivity(s, s)).toEqual([]);
    expect(diffConnectivity(s, s, { unchanged: true }).map((x) => x.kind)).toEqual(['unchanged']);
    expect(formatDiff(diffConnectivity(s, s), 'txt')).toBe('');
  });

  test('changed, added and removed pairs, sorted as netpol-analyzer prints them', () => {
    const before = side(
      [a, b, c],
      [
        [a, b, tcp(80)],
        [c, a, tcp(5432)],
        [b, c, tcp(1)],
      ],
    );
    const after = side(
      [a, b, c],
      [
        [a, b, tcp(80, 443)],
        [b, c, tcp(1)],
        [a, c, tcp(9)],
      ],
    );
    const changes = diffConnectivity(before, after);
    expect(changes.map((x) => [x.kind, x.src.name, x.dst.name])).toEqual([
      ['changed', a.name, b.name],
      ['added', a.name, c.name],
      ['removed', c.name, a.name],
    ]);
    expect(changes[0]!.before).toEqual(tcp(80));
    expect(changes[0]!.after).toEqual(tcp(80, 443));
    expect(changes.every((x) => !x.srcAddedOrRemoved && !x.dstAddedOrRemoved)).toBe(true);
  });

  test('a new workload and a gone one are named (workloads-diff-info)', () => {
    const before = side([a, b, c], [[a, c, tcp(1)]]);
    const after = side([a, b, d], [[d, a, tcp(2)]]);
    const changes = diffConnectivity(before, after);
    expect(changes.map((x) => [x.kind, x.srcAddedOrRemoved, x.dstAddedOrRemoved])).toEqual([
      ['added', true, false],
      ['removed', false, true],
    ]);
    expect(formatDiff(changes, 'txt', { ref1: 'dir1', ref2: 'dir2' })).toBe(
      [
        'Connectivity diff:',
        'diff-type: added, source: ns/d[Deployment], destination: ns/a[Deployment], dir1: No Connections, dir2: TCP 2, workloads-diff-info: workload ns/d[Deployment] added',
        'diff-type: removed, source: ns/a[Deployment], destination: ns/c[Deployment], dir1: TCP 1, dir2: No Connections, workloads-diff-info: workload ns/c[Deployment] removed',
        '',
      ].join('\n'),
    );
  });

  test('both ends new: "workload X and Y added"', () => {
    const changes = diffConnectivity(side([a], []), side([a, b, c], [[b, c, tcp(3)]]));
    expect(diffLines(changes, 'txt')[1]).toMatch(/workloads-diff-info: workload ns\/b\[Deployment\] and ns\/c\[Deployment\] added$/);
  });

  test('a pair whose workload exists on both sides is not reported as new even when it had no connection', () => {
    const changes = diffConnectivity(side([a, b], []), side([a, b], [[a, b, ALL]]));
    expect(changes).toMatchObject([{ kind: 'added', srcAddedOrRemoved: false, dstAddedOrRemoved: false }]);
  });

  test('external ranges: compared over the common refinement, touching pieces with the same change merged', () => {
    // ref1: one block 0.0.0.0/0 -> a; ref2 cuts it at 10.0.0.0/8 and allows less from inside it.
    const all = ext(0n, ip4(255, 255, 255, 255));
    const lo = ext(0n, ip4(9, 255, 255, 255));
    const ten = ext(ip4(10, 0, 0, 0), ip4(10, 255, 255, 255));
    const hi = ext(ip4(11, 0, 0, 0), ip4(255, 255, 255, 255));
    const before = side([a, all], [[all, a, tcp(80, 443)]]);
    const after = side(
      [a, lo, ten, hi],
      [
        [lo, a, tcp(80, 443)],
        [ten, a, tcp(80)],
        [hi, a, tcp(80, 443)],
      ],
    );
    const changes = diffConnectivity(before, after);
    expect(changes.map((x) => [x.kind, x.src.name, x.dst.name])).toEqual([['changed', '10.0.0.0-10.255.255.255[External]', a.name]]);
    // Dropping the whole block: one removed line for the whole range again (the pieces merge back).
    const none = side([a], []);
    expect(diffConnectivity(after, none).map((x) => [x.kind, x.src.name])).toEqual([
      ['removed', '0.0.0.0-9.255.255.255[External]'],
      ['removed', '10.0.0.0-10.255.255.255[External]'],
      ['removed', '11.0.0.0-255.255.255.255[External]'],
    ]);
    // Same connections on the three pieces: merged into one range.
    const flat = side(
      [a, lo, ten, hi],
      [
        [a, lo, tcp(53)],
        [a, ten, tcp(53)],
        [a, hi, tcp(53)],
      ],
    );
    expect(diffConnectivity(flat, none).map((x) => [x.kind, x.dst.name])).toEqual([['removed', '0.0.0.0-255.255.255.255[External]']]);
    // Unchanged external pairs are reported as such when asked for, and never otherwise.
    expect(diffConnectivity(flat, flat)).toEqual([]);
    expect(diffConnectivity(flat, flat, { unchanged: true }).map((x) => [x.kind, x.dst.name])).toEqual([['unchanged', '0.0.0.0-255.255.255.255[External]']]);
  });

  test('a gap between ranges is not merged over', () => {
    const x = ext(0n, 9n);
    const y = ext(20n, 29n);
    const changes = diffConnectivity(
      side(
        [a, x, y],
        [
          [a, x, tcp(1)],
          [a, y, tcp(1)],
        ],
      ),
      side([a], []),
    );
    expect(changes.map((ch) => ch.dst.name)).toEqual(['0.0.0.0-0.0.0.9[External]', '0.0.0.20-0.0.0.29[External]']);
  });

  test('otherProtocols are ignored in compat mode', () => {
    const withOther = { ...tcp(80), otherProtocols: true };
    const s1 = side([a, b], [[a, b, tcp(80)]]);
    const s2 = side([a, b], [[a, b, withOther]]);
    expect(diffConnectivity(s1, s2)).toHaveLength(1);
    expect(diffConnectivity(s1, s2, { ignoreOtherProtocols: true })).toEqual([]);
  });

  test('streaming needs pair order and says so; diffConnectivity falls back to a map', () => {
    const scrambled = side(
      [a, b, c],
      [
        [b, c, tcp(1)],
        [a, b, tcp(1)],
      ],
      true,
    );
    const sorted = side([a, b, c], [[a, b, tcp(2)]]);
    expect(() => [...connectionChanges(scrambled, sorted)]).toThrow(UnsortedConnectionsError);
    expect(diffConnectivity(scrambled, sorted).map((x) => [x.kind, x.src.name, x.dst.name])).toEqual([
      ['changed', a.name, b.name],
      ['removed', b.name, c.name],
    ]);
  });

  test('streaming reads both maps lazily: the first change comes before the maps are read to their end', () => {
    let read = 0;
    const lazy = (n: number, port: number): DiffSide => ({
      endpoints: [],
      *connections() {
        for (let i = 0; i < n; i++) {
          read++;
          yield { src: w(`s${String(i).padStart(6, '0')}`), dst: a, conns: tcp(port) };
        }
      },
    });
    const it = connectionChanges(lazy(100_000, 1), lazy(100_000, 2));
    expect(it.next().value).toMatchObject({ kind: 'changed' });
    expect(read).toBeLessThan(10);
  });
});

describe('formatDiff', () => {
  const before = side([a, b], [[a, b, tcp(80)]]);
  const after = side(
    [a, b, c],
    [
      [a, b, { ...tcp(80), udp: [{ start: 53, end: 53 }] }],
      [c, a, tcp(9)],
    ],
  );
  const changes = diffConnectivity(before, after);

  test('csv quotes fields with commas as Go does; md is a table', () => {
    expect(formatDiff(changes, 'csv')).toBe(
      [
        'diff-type,source,destination,ref1,ref2,workloads-diff-info',
        'changed,ns/a[Deployment],ns/b[Deployment],TCP 80,"TCP 80,UDP 53",',
        'added,ns/c[Deployment],ns/a[Deployment],No Connections,TCP 9,workload ns/c[Deployment] added',
        '',
      ].join('\n'),
    );
    expect(diffLines(changes, 'md')).toEqual([
      '| diff-type | source | destination | ref1 | ref2 | workloads-diff-info |',
      '|-----------|--------|-------------|------|------|---------------------|',
      '| changed | ns/a[Deployment] | ns/b[Deployment] | TCP 80 | TCP 80,UDP 53 |  |',
      '| added | ns/c[Deployment] | ns/a[Deployment] | No Connections | TCP 9 | workload ns/c[Deployment] added |',
    ]);
  });

  test('json: every change with both sides as txt prints them', () => {
    const doc = JSON.parse(formatDiff(changes, 'json', { ref1: 'old', ref2: 'new' }));
    expect(doc).toEqual({
      schemaVersion: 1,
      ref1: 'old',
      ref2: 'new',
      changes: [
        { diffType: 'changed', src: a.name, dst: b.name, before: 'TCP 80', after: 'TCP 80,UDP 53' },
        { diffType: 'added', src: c.name, dst: a.name, before: 'No Connections', after: 'TCP 9', workloadsDiffInfo: `workload ${c.name} added` },
      ],
    });
    expect(JSON.parse(formatDiff([], 'json')).changes).toEqual([]);
  });

  test('dot: new peers green, changed edges magenta with the old connections, the legend', () => {
    const dot = formatDiff(diffConnectivity(before, after, { unchanged: true }), 'dot', { ref1: 'dir1' });
    expect(dot.split('\n').slice(0, 6)).toEqual([
      'digraph {',
      '\tsubgraph cluster_ns {',
      '\t\t"ns/a[Deployment]" [label="a[Deployment]" color="blue" fontcolor="blue"]',
      '\t\t"ns/b[Deployment]" [label="b[Deployment]" color="blue" fontcolor="blue"]',
      '\t\t"ns/c[Deployment]" [label="c[Deployment]" color="#008000" fontcolor="#008000"]',
      '\t\tlabel="ns"',
    ]);
    expect(dot).toContain('\t"ns/a[Deployment]" -> "ns/b[Deployment]" [label="TCP 80,UDP 53 (dir1: TCP 80)" color="magenta" fontcolor="magenta"]');
    expect(dot).toContain('\t"ns/c[Deployment]" -> "ns/a[Deployment]" [label="TCP 9" color="#008000" fontcolor="#008000"]');
    expect(dot).toContain('subgraph cluster_legend {');
    expect(dot.endsWith('}')).toBe(true);
  });

  test('nothing changed: nothing printed in txt, csv, md and dot', () => {
    for (const f of ['txt', 'csv', 'md', 'dot'] as const) expect(formatDiff([], f)).toBe('');
  });
});
