/**
 * Name classes: destination names (Flow.dstName) grouped by which `domainNames` peers match
 * them, so the image's egress tier matrix needs one column per class instead of one per name.
 * Class 0 is "no domainNames peer matches" (a flow without a name is class 0).
 *
 * Every name falls in a class known in advance: a name matches a set of patterns that some
 * representative also matches. An exact pattern stands for itself; a wildcard `*.s` for a
 * name one label longer than `s` that no exact pattern can equal (its label holds a NUL). The
 * wildcards a name matches are the label suffixes of its longest matching one, which is what
 * that wildcard's representative matches too.
 */
import { domainMatches } from '../model/cluster-match.js';

/** A domainNames peer: its id (the compiler's) and its names as written. */
export interface NamePeer {
  readonly id: number;
  readonly names: readonly string[];
}

/** Names' memo: enough for a burst of distinct names, bounded whatever the input. */
const MEMO_LIMIT = 4096;

/** The name classes of a set of domainNames peers, and the class of any name. */
export class NameClasses {
  /** Per class, the peer ids matching its names, ascending (class 0: none). */
  readonly members: readonly (readonly number[])[];
  private readonly ids = new Map<string, number>();
  private readonly memo = new Map<string, number>();

  /**
   * The domainNames peers the classes were built from: all a saved image needs to rebuild the
   * same classes in another process (dataplane/saved-image.ts), since classes are numbered from
   * them alone.
   */
  readonly peers: readonly NamePeer[];

  /**
   * `saved`: the classes as an earlier `members` listed them for the same peers (a saved
   * image), taken as they are instead of derived again: loading then costs the size of the
   * list, not peers × names matches.
   */
  constructor(peers: readonly NamePeer[], saved?: readonly (readonly number[])[]) {
    this.peers = peers;
    if (saved) {
      saved.forEach((set, c) => this.ids.set(set.join(','), c));
      this.members = saved;
      return;
    }
    const members: number[][] = [[]];
    this.ids.set('', 0);
    const representatives = new Set<string>();
    for (const p of peers) {
      for (const name of p.names) {
        const n = name.toLowerCase().replace(/\.$/, '');
        representatives.add(n.startsWith('*.') ? `\u0000${n.slice(1)}` : n);
      }
    }
    for (const r of [...representatives].sort()) {
      const set = this.matching(r);
      const key = set.join(',');
      if (this.ids.has(key)) continue;
      this.ids.set(key, members.length);
      members.push(set);
    }
    this.members = members;
  }

  get count(): number {
    return this.members.length;
  }

  /** The class of a destination name (undefined: class 0). */
  classOf(name: string | undefined): number {
    if (name === undefined || this.peers.length === 0) return 0;
    let c = this.memo.get(name);
    if (c !== undefined) return c;
    // Found by construction (see above); a miss would be a bug, answered as "no name".
    c = this.ids.get(this.matching(name).join(',')) ?? 0;
    if (this.memo.size >= MEMO_LIMIT) this.memo.clear();
    this.memo.set(name, c);
    return c;
  }

  private matching(name: string): number[] {
    return this.peers
      .filter((p) => p.names.some((d) => domainMatches(d, name)))
      .map((p) => p.id)
      .sort((a, b) => a - b);
  }
}
