/**
 * The CIDR sub-benchmark: "is this IPv4 address inside any prefix of the set?" with netpol's
 * longest-prefix-match trie (the one the compiled image uses) against the popular npm CIDR
 * matchers, on the same prefix set and the same addresses. Numeric and string inputs are
 * separate rows: each matcher gets its input pre-converted to the form its API takes
 * (conversion outside the timing), and the string rows include parsing.
 *
 * Every peer is used as fast as its public API allows: structures are built once, outside
 * the timing; netmask is scanned over its parsed netLong/maskLong (its `contains(string)`
 * would re-parse the address once per block); ip-num over precomputed first/last IPv4
 * objects (its `contains` recomputes them per call). ip-range-check has only
 * `check(address, cidrs[])`, which parses every CIDR on every call: that is its API.
 */
import { BlockList } from 'node:net';
import CidrMatcher from 'cidr-matcher';
import ipNum from 'ip-num';
import ipRangeCheck from 'ip-range-check';
import netmask from 'netmask';
import { parseIP } from '@netpol/core';
import { buildLPM, lookup4 } from '@netpol/core/internal';
import { round } from './engines.js';
import { cidrAddresses, cidrPrefixes, containsScan, formatIPv4, type PrefixSet } from './generators.js';
import type { LoadFigures } from './machine-load.js';
import { calibrateBatch, roundSpread, sink, timeBatch, type Spread, type TimeOptions } from './measure.js';
import type { Progress } from './progress.js';

export type CidrInput = 'numeric' | 'string';

export interface CidrResult {
  readonly id: string;
  readonly label: string;
  readonly input: CidrInput;
  /** An npm package (false: netpol itself, or Node's built-in BlockList). */
  readonly npm: boolean;
  readonly buildMs: number;
  readonly batch: number;
  readonly lookupsPerSecond: Spread;
  readonly nsPerLookup: number;
  readonly samples: number;
  /** Load while it was timed. */
  readonly load: LoadFigures;
  /** Addresses whose answer was checked against a plain scan before timing. */
  readonly checked: number;
  /** netpol (same input kind) ÷ this; 1 for netpol itself. */
  readonly netpolSpeedup: number | null;
}

export interface CidrSetResult {
  readonly prefixes: number;
  readonly seed: number;
  readonly addresses: number;
  readonly hitShare: number;
  readonly lpmBytes: number;
  readonly matchers: readonly CidrResult[];
}

interface Matcher {
  readonly id: string;
  readonly label: string;
  readonly input: CidrInput;
  readonly npm: boolean;
  /** Addresses checked against the plain scan (the slow scans get fewer). */
  readonly check: number;
  /** Builds the structure (timed as buildMs) and returns `test(i)` for address i. */
  readonly make: (set: PrefixSet, nums: Uint32Array, strs: readonly string[]) => { test: (i: number) => boolean; bytes?: number };
}

const { IPv4, IPv4CidrRange } = ipNum;
const { Netmask, ip2long } = netmask;

const MATCHERS: readonly Matcher[] = [
  {
    id: 'netpol-lpm',
    label: 'netpol LPM (16-8-8 trie)',
    input: 'numeric',
    npm: false,
    check: 1 << 14,
    make: (set, nums) => {
      const trie = buildLPM(
        4,
        Array.from({ length: set.count }, (_, k) => ({ value: BigInt(set.base[k]!), length: set.length[k]!, entry: k + 1 })),
        0,
      );
      return { test: (i) => lookup4(trie, nums[i]!) !== 0, bytes: trie.byteLength };
    },
  },
  {
    id: 'cidr-matcher',
    label: 'cidr-matcher',
    input: 'numeric',
    npm: true,
    check: 512,
    make: (set, nums) => {
      const m = new CidrMatcher([...set.cidrs]);
      return { test: (i) => m.contains(nums[i]!) };
    },
  },
  {
    id: 'netmask-scan',
    label: 'netmask (linear scan)',
    input: 'numeric',
    npm: true,
    check: 512,
    make: (set, nums) => {
      const blocks = set.cidrs.map((c) => new Netmask(c));
      const net = blocks.map((b) => b.netLong);
      const msk = blocks.map((b) => b.maskLong);
      return {
        test: (i) => {
          const a = nums[i]!;
          for (let k = 0; k < net.length; k++) if ((a & msk[k]!) >>> 0 === net[k]) return true;
          return false;
        },
      };
    },
  },
  {
    id: 'ip-num-scan',
    label: 'ip-num (linear scan)',
    input: 'numeric',
    npm: true,
    check: 256,
    make: (set, nums) => {
      const ranges = set.cidrs.map((c) => IPv4CidrRange.fromCidr(c));
      const first = ranges.map((r) => r.getFirst());
      const last = ranges.map((r) => r.getLast());
      const ips = Array.from(nums, (a) => IPv4.fromNumber(a));
      return {
        test: (i) => {
          const ip = ips[i]!;
          for (let k = 0; k < first.length; k++) if (first[k]!.isLessThanOrEquals(ip) && last[k]!.isGreaterThanOrEquals(ip)) return true;
          return false;
        },
      };
    },
  },
  {
    id: 'netpol-lpm',
    label: 'netpol parseIP + LPM',
    input: 'string',
    npm: false,
    check: 1 << 14,
    make: (set, _nums, strs) => {
      const trie = buildLPM(
        4,
        Array.from({ length: set.count }, (_, k) => ({ value: BigInt(set.base[k]!), length: set.length[k]!, entry: k + 1 })),
        0,
      );
      return {
        test: (i) => {
          const ip = parseIP(strs[i]!);
          return ip !== undefined && ip.family === 4 && lookup4(trie, Number(ip.value)) !== 0;
        },
        bytes: trie.byteLength,
      };
    },
  },
  {
    id: 'cidr-matcher',
    label: 'cidr-matcher',
    input: 'string',
    npm: true,
    check: 512,
    make: (set, _nums, strs) => {
      const m = new CidrMatcher([...set.cidrs]);
      return { test: (i) => m.contains(strs[i]!) };
    },
  },
  {
    id: 'netmask-scan',
    label: 'netmask ip2long + scan',
    input: 'string',
    npm: true,
    check: 512,
    make: (set, _nums, strs) => {
      const blocks = set.cidrs.map((c) => new Netmask(c));
      const net = blocks.map((b) => b.netLong);
      const msk = blocks.map((b) => b.maskLong);
      return {
        test: (i) => {
          const a = ip2long(strs[i]!);
          for (let k = 0; k < net.length; k++) if ((a & msk[k]!) >>> 0 === net[k]) return true;
          return false;
        },
      };
    },
  },
  {
    id: 'ip-num-scan',
    label: 'ip-num parse + scan',
    input: 'string',
    npm: true,
    check: 256,
    make: (set, _nums, strs) => {
      const ranges = set.cidrs.map((c) => IPv4CidrRange.fromCidr(c));
      const first = ranges.map((r) => r.getFirst());
      const last = ranges.map((r) => r.getLast());
      return {
        test: (i) => {
          const ip = IPv4.fromDecimalDottedString(strs[i]!);
          for (let k = 0; k < first.length; k++) if (first[k]!.isLessThanOrEquals(ip) && last[k]!.isGreaterThanOrEquals(ip)) return true;
          return false;
        },
      };
    },
  },
  {
    id: 'ip-range-check',
    label: 'ip-range-check',
    input: 'string',
    npm: true,
    check: 64,
    make: (set, _nums, strs) => {
      const cidrs = [...set.cidrs];
      return { test: (i) => ipRangeCheck(strs[i]!, cidrs) };
    },
  },
  {
    id: 'node-blocklist',
    label: 'node:net BlockList (built-in)',
    input: 'string',
    npm: false,
    check: 512,
    make: (set, _nums, strs) => {
      const bl = new BlockList();
      for (let k = 0; k < set.count; k++) bl.addSubnet(formatIPv4(set.base[k]!), set.length[k]!, 'ipv4');
      return { test: (i) => bl.check(strs[i]!, 'ipv4') };
    },
  },
];

export class CidrMismatchError extends Error {
  override readonly name = 'CidrMismatchError';
}

export interface CidrOptions {
  readonly sizes: readonly number[];
  readonly addresses: number;
  readonly timing: TimeOptions;
  /** Shorter budget for the matchers that need milliseconds per lookup. */
  readonly slowTiming: TimeOptions;
  /** Matcher ids to skip (for example ip-range-check at 10k prefixes in a quick run). */
  readonly skip?: (prefixes: number, id: string) => boolean;
}

export function runCidr(o: CidrOptions, progress: Progress): CidrSetResult[] {
  const results: CidrSetResult[] = [];
  for (const size of o.sizes) {
    progress.phase(`CIDR: ${size} prefixes`);
    const set = cidrPrefixes(size, 11);
    const nums = cidrAddresses(set, o.addresses, 13, 0.5);
    const strs = Array.from(nums, formatIPv4);
    const mask = o.addresses - 1;
    if ((o.addresses & mask) !== 0) throw new RangeError('address count must be a power of two');
    // Ground truth for the check: a plain scan, on a prefix of the address list.
    const truthCount = Math.min(o.addresses, 1 << 14);
    const truth = Array.from({ length: truthCount }, (_, i) => containsScan(set, nums[i]!));
    const rows: Omit<CidrResult, 'netpolSpeedup'>[] = [];
    let lpmBytes = 0;
    for (const m of MATCHERS) {
      if (o.skip?.(size, m.id)) continue;
      progress.step(`${m.label} (${m.input}): building`);
      const t0 = performance.now();
      const { test, bytes } = m.make(set, nums, strs);
      const buildMs = performance.now() - t0;
      if (bytes) lpmBytes = bytes;
      progress.step(`${m.label} (${m.input}): checking against a plain scan`);
      const checked = Math.min(m.check, truthCount);
      for (let i = 0; i < checked; i++) {
        if (test(i) !== truth[i]) {
          throw new CidrMismatchError(
            `CIDR ${size}: ${m.label} (${m.input}) says ${!truth[i]} for ${strs[i]}, a plain scan over the ${size} prefixes says ${truth[i]}`,
          );
        }
      }
      progress.step(`${m.label} (${m.input}): timing`);
      let fn: () => void;
      let batch: number;
      let slow = false;
      if (m.id === 'netpol-lpm' && m.input === 'numeric') {
        // The fast path without a closure call per lookup (the trie read inline, as the kernels do).
        batch = 4096;
        const trie = buildLPM(
          4,
          Array.from({ length: set.count }, (_, k) => ({ value: BigInt(set.base[k]!), length: set.length[k]!, entry: k + 1 })),
          0,
        );
        let at = 0;
        fn = () => {
          let x = 0;
          const end = at + batch;
          for (let i = at; i < end; i++) x ^= lookup4(trie, nums[i]!);
          sink(x);
          at = end & mask;
        };
      } else {
        let at = 0;
        const one = (): void => {
          sink(test(at) ? 1 : 0);
          at = (at + 1) & mask;
        };
        batch = calibrateBatch(one, 1, 4096);
        slow = batch === 1;
        const b = batch;
        fn = () => {
          let x = 0;
          for (let j = 0; j < b; j++) {
            if (test(at)) x++;
            at = (at + 1) & mask;
          }
          sink(x);
        };
      }
      const t = timeBatch(`cidr ${size} ${m.id} ${m.input}`, fn, batch, slow ? o.slowTiming : o.timing);
      rows.push({
        id: m.id,
        label: m.label,
        input: m.input,
        npm: m.npm,
        buildMs: round(buildMs, 1),
        batch,
        lookupsPerSecond: roundSpread(t.perSecond),
        nsPerLookup: round(t.nsPerOp, 2),
        samples: t.samples,
        load: t.load,
        checked,
      });
    }
    const netpolRate = (input: CidrInput): number | undefined => rows.find((r) => r.id === 'netpol-lpm' && r.input === input)?.lookupsPerSecond.median;
    results.push({
      prefixes: size,
      seed: 11,
      addresses: o.addresses,
      hitShare: round(truth.filter(Boolean).length / truth.length, 3),
      lpmBytes,
      matchers: rows.map((r) => {
        const np = netpolRate(r.input);
        return { ...r, netpolSpeedup: np ? round(np / r.lookupsPerSecond.median, 1) : null };
      }),
    });
  }
  return results;
}
