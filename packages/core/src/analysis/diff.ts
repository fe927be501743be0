/**
 * The difference between two connectivity maps (netpol-analyzer's `diff`): for every ordered
 * pair of endpoints, whether its allowed connections were added, removed or changed from the
 * first map (ref1, the base) to the second (ref2, the proposal), and whether an endpoint of
 * the pair is new in ref2 or gone from it.
 *
 * Endpoint pairs are matched by name. External endpoints (address blocks) are not: the two
 * maps cut the address space by their own policies' ipBlocks, so, as netpol-analyzer does, the
 * external side of each pair is compared address by address over the common refinement of both
 * cuts, and the addresses where the change is the same (same other end, same direction, same
 * connections before and after) are merged back into maximal contiguous ranges, one change per
 * range.
 *
 * Pairs between in-cluster endpoints are compared by merging the two maps' sorted streams of
 * connections, so two large clusters are compared without holding either map in memory; only
 * the pairs with an external end (a few per endpoint) are collected.
 */
import type { Family } from '../ip/address.js';
import { externalName } from './external-endpoints.js';
import { sameConnections, type ConnectionSet } from './connection-set.js';

/** An inclusive range of addresses of one family. */
export interface DiffAddressRange {
  readonly first: bigint;
  readonly last: bigint;
}

/** An endpoint as the two maps report it: in-cluster (a workload or pod) or external (an address block). */
export interface DiffEndpoint {
  readonly kind: 'workload' | 'pod' | 'external';
  /** `namespace/name[Kind]`, or the address block's name for an external endpoint. */
  readonly name: string;
  readonly namespace?: string;
  /** External endpoints: the addresses they stand for. */
  readonly block?: { readonly family: Family; readonly ranges: readonly DiffAddressRange[] };
}

/** One allowed connection set from one endpoint to another. */
export interface DiffConnection {
  readonly src: DiffEndpoint;
  readonly dst: DiffEndpoint;
  readonly conns: ConnectionSet;
}

/**
 * One side of a diff: a connectivity map (what `connectivity()` returns satisfies it). `connections()`
 * omits pairs with no connection; it should yield pairs sorted by source name, then destination
 * name (as connlist's txt lists them), which lets the diff stream; any other order is handled
 * by reading it again into a map.
 */
export interface DiffSide {
  /** Every endpoint of the map, also those without any connection: they tell which in-cluster endpoints are new or gone. */
  readonly endpoints: readonly DiffEndpoint[];
  /** The map's non-empty connections, best in pair order (see above); called a second time when they are not. */
  connections(): Iterable<DiffConnection>;
}

/** How a pair's connections changed from ref1 to ref2. */
export type ChangeKind = 'changed' | 'added' | 'removed' | 'unchanged';

/** The change of one ordered pair of endpoints. */
export interface ConnectionChange {
  readonly kind: ChangeKind;
  readonly src: DiffEndpoint;
  readonly dst: DiffEndpoint;
  /** ref1's connections; absent when the pair had none (added). */
  readonly before?: ConnectionSet;
  /** ref2's connections; absent when it has none (removed). */
  readonly after?: ConnectionSet;
  /** The source is an in-cluster endpoint only one side has (added: new in ref2; removed: gone from it). */
  readonly srcAddedOrRemoved: boolean;
  /** The same for the destination. */
  readonly dstAddedOrRemoved: boolean;
}

/** Options of diffConnectivity. */
export interface DiffOptions {
  /** Also report the pairs whose connections did not change (the dot graph draws them). Default false. */
  readonly unchanged?: boolean;
  /** Compare without `otherProtocols` (netpol-analyzer compatibility: it knows TCP, UDP and SCTP only). */
  readonly ignoreOtherProtocols?: boolean;
  /** How external blocks are named after merging; default `first-last[External]` per contiguous range. */
  readonly externalName?: (family: Family, range: DiffAddressRange) => string;
}

const CATEGORY: Readonly<Record<ChangeKind, number>> = { changed: 0, added: 1, removed: 2, unchanged: 3 };

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The changes from `a` (ref1) to `b` (ref2), sorted as netpol-analyzer's txt prints them:
 * changed, then added, then removed (then unchanged, when asked for), each by source and
 * destination name. Empty when the two maps allow the same connections between the same
 * endpoints. Maps whose connections do not come in pair order are matched through a hash map.
 */
export function diffConnectivity(a: DiffSide, b: DiffSide, options: DiffOptions = {}): ConnectionChange[] {
  let out: ConnectionChange[];
  try {
    out = [...connectionChanges(a, b, options)];
  } catch (e) {
    if (!(e instanceof UnsortedConnectionsError)) throw e;
    out = [...changesOf(hashedPairs(a, b), a, b, options)];
  }
  return out.sort((x, y) => CATEGORY[x.kind] - CATEGORY[y.kind] || compare(x.src.name, y.src.name) || compare(x.dst.name, y.dst.name));
}

/** A map's connections did not come sorted by source, then destination name (connectionChanges needs that order). */
export class UnsortedConnectionsError extends Error {
  override readonly name = 'UnsortedConnectionsError';
}

/**
 * The same changes as diffConnectivity, unsorted, as a stream: the in-cluster pairs as the two
 * maps are read (in source, destination order), then the pairs with an external end. Nothing
 * but those external pairs is held, so two large clusters are compared in constant memory.
 * Both maps' connections must come sorted by source, then destination name, as connectivity()
 * yields them; otherwise UnsortedConnectionsError is thrown when the disorder is met.
 */
export function connectionChanges(a: DiffSide, b: DiffSide, options: DiffOptions = {}): Generator<ConnectionChange> {
  return changesOf(mergedPairs(a, b), a, b, options);
}

/** Matched pairs of in-cluster connections, and the connections with an external end of each map. */
interface Pairing {
  readonly pairs: Iterable<readonly [DiffConnection | undefined, DiffConnection | undefined]>;
  /** Filled while `pairs` is read. */
  readonly external: { readonly a: DiffConnection[]; readonly b: DiffConnection[] };
}

function* changesOf(pairing: Pairing, a: DiffSide, b: DiffSide, options: DiffOptions): Generator<ConnectionChange> {
  const namesA = inClusterNames(a);
  const namesB = inClusterNames(b);
  const same = (x: ConnectionSet, y: ConnectionSet): boolean => sameConnections(x, y, { ignoreOtherProtocols: options.ignoreOtherProtocols === true });
  for (const [x, y] of pairing.pairs) {
    const change = pairChange(x, y, namesA, namesB, same);
    if (change.kind !== 'unchanged' || options.unchanged === true) yield change;
  }
  yield* externalChanges(pairing.external.a, pairing.external.b, namesA, namesB, same, options);
}

function inClusterNames(side: DiffSide): Set<string> {
  return new Set(side.endpoints.filter((e) => e.kind !== 'external').map((e) => e.name));
}

const isExternal = (c: DiffConnection): boolean => c.src.kind === 'external' || c.dst.kind === 'external';

/** A pair's change; `x` from ref1, `y` from ref2, at least one present (and naming the same pair). */
function pairChange(
  x: DiffConnection | undefined,
  y: DiffConnection | undefined,
  namesA: ReadonlySet<string>,
  namesB: ReadonlySet<string>,
  same: (x: ConnectionSet, y: ConnectionSet) => boolean,
): ConnectionChange {
  if (x && y) {
    const kind = same(x.conns, y.conns) ? 'unchanged' : 'changed';
    return { kind, src: x.src, dst: x.dst, before: x.conns, after: y.conns, srcAddedOrRemoved: false, dstAddedOrRemoved: false };
  }
  if (x) {
    // Removed: both ends exist in ref1; say which of them ref2 no longer has.
    const gone = (e: DiffEndpoint): boolean => e.kind !== 'external' && !namesB.has(e.name);
    return { kind: 'removed', src: x.src, dst: x.dst, before: x.conns, srcAddedOrRemoved: gone(x.src), dstAddedOrRemoved: gone(x.dst) };
  }
  const n = y!;
  const isNew = (e: DiffEndpoint): boolean => e.kind !== 'external' && !namesA.has(e.name);
  return { kind: 'added', src: n.src, dst: n.dst, after: n.conns, srcAddedOrRemoved: isNew(n.src), dstAddedOrRemoved: isNew(n.dst) };
}

const pairOrder = (x: DiffConnection, y: DiffConnection): number => compare(x.src.name, y.src.name) || compare(x.dst.name, y.dst.name);

/** A map's in-cluster connections, checked to come in strictly increasing pair order; external ones go to `external`. */
function* inClusterSorted(side: DiffSide, external: DiffConnection[]): Generator<DiffConnection> {
  let prev: DiffConnection | undefined;
  for (const c of side.connections()) {
    if (isExternal(c)) {
      external.push(c);
      continue;
    }
    if (prev && pairOrder(prev, c) >= 0)
      throw new UnsortedConnectionsError(`connections out of order: ${c.src.name} -> ${c.dst.name} after ${prev.src.name} -> ${prev.dst.name}`);
    prev = c;
    yield c;
  }
}

/** The in-cluster pairs of both maps matched by merging their sorted streams. */
function mergedPairs(a: DiffSide, b: DiffSide): Pairing {
  const external = { a: [] as DiffConnection[], b: [] as DiffConnection[] };
  function* pairs(): Generator<readonly [DiffConnection | undefined, DiffConnection | undefined]> {
    const ia = inClusterSorted(a, external.a);
    const ib = inClusterSorted(b, external.b);
    let x = ia.next();
    let y = ib.next();
    while (!x.done || !y.done) {
      const order = x.done ? 1 : y.done ? -1 : pairOrder(x.value, y.value);
      if (order <= 0) {
        yield [x.value as DiffConnection, order === 0 ? (y.value as DiffConnection) : undefined];
        x = ia.next();
        if (order === 0) y = ib.next();
      } else {
        yield [undefined, y.value as DiffConnection];
        y = ib.next();
      }
    }
  }
  return { pairs: pairs(), external };
}

/** The in-cluster pairs of both maps matched through a map keyed by pair (any order). */
function hashedPairs(a: DiffSide, b: DiffSide): Pairing {
  const external = { a: [] as DiffConnection[], b: [] as DiffConnection[] };
  const key = (c: DiffConnection): string => `${c.src.name}\u0000${c.dst.name}`;
  const fromA = new Map<string, DiffConnection>();
  for (const c of a.connections()) isExternal(c) ? external.a.push(c) : fromA.set(key(c), c);
  const out: [DiffConnection | undefined, DiffConnection | undefined][] = [];
  for (const c of b.connections()) {
    if (isExternal(c)) {
      external.b.push(c);
      continue;
    }
    const k = key(c);
    out.push([fromA.get(k), c]);
    fromA.delete(k);
  }
  for (const c of fromA.values()) out.push([c, undefined]);
  return { pairs: out, external };
}

/** One contiguous range of an external block with the connections a pair has to or from it. */
interface Segment {
  readonly first: bigint;
  readonly last: bigint;
  readonly conn: DiffConnection;
}

const byFirst = (x: { first: bigint }, y: { first: bigint }): number => (x.first < y.first ? -1 : x.first > y.first ? 1 : 0);

/** netpol-analyzer's name for a contiguous external range: `first-last[External]`. */
export const externalRangeName = (family: Family, range: DiffAddressRange): string => externalName({ family, ranges: [range] });

/** A canonical text of a connection set, for grouping equal sets. */
function connKey(c: ConnectionSet | undefined, ignoreOther: boolean): string {
  if (!c) return '-';
  const ranges = (r: readonly { start: number; end: number }[]): string => r.map((x) => `${x.start}-${x.end}`).join(',');
  return `${ranges(c.tcp)}/${ranges(c.udp)}/${ranges(c.sctp)}/${ignoreOther ? '' : c.otherProtocols}`;
}

/**
 * The changes of the pairs with an external end: per in-cluster endpoint and direction, both
 * maps' external ranges are cut at every boundary either has, each piece compared, and touching
 * pieces with the same change merged into one range (netpol-analyzer's refinement and merge).
 */
function* externalChanges(
  fromA: readonly DiffConnection[],
  fromB: readonly DiffConnection[],
  namesA: ReadonlySet<string>,
  namesB: ReadonlySet<string>,
  same: (x: ConnectionSet, y: ConnectionSet) => boolean,
  options: DiffOptions,
): Generator<ConnectionChange> {
  const name = options.externalName ?? externalRangeName;
  const ignoreOther = options.ignoreOtherProtocols === true;
  // (direction, in-cluster end, family) -> the ranges of each map.
  const groups = new Map<string, { a: Segment[]; b: Segment[]; family: Family; egress: boolean }>();
  const collect = (conns: readonly DiffConnection[], side: 'a' | 'b'): void => {
    for (const conn of conns) {
      const egress = conn.dst.kind === 'external';
      const ext = egress ? conn.dst : conn.src;
      const peer = egress ? conn.src : conn.dst;
      if (!ext.block || peer.kind === 'external') throw new Error(`external endpoint ${ext.name} without addresses, or a pair of two external endpoints`);
      const key = `${egress ? '>' : '<'}${ext.block.family}\u0000${peer.name}`;
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { a: [], b: [], family: ext.block.family, egress }));
      for (const r of ext.block.ranges) g[side].push({ first: r.first, last: r.last, conn });
    }
  };
  collect(fromA, 'a');
  collect(fromB, 'b');
  for (const g of groups.values()) {
    g.a.sort(byFirst);
    g.b.sort(byFirst);
    const points = [...new Set([...g.a, ...g.b].flatMap((s) => [s.first, s.last + 1n]))].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
    let i = 0;
    let j = 0;
    let run: { first: bigint; last: bigint; key: string; x: DiffConnection | undefined; y: DiffConnection | undefined } | undefined;
    // The change of the current run of touching pieces, if it is one to report.
    const close = (): ConnectionChange | undefined => {
      if (!run) return undefined;
      const { first, last, x, y } = run;
      run = undefined;
      const change = pairChange(x, y, namesA, namesB, same);
      return change.kind === 'unchanged' && options.unchanged !== true ? undefined : withExternal(change, g.egress, g.family, { first, last }, name);
    };
    for (let k = 0; k + 1 < points.length; k++) {
      const lo = points[k]!;
      const hi = points[k + 1]! - 1n;
      while (i < g.a.length && g.a[i]!.last < lo) i++;
      while (j < g.b.length && g.b[j]!.last < lo) j++;
      const x = i < g.a.length && g.a[i]!.first <= lo ? g.a[i]!.conn : undefined;
      const y = j < g.b.length && g.b[j]!.first <= lo ? g.b[j]!.conn : undefined;
      const key = x || y ? `${connKey(x?.conns, ignoreOther)}|${connKey(y?.conns, ignoreOther)}` : undefined;
      if (run && key === run.key && run.last + 1n === lo) {
        run.last = hi;
        continue;
      }
      const done = close();
      if (done) yield done;
      if (key !== undefined) run = { first: lo, last: hi, key, x, y };
    }
    const done = close();
    if (done) yield done;
  }
}

/** A change of a piece of an external block: the pair's external end replaced by the merged range. */
function withExternal(
  change: ConnectionChange,
  egress: boolean,
  family: Family,
  range: DiffAddressRange,
  name: (family: Family, range: DiffAddressRange) => string,
): ConnectionChange {
  const ext: DiffEndpoint = { kind: 'external', name: name(family, range), block: { family, ranges: [range] } };
  return egress ? { ...change, dst: ext } : { ...change, src: ext };
}
