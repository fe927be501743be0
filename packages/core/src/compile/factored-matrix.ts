/**
 * A NetworkPolicy decision matrix factored by namespace. A local class (the policies isolating a
 * pod) only ever distinguishes remote addresses by the peers of its own policies, and those
 * policies all live in the subject pod's namespace. So each namespace (a group) gets its own
 * column space: a group map turns a global peer class into the group's local column, and the
 * group's rows are only as wide as the distinctions its peers make. The global matrix grew with
 * (local classes × peer classes), the square of the policy count; this grows with the policies
 * (rows × the few columns a namespace's peers tell apart) plus one map per namespace.
 *
 * A cell is read as `cells[row + cells[map + col]]`: `row` and `map` from the local pod's
 * entry, `col` from the remote address's (IMAGE.md, "Matrices").
 */
import type { Direction } from '../model/types.js';
import { CapacityError, LIMITS } from '../model/limits.js';
import type { PolicyTables } from './identities.js';
import type { PortSetTable } from './matrix.js';
import type { NamedPorts } from './pod-identity.js';

/** What the builder needs of a local class: the policies isolating its pods. */
export interface FactoredLocal {
  readonly policies: readonly number[];
  readonly namedPorts?: NamedPorts;
  readonly profileKey: string;
}

/** What the builder needs of a peer class: the peers a remote address matches. */
export interface FactoredPeer {
  readonly peers: ReadonlySet<number>;
  readonly namedPorts?: NamedPorts;
  readonly profileKey: string;
}

export interface FactoredMatrix {
  /** The group maps (groups × cols), then the rows of every group. */
  readonly cells: Uint16Array;
  readonly groups: number;
  /** Global columns (merged peer classes). */
  readonly cols: number;
  /** Stored rows, all groups together. */
  readonly rows: number;
  /** Local class → offset of its row in `cells` (0 for local class 0: not isolated). */
  readonly rowOf: Uint32Array;
  /** Local class → its group, whose map starts at group × cols in `cells` (0 for local class 0). */
  readonly groupOf: Uint32Array;
  /** Peer class → global column. */
  readonly colOf: Uint32Array;
}

/** The port set a rule admits when named ports resolve on `owner` (profile `ownerKey`). */
export type RuleSet = (ruleId: number, owner: NamedPorts | undefined, ownerKey: string) => number;

interface LocalColumn {
  readonly peers: readonly number[];
  readonly namedPorts?: NamedPorts;
  readonly profileKey: string;
}

/**
 * Builds the factored matrix of one direction. Named ports resolve on the destination: for
 * ingress the local pod (the row's profile), for egress the remote one (so egress local
 * columns also carry the peer's named-port profile).
 */
export function buildFactoredMatrix(
  direction: Direction,
  tables: PolicyTables,
  locals: readonly FactoredLocal[],
  peerClasses: readonly FactoredPeer[],
  ruleSet: RuleSet,
  portSets: PortSetTable,
): FactoredMatrix {
  const egress = direction === 'egress';
  // Groups: the namespace of a local class's policies (a NetworkPolicy selects pods of its own namespace).
  const groupIds = new Map<string, number>();
  const groupOf = new Int32Array(locals.length).fill(-1);
  for (let l = 1; l < locals.length; l++) {
    const ns = tables.policies[locals[l]!.policies[0]!]!.namespace;
    let g = groupIds.get(ns);
    if (g === undefined) groupIds.set(ns, (g = groupIds.size));
    groupOf[l] = g;
  }
  const groups = Math.max(1, groupIds.size);
  // The peers each group's rules name, and for each peer the groups naming it.
  const groupsOfPeer: (number[] | undefined)[] = [];
  const seenPolicy = new Set<number>();
  for (let l = 1; l < locals.length; l++) {
    const g = groupOf[l]!;
    for (const pi of locals[l]!.policies) {
      // A policy lives in one namespace, so in one group: its peers are collected once.
      if (seenPolicy.has(pi)) continue;
      seenPolicy.add(pi);
      for (const ruleId of tables.rulesOf[pi]![direction]) {
        for (const p of tables.rules[ruleId]!.peerIds) {
          const list = groupsOfPeer[p];
          if (!list) groupsOfPeer[p] = [g];
          else if (!list.includes(g)) list.push(g);
        }
      }
    }
  }

  // Local columns: a global peer class seen through a group's peers (and, for egress, its named-port profile).
  const peerCount = peerClasses.length;
  const localCols: LocalColumn[][] = Array.from({ length: groups }, () => []);
  const localIds: Map<string, number>[] = Array.from({ length: groups }, () => new Map());
  const localOf = (g: number, peers: readonly number[], peer: FactoredPeer): number => {
    const profile = egress ? peer.profileKey : '';
    const key = `${peers.join(',')}|${profile}`;
    const ids = localIds[g]!;
    let id = ids.get(key);
    if (id === undefined) {
      id = localCols[g]!.length;
      ids.set(key, id);
      localCols[g]!.push({ peers, profileKey: profile, ...(egress && peer.namedPorts && { namedPorts: peer.namedPorts }) });
    }
    return id;
  };
  const NONE: readonly number[] = [];
  // Most (group, peer class) pairs share no peer: the group's "matches none of my peers"
  // column for the class's named-port profile (egress; ingress has one profile). Those are
  // filled from a table first, then the pairs that share peers are keyed one by one.
  const profiles = new Map<string, number>();
  const profileOf = new Uint32Array(peerCount);
  /** A peer class of each profile, the first: what the profile's "none" column is made from. */
  const profileClass: number[] = [];
  for (let c = 0; c < peerCount; c++) {
    const key = egress ? peerClasses[c]!.profileKey : '';
    let id = profiles.get(key);
    if (id === undefined) {
      profiles.set(key, (id = profiles.size));
      profileClass.push(c);
    }
    profileOf[c] = id;
  }
  // Group by group (the map is row-major): a group's "none" columns in the order their
  // profiles first appear among the peer classes, as a column-by-column fill numbers them.
  // u16 as stored: a local column past 0xffff fails the groupColumns check below before any cell is written.
  const map = new Uint16Array(groups * peerCount);
  const defaults = new Uint32Array(profiles.size);
  for (let g = 0; g < groups; g++) {
    for (let pi = 0; pi < profileClass.length; pi++) defaults[pi] = localOf(g, NONE, peerClasses[profileClass[pi]!]!);
    const o = g * peerCount;
    if (profileClass.length === 1) map.fill(defaults[0]!, o, o + peerCount);
    else for (let c = 0; c < peerCount; c++) map[o + c] = defaults[profileOf[c]!]!;
  }
  // The pairs that share peers. Most share one peer (a namespaceSelector peer that every
  // namespace's policies name, and the class of the pods it selects): those are found by
  // number, (peer, group, profile), without building the column's key text.
  const single = new Map<number, number>();
  const stamp = new Int32Array(groups).fill(-1);
  const firstPeer = new Int32Array(groups);
  const more: (number[] | undefined)[] = new Array(groups);
  const touched: number[] = [];
  for (let c = 0; c < peerCount; c++) {
    const pc = peerClasses[c]!;
    touched.length = 0;
    for (const p of pc.peers) {
      for (const g of groupsOfPeer[p] ?? NONE) {
        if (stamp[g] !== c) {
          stamp[g] = c;
          firstPeer[g] = p;
          more[g] = undefined;
          touched.push(g);
        } else (more[g] ??= [firstPeer[g]!]).push(p);
      }
    }
    for (const g of touched) {
      const peers = more[g];
      if (peers) {
        // Ascending already when the class lists its peers so (compile()'s do): no sort.
        if (!ascending(peers)) peers.sort((a, b) => a - b);
        map[g * peerCount + c] = localOf(g, peers, pc);
        continue;
      }
      const p = firstPeer[g]!;
      const key = (p * groups + g) * profiles.size + profileOf[c]!;
      let id = single.get(key);
      if (id === undefined) single.set(key, (id = localOf(g, [p], pc)));
      map[g * peerCount + c] = id;
    }
  }

  // Global columns with the same local column in every group behave alike: merged.
  const hash = new Uint32Array(peerCount);
  for (let g = 0; g < groups; g++) {
    const o = g * peerCount;
    for (let c = 0; c < peerCount; c++) hash[c] = (Math.imul(hash[c]! ^ map[o + c]!, 0x9e3779b1) + g) >>> 0;
  }
  const buckets = new Map<number, number[]>();
  const colOf = new Uint32Array(peerCount);
  const kept: number[] = [];
  const sameColumn = (a: number, b: number): boolean => {
    for (let g = 0; g < groups; g++) if (map[g * peerCount + a] !== map[g * peerCount + b]) return false;
    return true;
  };
  for (let c = 0; c < peerCount; c++) {
    const bucket = buckets.get(hash[c]!) ?? [];
    const match = bucket.find((k) => sameColumn(kept[k]!, c));
    if (match !== undefined) colOf[c] = match;
    else {
      colOf[c] = kept.length;
      bucket.push(kept.length);
      kept.push(c);
      buckets.set(hash[c]!, bucket);
    }
  }
  const cols = kept.length;

  // Rows per group, deduplicated within the group, laid out after the maps.
  const rowOf = new Uint32Array(locals.length);
  const groupOfLocal = new Uint32Array(locals.length);
  const chunks: Uint16Array[] = [];
  let offset = groups * cols;
  let rows = 0;
  const rowIds: Map<string, number>[] = Array.from({ length: groups }, () => new Map());
  const byPeer: (Map<number, number[]> | undefined)[] = new Array(groups);
  const localPeers = (g: number): Map<number, number[]> => {
    let m = byPeer[g];
    if (!m) {
      m = new Map();
      localCols[g]!.forEach((col, j) => {
        for (const p of col.peers) {
          const list = m!.get(p);
          if (list) list.push(j);
          else m!.set(p, [j]);
        }
      });
      byPeer[g] = m;
    }
    return m;
  };
  // Map values are u16 local columns; offsets and the section length are u32 element counts.
  const widest = Math.max(...localCols.map((c) => c.length));
  if (widest > LIMITS.groupColumns) throw new CapacityError('groupColumns', widest);
  // One scratch row, copied only when new; the columns a rule reaches, deduplicated by stamp,
  // in the order a rule's peers list them (unions intern new port sets in call order).
  const scratch = new Uint16Array(widest);
  const reached = new Int32Array(widest);
  const targets: number[] = [];
  let visit = 0;
  for (let l = 1; l < locals.length; l++) {
    const g = groupOf[l]!;
    const local = locals[l]!;
    const columns = localCols[g]!;
    const width = columns.length;
    const row = scratch.subarray(0, width);
    row.fill(0);
    const peersOf = localPeers(g);
    for (const pi of local.policies) {
      for (const ruleId of tables.rulesOf[pi]![direction]) {
        const fixed = egress ? -1 : ruleSet(ruleId, local.namedPorts, local.profileKey);
        const ids = tables.rules[ruleId]!.peerIds;
        targets.length = 0;
        if (ids.length === 0) for (let j = 0; j < width; j++) targets.push(j);
        else {
          visit++;
          for (const id of ids) {
            for (const j of peersOf.get(id) ?? NONE) {
              if (reached[j] === visit) continue;
              reached[j] = visit;
              targets.push(j);
            }
          }
        }
        for (const j of targets) {
          const col = columns[j]!;
          row[j] = portSets.union(row[j]!, fixed >= 0 ? fixed : ruleSet(ruleId, col.namedPorts, col.profileKey));
        }
      }
    }
    const key = row.join(',');
    let at = rowIds[g]!.get(key);
    if (at === undefined) {
      at = offset;
      rowIds[g]!.set(key, at);
      chunks.push(row.slice());
      offset += width;
      rows++;
    }
    rowOf[l] = at;
    groupOfLocal[l] = g;
  }
  if (offset > LIMITS.imageBytes / 2) throw new CapacityError('imageBytes', offset * 2);
  const cells = new Uint16Array(Math.max(offset, groups * cols));
  for (let g = 0; g < groups; g++) {
    for (let k = 0; k < cols; k++) cells[g * cols + k] = map[g * peerCount + kept[k]!]!;
  }
  let at = groups * cols;
  for (const chunk of chunks) {
    cells.set(chunk, at);
    at += chunk.length;
  }
  return { cells, groups, cols, rows, rowOf, groupOf: groupOfLocal, colOf };
}

function ascending(xs: readonly number[]): boolean {
  for (let i = 1; i < xs.length; i++) if (xs[i - 1]! > xs[i]!) return false;
  return true;
}
