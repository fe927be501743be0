/**
 * The address space, cut at every ipBlock cidr/except boundary and at every pod and node IP.
 * Because all these prefixes nest or are disjoint, everything policy can say about an
 * address is decided by the longest prefix that covers it: that prefix is its "region".
 */
import { ipKey, type Family, type IPAddress } from '../ip/address.js';
import type { CIDR } from '../ip/cidr.js';
import type { PeerInfo } from './rule-table.js';

interface Marks {
  /** ipBlock peers whose cidr is exactly this prefix. */
  readonly plus: number[];
  /** ipBlock peers with an except exactly this prefix. */
  readonly minus: number[];
}

const maskTo = (value: bigint, bits: number, len: number): bigint => (len === 0 ? 0n : (value >> BigInt(bits - len)) << BigInt(bits - len));
/** IPv4 keys are plain numbers: bigint arithmetic per pod IP is what made compile slow. */
const key4 = (value: number, len: number): number => (len === 0 ? 0 : (value >>> (32 - len)) * 2 ** (32 - len));

const NONE: number[] = [];

/** Where ipBlock peers start and stop, indexed for "which peers contain this prefix". */
export class IPBlockIndex {
  private readonly byLength: Record<Family, Map<number, Map<bigint | number, Marks>>> = { 4: new Map(), 6: new Map() };
  private readonly lengths: Record<Family, number[]> = { 4: [], 6: [] };
  /** Every distinct cidr/except prefix, per family. */
  readonly prefixes: Record<Family, CIDR[]> = { 4: [], 6: [] };

  constructor(peers: readonly PeerInfo[]) {
    for (const info of peers) this.add(info);
  }

  /**
   * One more peer (the live compiler adds them as policies come): its cidr and excepts are
   * marked; returns the prefixes the index did not hold yet. Answers are the same as an index
   * built with the peer from the start.
   */
  add(info: PeerInfo): CIDR[] {
    if (info.peer.kind !== 'ipBlock') return [];
    const fresh: CIDR[] = [];
    const longest = this.longest4();
    this.mark(info.peer.ipBlock.cidr, fresh).plus.push(info.id);
    for (const e of info.peer.ipBlock.except) this.mark(e, fresh).minus.push(info.id);
    this.forgetHosts(info.peer.ipBlock.cidr, longest);
    return fresh;
  }

  private longest4(): number {
    const lengths = this.lengths[4];
    return lengths.length ? lengths[lengths.length - 1]! : 0;
  }

  /**
   * Cached host answers the new peer (cidr `c`, its excepts inside it) may change: all of them
   * when the longest length (the cache's key) changed, else only those of addresses inside `c`
   * (a key is its address cut to that length, at least as long as `c`'s prefix). Clearing
   * them all made every address a policy touched compute its answer again.
   */
  private forgetHosts(c: CIDR, longestBefore: number): void {
    if (c.family !== 4) return; // IPv6 answers are not cached
    if (this.longest4() !== longestBefore) return this.hostCache.clear();
    const lo = Number(c.base);
    const hi = lo + 2 ** (32 - c.prefix) - 1;
    for (const k of this.hostCache.keys()) if (k >= lo && k <= hi) this.hostCache.delete(k);
  }

  private mark(c: CIDR, fresh: CIDR[]): Marks {
    let level = this.byLength[c.family].get(c.prefix);
    if (!level) {
      this.byLength[c.family].set(c.prefix, (level = new Map()));
      const lengths = this.lengths[c.family];
      let i = lengths.length;
      while (i > 0 && lengths[i - 1]! > c.prefix) i--;
      lengths.splice(i, 0, c.prefix);
    }
    const k = c.family === 4 ? Number(c.base) : c.base;
    let m = level.get(k);
    if (!m) {
      level.set(k, (m = { plus: [], minus: [] }));
      this.prefixes[c.family].push(c);
      fresh.push(c);
    }
    return m;
  }

  /** ipBlock peers containing every address of (value/len): in some cidr, in none of its excepts. */
  /** Host-length IPv4 answers, by the address masked to the longest ipBlock length: */
  private readonly hostCache = new Map<number, number[]>();

  peersContaining(family: Family, value: bigint, len: number): number[] {
    // every address of one /L (L = the longest ipBlock prefix) gets the same answer.
    if (family === 4 && len === 32) {
      const k = key4(Number(value), this.longest4());
      let cached = this.hostCache.get(k);
      if (!cached) this.hostCache.set(k, (cached = this.compute(4, value, 32)));
      return cached;
    }
    return this.compute(family, value, len);
  }

  private compute(family: Family, value: bigint, len: number): number[] {
    const v4 = family === 4 ? Number(value) : 0;
    let plus: number[] | undefined;
    let minus: number[] | undefined;
    for (const l of this.lengths[family]) {
      if (l > len) break;
      const m = this.byLength[family].get(l)!.get(family === 4 ? key4(v4, l) : maskTo(value, 128, l));
      if (!m) continue;
      if (m.plus.length) (plus ??= []).push(...m.plus);
      if (m.minus.length) (minus ??= []).push(...m.minus);
    }
    if (!plus) return NONE;
    const out = [...new Set(plus)].sort((a, b) => a - b);
    return minus ? out.filter((p) => !minus.includes(p)) : out;
  }
}

/** A host address that is special: a pod's, a node's, or both. */
export interface HostAddress {
  readonly ip: IPAddress;
  podSlot: number;
  identity: number;
  podNode: number;
  addrNode: number;
}

export function hostAddresses(): Map<number | string, HostAddress> {
  return new Map<number | string, HostAddress>();
}

export function hostEntry(map: Map<number | string, HostAddress>, ip: IPAddress): HostAddress {
  const k = ipKey(ip);
  let h = map.get(k);
  if (!h) map.set(k, (h = { ip, podSlot: 0, identity: -1, podNode: 0, addrNode: 0 }));
  return h;
}
