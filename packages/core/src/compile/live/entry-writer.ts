/**
 * What a live image entry says: the pod slot, the node ids, the four classes of the
 * address's identity (or none) with the ipBlock peers containing it, and the four tier fields
 * (tiers.ts). Entries keep reference
 * counts on the classes they use, so the compiler can tell how much of the image is garbage.
 */
import type { CIDR } from '../../ip/cidr.js';
import type { Direction } from '../../model/types.js';
import { entryClassKeys } from '../entry-classes.js';
import { ENTRY_STRIDE, FIELD, FIELD_COUNT, writeEntry } from '../layout.js';
import { NodeIds } from '../node-ids.js';
import type { PeerInfo } from '../rule-table.js';
import type { DirectionClasses } from './classes.js';
import { liveRowOffset, type MasterImage } from './master.js';
import type { Host, Identity } from './state.js';
import type { LiveTiers } from './tiers.js';

const EMPTY: readonly number[] = new Array<number>(FIELD_COUNT).fill(0);

export class EntryWriter {
  private readonly nodeIds = new NodeIds();
  /** Classes each entry uses, for reference counts (the garbage estimate). */
  private readonly entryClasses: (readonly number[] | undefined)[] = [];
  private readonly fields = new Uint32Array(FIELD_COUNT);
  /** An entry's words as `write` packs them, compared with the image's before they are copied in. */
  private readonly packed = new Uint32Array(ENTRY_STRIDE);

  constructor(
    private readonly master: MasterImage,
    private readonly classes: Record<Direction, DirectionClasses>,
    /** All peers by id (the rule table's list, which grows). */
    private readonly peers: readonly PeerInfo[],
    private readonly tiers: LiveTiers,
  ) {}

  /** A host's entry: its pod and nodes, the classes of its identity with these ipBlock peers, its tier fields. */
  host(h: Host, ipPeers: readonly number[]): void {
    const cls = this.classify(h.identity, ipPeers);
    const f = this.fields;
    f.fill(0);
    f[FIELD.podSlot] = h.pod ? h.pod.slot : 0;
    f[FIELD.podNode] = h.pod ? this.nodeIds.id(h.pod.pod.nodeName) : 0;
    f[FIELD.addrNode] = this.nodeIds.id(h.node);
    this.setClasses(f, cls);
    f.set(this.tiers.hostFields(h), FIELD.tierEgressRow);
    this.write(h.entry, f, cls);
  }

  /** A region's entry (or the default entry 0, no `cidr`): no pod, no node, the classes of its ipBlock peers and networks. */
  region(entry: number, ipPeers: readonly number[], cidr: CIDR | undefined): void {
    const f = this.fields;
    f.fill(0);
    const cls = this.classify(undefined, ipPeers);
    this.setClasses(f, cls);
    f.set(this.tiers.regionFields(cidr), FIELD.tierEgressRow);
    this.write(entry, f, cls);
  }

  /** The four class fields: rows as offsets after the single group map (group 0), columns as they are. */
  private setClasses(f: Uint32Array, cls: readonly number[]): void {
    const caps = this.master.caps;
    f[FIELD.egressRow] = liveRowOffset(cls[0]!, caps.egressCols);
    f[FIELD.ingressRow] = liveRowOffset(cls[1]!, caps.ingressCols);
    f[FIELD.egressCol] = cls[2]!;
    f[FIELD.ingressCol] = cls[3]!;
  }

  /** A freed entry: zeros, and no classes held. */
  clear(entry: number): void {
    this.write(entry, EMPTY);
  }

  /** [egress local, ingress local, egress peer, ingress peer] of an identity (or none) with ipBlock peers. */
  private classify(identity: Identity | undefined, ipPeers: readonly number[]): readonly number[] {
    const cached = identity?.classCache.get(ipPeers);
    if (cached) return cached;
    const { local, peer } = entryClassKeys(identity, ipPeers, (p) => this.peers[p]!.direction);
    const c = this.classes;
    const out = [c.egress.local(local.egress), c.ingress.local(local.ingress), c.egress.peer(peer.egress), c.ingress.peer(peer.ingress)];
    identity?.classCache.set(ipPeers, out);
    return out;
  }

  private countRefs(cls: readonly number[] | undefined, by: 1 | -1): void {
    if (!cls) return;
    const c = this.classes;
    c.egress.refLocal(cls[0]!, by);
    c.ingress.refLocal(cls[1]!, by);
    c.egress.refPeer(cls[2]!, by);
    c.ingress.refPeer(cls[3]!, by);
  }

  /**
   * Writes entry `e` only if its words change: an entry marked stale whose classes stay (an
   * address inside a new ipBlock that changes nothing for it, a subject whose new policy adds
   * nothing) leaves its page clean, so the next publish does not copy it.
   */
  private write(e: number, fields: ArrayLike<number>, classes?: readonly number[]): void {
    const o = e * ENTRY_STRIDE;
    const next = this.packed;
    writeEntry(next, 0, fields); // throws CapacityError before any change
    const entries = this.master.views.entries;
    let same = true;
    for (let i = 0; i < ENTRY_STRIDE; i++) if (entries[o + i] !== next[i]) same = false;
    const was = this.entryClasses[e];
    if (was !== classes) {
      this.countRefs(was, -1);
      this.entryClasses[e] = classes;
      this.countRefs(classes, 1);
    }
    if (same) return;
    entries.set(next, o);
    this.master.touch('entries', o, o + ENTRY_STRIDE);
  }
}
