/**
 * Local and peer classes with their matrix rows and columns, kept in place. A class is a
 * value: its key (policy ids, or peer ids, plus a named-port profile) fixes every cell of
 * its row or column, because a policy id never changes meaning (a changed policy gets a
 * new id). So a new class computes its row or column once, existing cells are never
 * revisited, and a class nobody uses any more is simply garbage until the next rebuild.
 * Rows are local classes and columns peer classes one to one (no merging: merging would
 * make a new row split old columns).
 */
import type { Direction } from '../../model/types.js';
import { classKeyText, type ClassKey } from '../entry-classes.js';
import type { RuleInfo } from '../rule-table.js';
import type { NamedPorts } from '../pod-identity.js';
import type { MasterImage } from './master.js';
import { pushTo } from '../multimap.js';
import type { LivePorts } from './ports.js';

export interface LocalClass {
  readonly policies: readonly number[];
  readonly namedPorts?: NamedPorts;
  readonly profileKey: string;
  refs: number;
}

export interface PeerClass {
  readonly peers: ReadonlySet<number>;
  readonly namedPorts?: NamedPorts;
  readonly profileKey: string;
  refs: number;
}

/** What the matrices need from the policy tables. */
export interface RuleSource {
  /** Rule ids of a policy id in a direction. */
  rulesOf(policy: number, direction: Direction): readonly number[];
  rule(id: number): RuleInfo;
  /** Rules (of any policy, live or not) with no peers: they match every peer class. */
  openRules(direction: Direction): readonly number[];
  /** Rules naming this peer id. */
  rulesNaming(peer: number): readonly number[];
}

const NONE: number[] = [];

export class DirectionClasses {
  readonly locals: LocalClass[] = [{ policies: [], profileKey: '', refs: 0 }]; // 0: not isolated
  readonly peerClasses: PeerClass[] = [];
  private readonly localIds = new Map<string, number>([['', 0]]);
  private readonly peerIds = new Map<string, number>();
  /** Peer id → the peer classes containing it. */
  private readonly byPeer = new Map<number, number[]>();

  constructor(
    readonly direction: Direction,
    private readonly master: MasterImage,
    private readonly ports: LivePorts,
    private readonly source: RuleSource,
  ) {}

  private get rowsCap(): number {
    return this.direction === 'egress' ? this.master.caps.egressRows : this.master.caps.ingressRows;
  }

  private get stride(): number {
    return this.direction === 'egress' ? this.master.caps.egressCols : this.master.caps.ingressCols;
  }

  /** The rows, after the one group map (the identity: a live image has a single group, IMAGE.md). */
  private get cells(): Uint16Array {
    return (this.direction === 'egress' ? this.master.views.egressMatrix : this.master.views.ingressMatrix).subarray(this.stride);
  }

  private ensure(rows: number, cols: number): void {
    if (rows > this.rowsCap || cols > this.stride) {
      this.master.ensure(this.direction === 'egress' ? { egressRows: rows, egressCols: cols } : { ingressRows: rows, ingressCols: cols });
    }
  }

  /** The local class of these policies (empty: 0, not isolated); computes its row when new. */
  local({ ids: policies, namedPorts, profileKey }: ClassKey): number {
    if (policies.length === 0) return 0;
    const key = classKeyText(policies, profileKey);
    let id = this.localIds.get(key);
    if (id !== undefined) return id;
    id = this.locals.length;
    this.ensure(id + 1, this.peerClasses.length);
    this.locals.push({ policies: [...policies], profileKey, refs: 0, ...(namedPorts && { namedPorts }) });
    this.unused++;
    this.localIds.set(key, id);
    for (const pi of policies) pushTo(this.localsByPolicy, pi, id);
    this.fillRow(id);
    return id;
  }

  /** The peer class of these peer ids (ascending, this direction only); computes its column when new. */
  peer({ ids: peers, namedPorts, profileKey }: ClassKey): number {
    const key = classKeyText(peers, profileKey);
    let id = this.peerIds.get(key);
    if (id !== undefined) return id;
    id = this.peerClasses.length;
    this.ensure(this.locals.length, id + 1);
    this.peerClasses.push({ peers: new Set(peers), profileKey, refs: 0, ...(namedPorts && { namedPorts }) });
    this.unused++;
    this.peerIds.set(key, id);
    for (const p of peers) pushTo(this.byPeer, p, id);
    this.fillColumn(id);
    return id;
  }

  /** Named ports resolve on the destination: the local pod for ingress, the peer for egress. */
  private ruleSet(info: RuleInfo, local: LocalClass, peer: PeerClass): number {
    return this.direction === 'ingress'
      ? this.ports.ruleSet(info, local.namedPorts, local.profileKey)
      : this.ports.ruleSet(info, peer.namedPorts, peer.profileKey);
  }

  /**
   * A new row. When the class is an existing one plus its newest policy (the common case of
   * a policy being added: ids grow, so the new id comes last), the row is that class's row
   * united with the policy's own: one union per column instead of one per rule and target.
   */
  private fillRow(l: number): void {
    const local = this.locals[l]!;
    const stride = this.stride;
    const n = this.peerClasses.length;
    const ps = local.policies;
    const base = ps.length > 1 ? this.localIds.get(classKeyText(ps.slice(0, -1), local.profileKey)) : undefined;
    // Written in place: a new row is all zeros (rows are never reused), and no scratch row is
    // allocated (two per new class were most of a policy add's young garbage).
    const cells = this.cells;
    const row = cells.subarray(l * stride, l * stride + n);
    if (base !== undefined) {
      cells.copyWithin(l * stride, base * stride, base * stride + n);
      const own = this.policyRow(ps[ps.length - 1]!, local);
      for (let p = 0; p < n; p++) if (own[p] !== 0) row[p] = this.ports.union(row[p]!, own[p]!);
    } else {
      for (const pi of ps) this.addPolicy(row, pi, local);
    }
    this.master.touch(this.direction === 'egress' ? 'egressMatrix' : 'ingressMatrix', stride + l * stride, stride + l * stride + n);
  }

  /**
   * Port sets one policy's rules give each peer class, for a local class's named ports: kept
   * for the newest policy only (the new classes of one policy add all end with it), by profile.
   */
  private readonly policyRows = new Map<string, Uint16Array>();
  private policyRowsOf = -1;

  private policyRow(pi: number, local: LocalClass): Uint16Array {
    if (pi !== this.policyRowsOf) {
      this.policyRows.clear();
      this.policyRowsOf = pi;
    }
    let row = this.policyRows.get(local.profileKey);
    if (!row || row.length !== this.peerClasses.length) {
      row = new Uint16Array(this.peerClasses.length);
      this.addPolicy(row, pi, local);
      this.policyRows.set(local.profileKey, row);
    }
    return row;
  }

  /** Unites into `row` what policy `pi`'s rules of this direction admit per peer class. */
  private addPolicy(row: Uint16Array, pi: number, local: LocalClass): void {
    for (const ruleId of this.source.rulesOf(pi, this.direction)) {
      const info = this.source.rule(ruleId);
      const ids = info.peerIds;
      if (ids.length === 0) {
        for (let p = 0; p < row.length; p++) this.unite(row, p, info, local);
        continue;
      }
      // A class listed under two of the rule's peers is united twice: the same set, no change.
      for (const id of ids) for (const p of this.byPeer.get(id) ?? NONE) this.unite(row, p, info, local);
    }
  }

  private unite(row: Uint16Array, p: number, info: RuleInfo, local: LocalClass): void {
    row[p] = this.ports.union(row[p]!, this.ruleSet(info, local, this.peerClasses[p]!));
  }

  /**
   * A new column. Only rules that can match the peer class matter (those naming one of its
   * peers, and those with no peers), and only local classes holding their policies: found
   * through indexes instead of walking every local class.
   */
  private fillColumn(p: number): void {
    const peer = this.peerClasses[p]!;
    const stride = this.stride;
    const section = this.direction === 'egress' ? 'egressMatrix' : 'ingressMatrix';
    const rules = new Set(this.source.openRules(this.direction));
    for (const id of peer.peers) for (const r of this.source.rulesNaming(id)) rules.add(r);
    const cells = new Map<number, number>();
    for (const ruleId of rules) {
      const info = this.source.rule(ruleId);
      for (const l of this.localsByPolicy.get(info.policy) ?? NONE) {
        cells.set(l, this.ports.union(cells.get(l) ?? 0, this.ruleSet(info, this.locals[l]!, peer)));
      }
    }
    // Cells start at 0 (the empty set): only non-empty ones need writing.
    const matrix = this.cells;
    // forEach: no [key, value] pair per cell, as for-of over a Map makes.
    cells.forEach((cell, l) => {
      if (cell === 0) return;
      matrix[l * stride + p] = cell;
      this.master.touch(section, stride + l * stride + p, stride + l * stride + p + 1);
    });
  }

  /** Policy id → the local classes holding it. */
  private readonly localsByPolicy = new Map<number, number[]>();

  /** Classes that no entry uses (garbage until the next rebuild), kept as references change. */
  unused = 0;

  /** An entry starts (+1) or stops (-1) using a local class. */
  refLocal(id: number, by: 1 | -1): void {
    if (id !== 0) this.count(this.locals[id]!, by);
  }

  refPeer(id: number, by: 1 | -1): void {
    this.count(this.peerClasses[id]!, by);
  }

  private count(c: { refs: number }, by: 1 | -1): void {
    if (c.refs === 0) this.unused--;
    c.refs += by;
    if (c.refs === 0) this.unused++;
  }
}
