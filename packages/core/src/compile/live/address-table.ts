/**
 * The live image's address side: one entry per host address (a pod's or a node's) and per
 * ipBlock cidr or except (a region), and the trie leaves and IPv6 host slots that lead to
 * them (what the entries say is entry-writer.ts's). Changes mark entries stale; `commit()`
 * classifies them once per batch, however many changes touched them.
 */
import { addressWords, bitsOf, type Family, type IPAddress } from '../../ip/address.js';
import { cidrContains, type CIDR } from '../../ip/cidr.js';
import type { ResolvedOptions } from '../../model/options.js';
import type { Direction, Pod } from '../../model/types.js';
import { IPBlockIndex } from '../address-space.js';
import { buildHosts6 } from '../layout.js';
import { lookup4 } from '../lpm.js';
import type { PeerInfo } from '../rule-table.js';
import type { DirectionClasses } from './classes.js';
import { EntryWriter } from './entry-writer.js';
import { insertHost6, removeHost6, type HostTableStore } from './hosts6.js';
import type { MasterImage } from './master.js';
import { addTo, deleteFrom } from '../multimap.js';
import { NO_PEERS, type Host, type Identity, type Region } from './state.js';
import type { LiveTiers } from './tiers.js';
import { initTrie, insertPrefix, removePrefix, type TrieStore } from './trie.js';

/** What explain needs about one entry (the live counterpart of compile()'s Provenance entries). */
export interface EntryProvenance {
  /** The pod owning the address, if the entry is a pod's. */
  readonly pod: Pod | undefined;
  readonly identity: Identity | undefined;
  /** The ipBlock peers (peer ids) containing the address or region. */
  readonly ipPeers: readonly number[];
}

export class AddressTable {
  private readonly hosts = new Map<number | string, Host>();
  /** IPv4 hosts by their /16, IPv6 hosts apart: what a new ipBlock contains is found without a walk over every host. */
  private readonly hosts4 = new Map<number, Set<Host>>();
  private readonly hosts6 = new Set<Host>();
  private readonly regions = new Map<string, Region>();
  /** The same regions as a list (they are never removed): walked per new ipBlock without an iterator. */
  private readonly regionList: Region[] = [];
  private readonly ipIndex = new IPBlockIndex([]);
  /** ipBlock-peer lists by content, so that equal lists are one array (the class caches' key). */
  private readonly peerLists = new Map<string, readonly number[]>();
  /** Interned list → peer id → the interned list with that id appended (a region's list grows by one per new ipBlock containing it). */
  private readonly appended = new Map<readonly number[], Map<number, readonly number[]>>();

  /** Entry → prefix length of the host or region it stands for (-1: the default entry). */
  private readonly entryLength: number[] = [-1];
  /** Entry → the host or region it stands for (undefined: the default entry, or free). */
  private readonly entryOwner: (Host | Region | undefined)[] = [undefined];
  private readonly freeEntries: number[] = [];
  private entryTop = 1;
  /**
   * Hosts and regions whose entries must be computed again at the end of the batch, in the
   * order first marked (their `stale` flag says they are listed); a list that keeps its length
   * across batches, so that a broad policy's thousands of subjects allocate nothing to list.
   */
  private readonly staleList: (Host | Region | undefined)[] = [];
  private staleCount = 0;
  /** The default entry (0) must be written again. */
  private defaultStale = true;

  /** Regions only, for finding the prefix around an address that goes away. */
  private readonly regionTries: Record<Family, TrieStore> = { 4: plainTrie(), 6: plainTrie() };
  private readonly hostTable: HostTableStore;
  /** The IPv6 host table must be rewritten whole (its slot count changed) at commit. */
  private hosts6Dirty = false;
  private hosts6Count = 0;
  private readonly lengthOf = (e: number): number => this.entryLength[e]!;
  private readonly writer: EntryWriter;

  constructor(
    private readonly master: MasterImage,
    private readonly options: ResolvedOptions,
    classes: Record<Direction, DirectionClasses>,
    /** All peers by id (the rule table's list, which grows). */
    peers: readonly PeerInfo[],
    tiers: LiveTiers,
  ) {
    this.writer = new EntryWriter(master, classes, peers, tiers);
    initTrie(master.trie4, 0);
    initTrie(master.trie6, 0);
    initTrie(this.regionTries[4], 0);
    initTrie(this.regionTries[6], 0);
    this.hostTable = {
      get table() {
        return master.views.hosts6;
      },
      get slots() {
        return master.caps.hosts6Slots;
      },
      touch: (start, end) => master.touch('hosts6', start, end),
    };
  }

  /** Entries allocated so far (free ones included): the image's entry table in use. */
  get entryCount(): number {
    return this.entryTop;
  }

  // ---- hosts

  /** The host of an address key (ipKey), if the address is a pod's or a node's. */
  hostAt(key: number | string): Host | undefined {
    return this.hosts.get(key);
  }

  /** A new host address: its entry, and its /32 leaf or IPv6 host slot. */
  addHost(key: number | string, ip: IPAddress): Host {
    // A host outranks a region of the same length (an ipBlock /32 equal to a pod IP), as in compile().
    const h: Host = {
      key,
      ip,
      words: addressWords(ip.value, ip.family),
      entry: this.allocEntry(bitsOf(ip.family) + 0.5),
      pod: undefined,
      identity: undefined,
      node: undefined,
      stale: false,
    };
    this.entryOwner[h.entry] = h;
    this.hosts.set(key, h);
    if (ip.family === 4) {
      insertPrefix(this.master.trie4, h.words, 32, h.entry, this.lengthOf);
      addTo(this.hosts4, h.words[0]! >>> 16, h);
    } else {
      this.hosts6.add(h);
      this.addHost6(h);
    }
    return h;
  }

  /** The host's leaf goes back to the region around it; its entry is zeroed and reused. */
  removeHost(h: Host): void {
    this.hosts.delete(h.key);
    h.stale = false; // still listed, skipped at commit
    if (h.ip.family === 4) {
      const cover = lookup4(this.regionTries[4].t, h.words[0]!);
      removePrefix(this.master.trie4, h.words, 32, h.entry, cover);
      deleteFrom(this.hosts4, h.words[0]! >>> 16, h);
    } else {
      this.hosts6.delete(h);
      this.hosts6Count--;
      if (!this.hosts6Dirty) removeHost6(this.hostTable, h.words);
    }
    this.writer.clear(h.entry);
    this.entryOwner[h.entry] = undefined;
    this.freeEntries.push(h.entry);
  }

  /** At most half full; past that, twice the slots and a rewrite at commit. */
  private addHost6(h: Host): void {
    this.hosts6Count++;
    if (this.hosts6Count * 2 + 1 > this.master.caps.hosts6Slots) {
      this.master.ensure({ hosts6Slots: this.hosts6Count * 2 + 1 });
      this.hosts6Dirty = true;
    } else if (!this.hosts6Dirty) insertHost6(this.hostTable, h.words, h.entry);
  }

  /** The IPv6 host table is written whole at the next commit (after the image was laid out again). */
  rewriteHosts6(): void {
    this.hosts6Dirty = true;
  }

  markStale(s: Host | Region): void {
    if (s.stale) return;
    s.stale = true;
    this.staleList[this.staleCount++] = s;
  }

  /** What the identity matches changed: its cached classes go, its addresses are classified again. */
  identityChanged(identity: Identity): void {
    identity.classCache.clear();
    for (const h of identity.hosts) this.markStale(h);
  }

  // ---- regions

  /**
   * New ipBlock peers: their prefixes into the index and the tries, and only the addresses
   * the peers contain (inside a cidr, outside its excepts) classified again, with the new
   * regions: no other address's ipBlock peers change. Hosts are found by their /16.
   */
  ipBlocksAdded(fresh: readonly PeerInfo[]): void {
    for (const info of fresh) {
      if (info.peer.kind !== 'ipBlock') continue;
      for (const c of this.ipIndex.add(info)) this.markStale(this.addRegion(c));
      const { cidr, except } = info.peer.ipBlock;
      // Bounds once per ipBlock and no closure per address: this visits every region (and hosts).
      const inside = span(cidr);
      const outside = except.map(span);
      const inPeer = (family: Family, len: number, word0: number, value: bigint): boolean => {
        if (family !== cidr.family || !within(inside, len, word0, value)) return false;
        for (const e of outside) if (within(e, len, word0, value)) return false;
        return true;
      };
      for (let i = 0; i < this.regionList.length; i++) {
        const r = this.regionList[i]!;
        if (!inPeer(r.cidr.family, r.cidr.prefix, r.words[0]!, r.cidr.base)) continue;
        // Peer ids only grow, so the new one goes last; a region made for this peer has it already.
        if (r.ipPeers[r.ipPeers.length - 1] !== info.id) r.ipPeers = this.withPeer(r.ipPeers, info.id);
        this.markStale(r);
      }
      if (!this.options.ipBlockMatchesPods) continue;
      if (cidr.family === 6) {
        for (const h of this.hosts6) if (inPeer(6, 128, 0, h.ip.value)) this.markStale(h);
        continue;
      }
      const lo = Number(cidr.base);
      const hi = lo + 2 ** (32 - cidr.prefix) - 1;
      const visit = (bucket: Set<Host>): void => {
        for (const h of bucket) if (inPeer(4, 32, h.words[0]!, 0n)) this.markStale(h);
      };
      if (cidr.prefix >= 16) {
        const b = this.hosts4.get(lo >>> 16);
        if (b) visit(b);
      } else for (const [k, b] of this.hosts4) if (k >= lo >>> 16 && k <= hi >>> 16) visit(b);
    }
  }

  /** A prefix's own entry and trie leaves, unless it has them already; returns it. */
  private addRegion(c: CIDR): Region {
    const key = `${c.family}/${c.base}/${c.prefix}`;
    const known = this.regions.get(key);
    if (known) return known;
    const region: Region = {
      cidr: c,
      words: addressWords(c.base, c.family),
      entry: this.allocEntry(c.prefix),
      stale: false,
      ipPeers: this.interned(this.ipIndex.peersContaining(c.family, c.base, c.prefix)),
    };
    this.entryOwner[region.entry] = region;
    this.regions.set(key, region);
    this.regionList.push(region);
    insertPrefix(c.family === 4 ? this.master.trie4 : this.master.trie6, region.words, c.prefix, region.entry, this.lengthOf);
    insertPrefix(this.regionTries[c.family], region.words, c.prefix, region.entry, this.lengthOf);
    return region;
  }

  /**
   * Cluster-scoped `networks` CIDRs: a region each, as ipBlocks have (what the NetworkPolicy
   * part says of a region is the ipBlocks containing it, so a new region only splits an old one).
   * The caller marks every entry stale (the tier part was recomputed).
   */
  networksAdded(cidrs: readonly CIDR[]): void {
    for (const c of cidrs) this.addRegion(c);
  }

  /** Every entry is written again at the next commit (the tier part was recomputed). */
  markAllStale(): void {
    this.defaultStale = true;
    for (const h of this.hosts.values()) this.markStale(h);
    for (const r of this.regions.values()) this.markStale(r);
  }

  /** The addresses of a node are written again (its labels changed). */
  nodeChanged(name: string): void {
    for (const h of this.hosts.values()) if (h.node === name) this.markStale(h);
  }

  // ---- entries

  private allocEntry(length: number): number {
    const e = this.freeEntries.pop() ?? this.entryTop++;
    this.master.ensureEntries(e + 1);
    this.entryLength[e] = length;
    return e;
  }

  /** The ipBlock peers containing a host (none in Cilium mode), interned by content; a region keeps its own. */
  private ipPeersOf(s: Host | Region): readonly number[] {
    return 'cidr' in s ? s.ipPeers : this.interned(this.peersContaining(s));
  }

  /** The one array of this content. */
  private interned(list: readonly number[]): readonly number[] {
    if (list.length === 0) return NO_PEERS;
    const key = list.join(',');
    let same = this.peerLists.get(key);
    if (!same) this.peerLists.set(key, (same = list));
    return same;
  }

  /** `list` (interned) with `peer` appended, interned; remembered, so that regions alike share one lookup. */
  private withPeer(list: readonly number[], peer: number): readonly number[] {
    let next = this.appended.get(list);
    if (!next) this.appended.set(list, (next = new Map()));
    let out = next.get(peer);
    if (!out) next.set(peer, (out = this.interned([...list, peer])));
    return out;
  }

  private peersContaining(s: Host | Region): readonly number[] {
    if ('cidr' in s) return this.ipIndex.peersContaining(s.cidr.family, s.cidr.base, s.cidr.prefix);
    // Cilium mode: ipBlock never matches pod or node IPs.
    return this.options.ipBlockMatchesPods ? this.ipIndex.peersContaining(s.ip.family, s.ip.value, bitsOf(s.ip.family)) : NO_PEERS;
  }

  /** Finishes a batch: classifies what changed and rewrites the IPv6 host table if needed. */
  commit(): void {
    if (this.defaultStale) this.writer.region(0, NO_PEERS, undefined);
    this.defaultStale = false;
    const list = this.staleList;
    for (let i = 0; i < this.staleCount; i++) {
      const s = list[i]!;
      list[i] = undefined;
      if (!s.stale) continue; // a host removed since it was marked
      s.stale = false;
      if ('cidr' in s) this.writer.region(s.entry, this.ipPeersOf(s), s.cidr);
      else this.writer.host(s, this.ipPeersOf(s));
    }
    this.staleCount = 0;
    if (this.hosts6Dirty) this.writeHosts6();
  }

  private writeHosts6(): void {
    this.hosts6Dirty = false;
    const list: { words: number[]; entry: number }[] = [];
    for (const h of this.hosts.values()) if (h.ip.family === 6) list.push({ words: h.words, entry: h.entry });
    // The table keeps its slot count (the image's capacity) until it would be more than half full.
    this.master.ensure({ hosts6Slots: buildHosts6(list).slots });
    const { table } = buildHosts6(list, this.master.caps.hosts6Slots);
    this.master.views.hosts6.set(table);
    this.master.touch('hosts6', 0, table.length);
  }

  /** What an entry of the committed image stands for; undefined for a free or unused entry. */
  provenance(entry: number): EntryProvenance | undefined {
    if (entry === 0) return { pod: undefined, identity: undefined, ipPeers: NO_PEERS };
    const s = this.entryOwner[entry];
    if (!s) return undefined;
    const ipPeers = this.peersContaining(s);
    return 'cidr' in s ? { pod: undefined, identity: undefined, ipPeers } : { pod: s.pod?.pod, identity: s.identity, ipPeers };
  }
}

/** A trie in a growable JS array (the regions-only tries). */
function plainTrie(): TrieStore {
  let t = new Uint32Array(65536 + 256 * 16);
  return {
    get t() {
      return t;
    },
    used: 0,
    reserve(n: number) {
      if (this.used + n <= t.length) return;
      const next = new Uint32Array(Math.max(t.length * 2, this.used + n));
      next.set(t);
      t = next;
    },
    touch() {},
  };
}

/** A cidr with its IPv4 bounds as numbers (first and last address), for `within`. */
interface Span {
  readonly cidr: CIDR;
  readonly lo: number;
  readonly hi: number;
}

const span = (cidr: CIDR): Span => {
  const lo = cidr.family === 4 ? Number(cidr.base) : 0;
  return { cidr, lo, hi: cidr.family === 4 ? lo + 2 ** (32 - cidr.prefix) - 1 : 0 };
};

/**
 * Whether a prefix of length `len` (an address: its full length) lies in `s` (a shorter prefix
 * around it does not): IPv4 by its first word as a number (bigint tests per host were most of a
 * policy add's time; `value` is then not read), IPv6 by its value.
 */
function within(s: Span, len: number, word0: number, value: bigint): boolean {
  if (len < s.cidr.prefix) return false;
  if (s.cidr.family === 6) return cidrContains(s.cidr, { family: 6, value });
  return word0 >= s.lo && word0 <= s.hi;
}
