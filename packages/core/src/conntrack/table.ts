/**
 * Connection tracking for a userspace dataplane: a bounded table of connections keyed by
 * their 5-tuple in both directions, with TCP state light enough for a per-packet path.
 *
 * Layout: every field lives in a typed array indexed by entry id (no object per connection,
 * no allocation per packet). Each connection is reachable from two hash slots, one per
 * direction (node = id*2 + direction), chained per bucket; a doubly linked LRU list orders
 * entries by last use (to the second: an entry moves to the front at most once per second of
 * `now`). When the table is full the least recently used entry is evicted;
 * an expired entry is dropped when a lookup meets it, and `sweep(now)` drops them all.
 *
 * What is tracked (as Linux conntrack does, simplified):
 * - TCP: SYN opens (SYN_SENT), the responder's SYN-ACK moves to SYN_RECV, the initiator's ACK
 *   to ESTABLISHED; a FIN from one side → FIN_WAIT, from both → TIME_WAIT; RST → CLOSE.
 *   A pure ACK/data segment without an entry is picked up mid-stream as ESTABLISHED (Linux's
 *   default `nf_conntrack_tcp_loose=1`; option `tcpLoose`). A segment that cannot open a
 *   connection (a SYN-ACK, a RST, a FIN with or without ACK, one without SYN, ACK or RST, a
 *   SYN with FIN; with `tcpLoose` off, anything but a SYN) never opens an entry: Linux's state
 *   table leads from NONE to INVALID for it (nf_conntrack_proto_tcp), and the packet filter
 *   drops it as `invalid` without asking policy. A new SYN on a TIME_WAIT/CLOSE entry reopens:
 *   the entry is dropped and the SYN is judged by policy again.
 * - UDP and SCTP: pseudo-connections by 5-tuple, UNREPLIED until the other side answers.
 * - ICMP/ICMPv6 queries with an identifier (echo, timestamp, information): keyed by
 *   (addresses, id, request type); the reply type answers. Other ICMP (errors, neighbour
 *   discovery) is never tracked: each packet is judged by policy.
 * - Any other protocol without ports (GRE, ESP, ...): a pseudo-connection per address pair
 *   and protocol, as Linux's generic tracker does.
 * - Fragment entries (fragmentPolicy 'track'): one direction only, keyed by addresses and
 *   fragment id (and protocol, for IPv4); they carry the first fragment's verdict for the
 *   later ones.
 *
 * Timeouts are in seconds, like `now` (Linux defaults, see DEFAULT_TIMEOUTS).
 *
 * Hostile traffic: buckets are chosen by a keyed hash (hash.ts, a random key per table), so
 * tuples that collide cannot be computed from the outside, and no chain grows past
 * MAX_CHAIN nodes: an insert that would lengthen a full chain is refused (counted in
 * `refused`). A refused connection is simply not tracked: each of its packets that could open
 * a connection is judged by policy as a new one, in its own direction, and the others (its
 * SYN-ACK, FIN, RST) are invalid, so it never passes more than policy allows (an ACK or data
 * reply of a refused connection passes only where policy allows it too). Lookups thus walk at
 * most MAX_CHAIN nodes whatever the traffic.
 */
import { checkOptions, type OptionSpec } from '../model/check-options.js';
import { hasPorts, PROTOCOL_NUMBERS } from '../model/protocol.js';
import { FRAGMENT, hasIcmpId, TCP, type ParsedPacket } from '../packet/parse.js';
import { randomSeed, tupleHash, type HashSeed } from './hash.js';

export type { HashSeed } from './hash.js';

// The named constants the per-packet paths test (packet/parse.ts, model/protocol.ts), bound
// once here: a property of an imported object is a load and a map check at every use, which
// measured 2-3 ns of a 65 ns hit.
const { FIN, SYN, RST, ACK } = TCP;
const PROTO_TCP = PROTOCOL_NUMBERS.TCP;
const PROTO_ICMP = PROTOCOL_NUMBERS.ICMP;
const PROTO_ICMPV6 = PROTOCOL_NUMBERS.ICMPv6;
const LATER_FRAGMENT = FRAGMENT.later;

/**
 * Longest hash chain (nodes per bucket). With the keyed hash and at most one node per
 * bucket on average, a chain of 16 happens by chance with odds near 1e-14 per bucket; only
 * a flood that knows the key could fill one.
 */
export const MAX_CHAIN = 16;

export const CT = {
  // TCP states
  synSent: 1,
  synRecv: 2,
  established: 3,
  finWait: 4,
  timeWait: 5,
  close: 6,
  // UDP, SCTP, ICMP queries, other protocols
  unreplied: 7,
  replied: 8,
  // a fragment-verdict entry
  fragment: 9,
} as const;

export const CT_STATE_NAMES = ['none', 'SYN_SENT', 'SYN_RECV', 'ESTABLISHED', 'FIN_WAIT', 'TIME_WAIT', 'CLOSE', 'UNREPLIED', 'REPLIED', 'FRAGMENT'] as const;

/** How long an idle connection is kept, per protocol and TCP state, in seconds (defaults: DEFAULT_TIMEOUTS). */
export interface ConntrackTimeouts {
  readonly tcpSynSent: number;
  readonly tcpSynRecv: number;
  readonly tcpEstablished: number;
  readonly tcpFinWait: number;
  readonly tcpTimeWait: number;
  readonly tcpClose: number;
  /** UDP/SCTP before a reply. */
  readonly udp: number;
  /** UDP/SCTP once both sides have spoken. */
  readonly udpReplied: number;
  readonly icmp: number;
  /** Other protocols. */
  readonly generic: number;
  /** How long a first fragment's verdict waits for the later ones (Linux ipfrag_time). */
  readonly fragment: number;
}

/** Linux's defaults (nf_conntrack_* sysctls), in seconds. */
export const DEFAULT_TIMEOUTS: ConntrackTimeouts = {
  tcpSynSent: 120,
  tcpSynRecv: 60,
  tcpEstablished: 432_000,
  tcpFinWait: 120,
  tcpTimeWait: 120,
  tcpClose: 10,
  udp: 30,
  udpReplied: 120,
  icmp: 30,
  generic: 600,
  fragment: 30,
};

/** Options of a Conntrack table (and of a PacketFilter, which makes one); unknown keys throw a TypeError. */
export interface ConntrackOptions {
  /** Most connections kept at once (default 65536); beyond it the least recently used goes. */
  readonly maxEntries?: number;
  readonly timeouts?: Partial<ConntrackTimeouts>;
  /**
   * TCP mid-stream pickup (default true, Linux's `nf_conntrack_tcp_loose=1`): an ACK or data
   * segment without an entry opens one once policy allows it, so a capture or a filter that
   * starts while connections are open recovers them. false (`nf_conntrack_tcp_loose=0`): only
   * a SYN opens a connection, and other segments without an entry are invalid.
   */
  readonly tcpLoose?: boolean;
  /**
   * The hash key (two unsigned 32-bit words). Default: random per table, from node:crypto,
   * which is what keeps bucket collisions unpredictable; pass one only for reproducible tests.
   */
  readonly seed?: HashSeed;
}

/** ConntrackOptions' keys and types (model/check-options.ts); the values' ranges are checked where they are used. */
export const CONNTRACK_OPTIONS: OptionSpec<ConntrackOptions> = {
  maxEntries: 'number',
  timeouts: 'object',
  tcpLoose: 'boolean',
  seed: { expected: 'an array of two unsigned 32-bit integers', is: Array.isArray },
};
/** Every timeout is a number of seconds: the keys are DEFAULT_TIMEOUTS'. */
const TIMEOUT_OPTIONS = Object.fromEntries(Object.keys(DEFAULT_TIMEOUTS).map((k) => [k, 'number'])) as OptionSpec<ConntrackTimeouts>;

/** Counters of a Conntrack table since it was made (Conntrack.stats()). */
export interface ConntrackStats {
  readonly size: number;
  readonly capacity: number;
  readonly inserted: number;
  readonly evicted: number;
  readonly expired: number;
  readonly bytes: number;
  /** Inserts refused because a hash chain was full (see MAX_CHAIN): those packets were judged one by one. */
  readonly refused: number;
  /** Lookups (`find`) and the chain nodes they visited, in total and at most in one lookup. */
  readonly lookups: number;
  readonly probes: number;
  readonly longestProbe: number;
}

/** A connection as plain data (for inspection and tests; allocates). */
export interface ConnectionEntry {
  readonly id: number;
  readonly family: number;
  readonly protocol: number;
  readonly fragment: boolean;
  /** The original direction's addresses as u32 words (IPv4: word 0). */
  readonly src: readonly number[];
  readonly dst: readonly number[];
  readonly srcPort: number;
  readonly dstPort: number;
  readonly state: (typeof CT_STATE_NAMES)[number];
  readonly replied: boolean;
  readonly expires: number;
  /** The verdict byte the connection was opened with. */
  readonly verdict: number;
}

/** Result of `update`: the packet belongs to the connection, or the entry was closed for a reopen. */
export const HIT = { pass: 0, reopen: 1 } as const;

/** Key kinds of a packet: how its ports are formed. */
const KIND_NONE = 0;
const KIND_PORTS = 1;
const KIND_QUERY = 2;
const KIND_GENERIC = 3;

const SEEN_REPLY = 1;
const SEEN_FIN0 = 2;
const SEEN_FIN1 = 4;
/** A tag's fragment-entry bit; the family sits above it (tag = family << 9 | ... | protocol). */
const FRAG_TAG = 0x100;
const FAMILY_SHIFT = 9;

/** The reply type of an ICMP query type (echo 8 → 0, timestamp 13 → 14, info 15 → 16; v6 128 → 129). */
function queryReplyType(family: number, type: number): number {
  if (family === 4) return type === 8 ? 0 : type === 13 ? 14 : type === 15 ? 16 : -1;
  return type === 128 ? 129 : -1;
}

/**
 * A bounded connection table (the module comment above says what is tracked and how): what lets
 * replies of an allowed connection through without being judged again. A PacketFilter makes one,
 * or takes one (`conntrack` option) so that connections outlive the filter.
 *
 * @example
 * const filter = new PacketFilter(dataplane, { conntrack: new Conntrack({ maxEntries: 1 << 20 }) });
 */
export class Conntrack {
  readonly capacity: number;
  readonly timeouts: ConntrackTimeouts;
  readonly tcpLoose: boolean;
  private readonly tag: Uint16Array;
  private readonly addr: Uint32Array;
  private readonly ports: Uint16Array;
  private readonly st: Uint8Array;
  private readonly seen: Uint8Array;
  private readonly verdictByte: Uint8Array;
  private readonly expiry: Float64Array;
  private readonly touchedAt: Float64Array;
  private readonly prev: Int32Array;
  private readonly next: Int32Array;
  private readonly buckets: Int32Array;
  private readonly chain: Int32Array;
  private readonly mask: number;
  private head = -1;
  private tail = -1;
  private free = -1;
  private count = 0;
  private inserted = 0;
  private evicted = 0;
  private expired = 0;
  private refused = 0;
  private lookups = 0;
  private probes = 0;
  private longestProbe = 0;
  /** The hash key (an Int32Array: read as small integers, never boxed). */
  private readonly hashKey: Int32Array;
  /**
   * The bucket each node is chained in (node = id*2 + direction): removing an entry unlinks
   * it without hashing its tuple again.
   */
  private readonly nodeBucket: Int32Array;
  // The lookup key of the packet at hand (set by key()): its tag (protocol, fragment bit) and
  // the "ports" of each direction: ports, or ICMP id and type, or a fragment id's two halves.
  private keyTag = 0;
  private keySrcPort = 0;
  private keyDstPort = 0;
  private replySrcPort = 0;
  private replyDstPort = 0;

  constructor(options: ConntrackOptions = {}) {
    checkOptions('Conntrack options', options, CONNTRACK_OPTIONS);
    checkOptions('Conntrack options.timeouts', options.timeouts, TIMEOUT_OPTIONS);
    const n = options.maxEntries ?? 65536;
    if (!Number.isInteger(n) || n < 1 || n > 1 << 24) throw new RangeError(`maxEntries must be an integer 1..${1 << 24}`);
    this.capacity = n;
    this.timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
    this.tcpLoose = options.tcpLoose ?? true;
    const seed = options.seed ?? randomSeed();
    if (seed.length !== 2 || !seed.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffffffff))
      throw new RangeError('seed must be two unsigned 32-bit integers');
    this.hashKey = Int32Array.of(seed[0], seed[1]);
    this.tag = new Uint16Array(n);
    this.addr = new Uint32Array(n * 8);
    this.ports = new Uint16Array(n * 4);
    this.st = new Uint8Array(n);
    this.seen = new Uint8Array(n);
    this.verdictByte = new Uint8Array(n);
    this.expiry = new Float64Array(n);
    this.touchedAt = new Float64Array(n);
    this.prev = new Int32Array(n);
    this.next = new Int32Array(n);
    let b = 16;
    while (b < 2 * n) b *= 2;
    this.buckets = new Int32Array(b).fill(-1);
    this.mask = b - 1;
    this.chain = new Int32Array(2 * n).fill(-1);
    this.nodeBucket = new Int32Array(2 * n);
    this.flush();
  }

  get size(): number {
    return this.count;
  }

  /** The table's counters: connections held and room for them, inserts, evictions, expiries, bytes of the typed arrays, refusals (full chains), lookups and probes. */
  stats(): ConntrackStats {
    const bytes = [
      this.tag,
      this.addr,
      this.ports,
      this.st,
      this.seen,
      this.verdictByte,
      this.expiry,
      this.touchedAt,
      this.prev,
      this.next,
      this.buckets,
      this.chain,
      this.nodeBucket,
    ].reduce((s, a) => s + a.byteLength, 0);
    return {
      size: this.count,
      capacity: this.capacity,
      inserted: this.inserted,
      evicted: this.evicted,
      expired: this.expired,
      bytes,
      refused: this.refused,
      lookups: this.lookups,
      probes: this.probes,
      longestProbe: this.longestProbe,
    };
  }

  /** Forgets every connection. */
  flush(): void {
    this.buckets.fill(-1);
    this.chain.fill(-1);
    this.head = this.tail = -1;
    this.count = 0;
    // Free list threaded through `next`.
    for (let i = 0; i < this.capacity; i++) this.next[i] = i + 1 < this.capacity ? i + 1 : -1;
    this.free = 0;
    this.st.fill(0);
  }

  /**
   * Computes the lookup key of a parsed packet; returns its kind (0: not trackable).
   * `fragment`: the key of the packet's fragment id instead of its connection.
   */
  private key(p: ParsedPacket, fragment: boolean): number {
    if (fragment) {
      // IPv6 identifies a datagram's fragments by addresses and id alone (RFC 8200 §4.5): a
      // first fragment's protocol is the L4 one, a later fragment's the header after the
      // fragment header, which differ when options follow it. IPv4 adds the protocol.
      this.keyTag = (p.family << FAMILY_SHIFT) | FRAG_TAG | (p.family === 4 ? p.protocol : 0);
      this.keySrcPort = p.fragmentId >>> 16;
      this.keyDstPort = p.fragmentId & 0xffff;
      return KIND_PORTS;
    }
    this.keyTag = (p.family << FAMILY_SHIFT) | p.protocol;
    if (p.hasL4 === 0) {
      if (p.fragment === LATER_FRAGMENT) return KIND_NONE;
      this.keySrcPort = this.keyDstPort = this.replySrcPort = this.replyDstPort = 0;
      return KIND_GENERIC;
    }
    if (hasPorts(p.protocol)) {
      this.keySrcPort = this.replyDstPort = p.srcPort;
      this.keyDstPort = this.replySrcPort = p.dstPort;
      return KIND_PORTS;
    }
    if (p.icmpId >= 0) {
      this.keySrcPort = this.replySrcPort = p.icmpId;
      this.keyDstPort = p.icmpType;
      this.replyDstPort = queryReplyType(p.family, p.icmpType);
      return KIND_QUERY;
    }
    if (p.icmpType >= 0) return KIND_NONE; // ICMP errors, ND, ...: judged per packet
    this.keySrcPort = this.keyDstPort = this.replySrcPort = this.replyDstPort = 0;
    return KIND_GENERIC;
  }

  /** The bucket of one direction of a tuple. */
  private bucket(family: number, tag: number, a: Uint32Array, ao: number, b: Uint32Array, bo: number, srcPort: number, dstPort: number): number {
    return tupleHash(this.hashKey, family, tag, a, ao, b, bo, srcPort, dstPort) & this.mask;
  }

  /**
   * Nodes in a bucket's chain, after dropping the expired entries met on the way (so stale
   * entries never make a chain look full). At most MAX_CHAIN + 1 nodes are walked per pass.
   */
  private chainLength(h: number, now: number): number {
    restart: for (;;) {
      let n = 0;
      for (let node = this.buckets[h]!; node >= 0 && n <= MAX_CHAIN; node = this.chain[node]!) {
        const id = node >>> 1;
        if (this.expiry[id]! < now) {
          this.remove(id);
          this.expired++;
          continue restart;
        }
        n++;
      }
      return n;
    }
  }

  /**
   * Finds the connection of a packet: returns node = id*2 + direction (0 original, 1 reply)
   * or -1. An expired entry found on the way is removed (and is a miss).
   */
  find(p: ParsedPacket, now: number, fragment = false): number {
    const kind = this.key(p, fragment);
    if (kind === KIND_NONE) return -1;
    const fam = p.family;
    const tag = this.keyTag;
    const sp = this.keySrcPort;
    const dp = this.keyDstPort;
    const src = p.src;
    const dst = p.dst;
    const addr = this.addr;
    const ports = this.ports;
    let node = this.buckets[this.bucket(fam, tag, src, 0, dst, 0, sp, dp)]!;
    this.lookups++;
    let probes = 0;
    while (node >= 0) {
      probes++;
      const id = node >>> 1;
      const dir = node & 1;
      if (this.tag[id] === tag && ports[id * 4 + dir * 2] === sp && ports[id * 4 + dir * 2 + 1] === dp) {
        // Direction 0 stores (a, b); the reply direction sees (b, a).
        const so = id * 8 + dir * 4;
        const dO = id * 8 + 4 - dir * 4;
        if (
          addr[so] === src[0] &&
          addr[dO] === dst[0] &&
          (fam === 4 ||
            (addr[so + 1] === src[1] &&
              addr[so + 2] === src[2] &&
              addr[so + 3] === src[3] &&
              addr[dO + 1] === dst[1] &&
              addr[dO + 2] === dst[2] &&
              addr[dO + 3] === dst[3]))
        ) {
          this.probed(probes);
          if (this.expiry[id]! < now) {
            this.remove(id);
            this.expired++;
            return -1;
          }
          return node;
        }
      }
      node = this.chain[node]!;
    }
    this.probed(probes);
    return -1;
  }

  private probed(n: number): void {
    this.probes += n;
    if (n > this.longestProbe) this.longestProbe = n;
  }

  /**
   * Whether a packet with no entry may open one. TCP as Linux's state table from NONE: a SYN
   * (without ACK or FIN), or with `tcpLoose` an ACK or data segment without SYN, FIN or RST;
   * never a SYN-ACK, RST or FIN, nor a segment with none of SYN, ACK, RST.
   */
  opens(p: ParsedPacket): boolean {
    if (p.hasL4 === 0) return p.fragment !== LATER_FRAGMENT;
    if (p.protocol === PROTO_TCP) {
      const f = p.tcpFlags;
      if (f & (RST | FIN)) return false;
      return (f & (SYN | ACK)) === SYN || (this.tcpLoose && (f & (SYN | ACK)) === ACK);
    }
    if (hasPorts(p.protocol)) return true;
    if (p.icmpType >= 0) return p.icmpId >= 0 && queryReplyType(p.family, p.icmpType) >= 0 && hasIcmpId(p.family, p.icmpType);
    return true;
  }

  /**
   * Opens an entry for a packet judged allowed (call `opens` first). `verdict` is kept for
   * inspection. Evicts the least recently used entry when full. Returns the entry id, or -1
   * when the packet cannot be tracked or a bucket it needs is full (MAX_CHAIN; `refused`).
   */
  insert(p: ParsedPacket, now: number, verdict: number, fragment = false): number {
    const kind = this.key(p, fragment);
    if (kind === KIND_NONE) return -1;
    const fam = p.family;
    const src = p.src;
    const dst = p.dst;
    const tag = this.keyTag;
    const h0 = this.bucket(fam, tag, src, 0, dst, 0, this.keySrcPort, this.keyDstPort);
    const h1 = fragment ? -1 : this.bucket(fam, tag, dst, 0, src, 0, this.replySrcPort, this.replyDstPort);
    // Both directions may share a bucket: then it needs room for two nodes.
    if (this.chainLength(h0, now) + (h1 === h0 ? 1 : 0) >= MAX_CHAIN || (h1 >= 0 && h1 !== h0 && this.chainLength(h1, now) >= MAX_CHAIN)) {
      this.refused++;
      return -1;
    }
    if (this.free < 0) {
      const victim = this.tail;
      this.remove(victim);
      this.evicted++;
    }
    const id = this.free;
    this.free = this.next[id]!;
    this.tag[id] = tag;
    const a = id * 8;
    this.addr.set(p.src, a);
    this.addr.set(p.dst, a + 4);
    const q = id * 4;
    this.ports[q] = this.keySrcPort;
    this.ports[q + 1] = this.keyDstPort;
    this.ports[q + 2] = this.replySrcPort;
    this.ports[q + 3] = this.replyDstPort;
    this.seen[id] = 0;
    this.verdictByte[id] = verdict;
    const t = this.timeouts;
    let state: number;
    let ttl: number;
    if (fragment) {
      state = CT.fragment;
      ttl = t.fragment;
    } else if (p.protocol === PROTO_TCP && p.hasL4 === 1) {
      state = p.tcpFlags & SYN ? CT.synSent : CT.established;
      ttl = state === CT.synSent ? t.tcpSynSent : t.tcpEstablished;
    } else {
      state = CT.unreplied;
      ttl = kind === KIND_QUERY ? t.icmp : kind === KIND_GENERIC ? t.generic : t.udp;
    }
    this.st[id] = state;
    this.expiry[id] = now + ttl;
    this.touchedAt[id] = now;
    // Hash slots: both directions, or one for fragment entries (CT.fragment).
    this.chain[id * 2] = this.buckets[h0]!;
    this.buckets[h0] = id * 2;
    this.nodeBucket[id * 2] = h0;
    if (!fragment) {
      this.chain[id * 2 + 1] = this.buckets[h1]!;
      this.buckets[h1] = id * 2 + 1;
      this.nodeBucket[id * 2 + 1] = h1;
    }
    // Most recently used at the head.
    this.prev[id] = -1;
    this.next[id] = this.head;
    if (this.head >= 0) this.prev[this.head] = id;
    this.head = id;
    if (this.tail < 0) this.tail = id;
    this.count++;
    this.inserted++;
    return id;
  }

  /**
   * A packet of a tracked connection (node from `find`): advances TCP state, refreshes the
   * timeout and LRU position. Returns HIT.reopen when a new SYN meets a closing connection:
   * the entry is then gone and the SYN is a new connection for policy to judge.
   */
  update(node: number, p: ParsedPacket, now: number): number {
    const id = node >>> 1;
    const dir = node & 1;
    const t = this.timeouts;
    let state = this.st[id]!;
    let seen = this.seen[id]!;
    if (dir === 1) seen |= SEEN_REPLY;
    let ttl: number;
    if (state <= CT.close) {
      const f = p.tcpFlags;
      const syn = (f & (SYN | ACK)) === SYN;
      if (f & RST) state = CT.close;
      else if (syn && (state === CT.timeWait || state === CT.close)) {
        this.remove(id);
        return HIT.reopen;
      } else if (f & SYN) {
        if (dir === 1 && f & ACK && state === CT.synSent) state = CT.synRecv;
      } else {
        if (f & FIN) seen |= dir === 0 ? SEEN_FIN0 : SEEN_FIN1;
        if ((seen & (SEEN_FIN0 | SEEN_FIN1)) === (SEEN_FIN0 | SEEN_FIN1)) state = CT.timeWait;
        else if (seen & (SEEN_FIN0 | SEEN_FIN1)) state = CT.finWait;
        else if (f & ACK && (state === CT.synRecv || (state === CT.synSent && seen & SEEN_REPLY))) state = CT.established;
      }
      ttl =
        state === CT.synSent
          ? t.tcpSynSent
          : state === CT.synRecv
            ? t.tcpSynRecv
            : state === CT.established
              ? t.tcpEstablished
              : state === CT.finWait
                ? t.tcpFinWait
                : state === CT.timeWait
                  ? t.tcpTimeWait
                  : t.tcpClose;
    } else if (state === CT.fragment) {
      ttl = t.fragment;
    } else {
      if (seen & SEEN_REPLY) state = CT.replied;
      const proto = this.tag[id]! & 0xff;
      ttl = hasPorts(proto) ? (state === CT.replied ? t.udpReplied : t.udp) : proto === PROTO_ICMP || proto === PROTO_ICMPV6 ? t.icmp : t.generic;
    }
    this.st[id] = state;
    this.seen[id] = seen;
    // A closed TCP connection keeps its close timeout from the RST on.
    if (!(state === CT.close && this.expiry[id]! - now <= t.tcpClose)) this.expiry[id] = now + ttl;
    // LRU order at one-second granularity: moving the entry to the front on every packet
    // costs a third of a hit (three scattered list writes) for no better eviction choice.
    if (now - this.touchedAt[id]! >= 1) {
      this.touchedAt[id] = now;
      this.touch(id);
    }
    return HIT.pass;
  }

  /** Whether the other side of the connection has sent anything yet. */
  replied(node: number): boolean {
    return (this.seen[node >>> 1]! & SEEN_REPLY) !== 0;
  }

  /** The verdict byte stored with an entry (the first fragment's, for fragment entries). */
  verdictOf(node: number): number {
    return this.verdictByte[node >>> 1]!;
  }

  private touch(id: number): void {
    if (this.head === id) return;
    const p = this.prev[id]!;
    const n = this.next[id]!;
    if (p >= 0) this.next[p] = n;
    if (n >= 0) this.prev[n] = p;
    if (this.tail === id) this.tail = p;
    this.prev[id] = -1;
    this.next[id] = this.head;
    if (this.head >= 0) this.prev[this.head] = id;
    this.head = id;
  }

  private unlinkNode(node: number, h: number): void {
    let cur = this.buckets[h]!;
    if (cur === node) {
      this.buckets[h] = this.chain[node]!;
      return;
    }
    while (cur >= 0) {
      const nx = this.chain[cur]!;
      if (nx === node) {
        this.chain[cur] = this.chain[node]!;
        return;
      }
      cur = nx;
    }
  }

  /** Drops an entry (id). */
  remove(id: number): void {
    if (this.st[id] === 0) return;
    this.unlinkNode(id * 2, this.nodeBucket[id * 2]!);
    if (this.st[id] !== CT.fragment) this.unlinkNode(id * 2 + 1, this.nodeBucket[id * 2 + 1]!);
    const p = this.prev[id]!;
    const n = this.next[id]!;
    if (p >= 0) this.next[p] = n;
    else this.head = n;
    if (n >= 0) this.prev[n] = p;
    else this.tail = p;
    this.st[id] = 0;
    this.next[id] = this.free;
    this.free = id;
    this.count--;
  }

  /** Drops every expired entry; returns how many. */
  sweep(now: number): number {
    let n = 0;
    for (let id = 0; id < this.capacity; id++) {
      if (this.st[id] !== 0 && this.expiry[id]! < now) {
        this.remove(id);
        n++;
      }
    }
    this.expired += n;
    return n;
  }

  /** Live entry ids, most recently used first. */
  *ids(): Generator<number> {
    for (let id = this.head; id >= 0; ) {
      const n = this.next[id]!;
      yield id;
      id = n;
    }
  }

  /** Calls `keep(id)` for each connection (not fragment entries) and drops those it rejects. */
  retain(keep: (entry: ConnectionEntry) => boolean): number {
    let dropped = 0;
    for (const id of [...this.ids()]) {
      if (this.st[id] === CT.fragment) continue;
      if (!keep(this.entry(id))) {
        this.remove(id);
        dropped++;
      }
    }
    return dropped;
  }

  /** The connection in slot `id` as an object (addresses as 32-bit words, ports, state, expiry): for inspection, not the packet path. */
  entry(id: number): ConnectionEntry {
    const a = id * 8;
    const fam = this.tag[id]! >> FAMILY_SHIFT;
    const words = fam === 4 ? 1 : 4;
    return {
      id,
      family: fam,
      protocol: this.tag[id]! & 0xff,
      fragment: this.st[id] === CT.fragment,
      src: [...this.addr.subarray(a, a + words)],
      dst: [...this.addr.subarray(a + 4, a + 4 + words)],
      srcPort: this.ports[id * 4]!,
      dstPort: this.ports[id * 4 + 1]!,
      state: CT_STATE_NAMES[this.st[id]!]!,
      replied: (this.seen[id]! & SEEN_REPLY) !== 0,
      expires: this.expiry[id]!,
      verdict: this.verdictByte[id]!,
    };
  }

  /** Every live entry as plain data, most recently used first. */
  entries(): ConnectionEntry[] {
    return [...this.ids()].map((id) => this.entry(id));
  }
}
