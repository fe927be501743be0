/**
 * Sets of addresses as sorted inclusive ranges, and the partition of the address space that
 * connectivity reports name their external endpoints after (`disjointBlocks`). Addresses are
 * bigints of one family; a block never mixes families.
 */
import { bitsOf, type Family } from '../ip/address.js';
import type { CIDR } from '../ip/cidr.js';

/** An inclusive range of addresses of one family. */
export interface AddressRange {
  readonly first: bigint;
  readonly last: bigint;
}

/** A set of addresses of one family: sorted, disjoint, non-adjacent ranges. */
export interface AddressBlock {
  readonly family: Family;
  readonly ranges: readonly AddressRange[];
}

/** Every address of a family. */
export const wholeFamily = (family: Family): AddressBlock => ({ family, ranges: [{ first: 0n, last: (1n << BigInt(bitsOf(family))) - 1n }] });

/** The addresses of a CIDR. */
export function cidrBlock(c: CIDR): AddressBlock {
  const size = 1n << BigInt(bitsOf(c.family) - c.prefix);
  return { family: c.family, ranges: [{ first: c.base, last: c.base + size - 1n }] };
}

/** Sorts and merges overlapping or adjacent ranges. */
function canonical(ranges: AddressRange[]): AddressRange[] {
  ranges.sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : 0));
  const out: AddressRange[] = [];
  for (const r of ranges) {
    const last = out[out.length - 1];
    if (last && r.first <= last.last + 1n) {
      if (r.last > last.last) out[out.length - 1] = { first: last.first, last: r.last };
    } else out.push(r);
  }
  return out;
}

/** The addresses in `a` and in `b`. */
export function intersectBlocks(a: AddressBlock, b: AddressBlock): AddressBlock {
  const out: AddressRange[] = [];
  let i = 0;
  let j = 0;
  while (i < a.ranges.length && j < b.ranges.length) {
    const x = a.ranges[i]!;
    const y = b.ranges[j]!;
    const first = x.first > y.first ? x.first : y.first;
    const last = x.last < y.last ? x.last : y.last;
    if (first <= last) out.push({ first, last });
    if (x.last < y.last) i++;
    else j++;
  }
  return { family: a.family, ranges: out };
}

/** The addresses in `a` and not in `b`. */
export function subtractBlocks(a: AddressBlock, b: AddressBlock): AddressBlock {
  const out: AddressRange[] = [];
  let j = 0;
  for (const r of a.ranges) {
    let first = r.first;
    while (j < b.ranges.length && b.ranges[j]!.last < first) j++;
    let k = j;
    while (k < b.ranges.length && b.ranges[k]!.first <= r.last) {
      const h = b.ranges[k]!;
      if (h.first > first) out.push({ first, last: h.first - 1n });
      first = h.last + 1n;
      if (h.last >= r.last) break;
      k++;
    }
    if (first <= r.last) out.push({ first, last: r.last });
  }
  return { family: a.family, ranges: out };
}

/** The union of blocks of one family. */
export function unionBlocks(family: Family, blocks: readonly AddressBlock[]): AddressBlock {
  return { family, ranges: canonical(blocks.flatMap((b) => [...b.ranges])) };
}

const isEmpty = (b: AddressBlock): boolean => b.ranges.length === 0;
const sameBlock = (a: AddressBlock, b: AddressBlock): boolean =>
  a.ranges.length === b.ranges.length && a.ranges.every((r, i) => r.first === b.ranges[i]!.first && r.last === b.ranges[i]!.last);
const sizeOf = (b: AddressBlock): bigint => b.ranges.reduce((n, r) => n + r.last - r.first + 1n, 0n);

/**
 * The blocks that `blocks` and the whole family cut the family's addresses into, exactly as
 * netpol-analyzer cuts them (its DisjointIPBlocks), so that reports name the same external
 * endpoints: the blocks are taken smallest first; each new block is split against the pieces
 * so far (the part it shares with a piece becomes a piece of its own, which may hold several
 * ranges), and what is left of it becomes one piece per contiguous range. The pieces cover the
 * family and never overlap; two addresses in one piece are inside the same input blocks.
 */
export function disjointBlocks(family: Family, blocks: readonly AddressBlock[]): AddressBlock[] {
  const sorted = [...blocks.filter((b) => b.family === family), wholeFamily(family)]
    .map((b, i) => ({ b, i, size: sizeOf(b) }))
    .sort((x, y) => (x.size < y.size ? -1 : x.size > y.size ? 1 : x.i - y.i));
  let pieces: AddressBlock[] = [];
  for (const { b } of sorted) {
    let rest = b;
    const added: AddressBlock[] = [];
    for (let k = 0; k < pieces.length && !isEmpty(rest); k++) {
      const piece = pieces[k]!;
      // most pieces lie outside the block: compare bounds before intersecting
      if (piece.ranges[piece.ranges.length - 1]!.last < rest.ranges[0]!.first || piece.ranges[0]!.first > rest.ranges[rest.ranges.length - 1]!.last) continue;
      const shared = intersectBlocks(piece, rest);
      if (isEmpty(shared)) continue;
      rest = subtractBlocks(rest, shared);
      if (!sameBlock(pieces[k]!, shared)) {
        added.push(shared);
        pieces[k] = subtractBlocks(pieces[k]!, shared);
      }
    }
    pieces = [...pieces, ...rest.ranges.map((r) => ({ family, ranges: [r] })), ...added];
  }
  return pieces;
}
