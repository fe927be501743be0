/**
 * Port classes and port sets that grow in place. A new boundary splits one class in two;
 * every port set holding the old class then holds both halves, so every set keeps meaning
 * exactly the ports it meant, and cells that point at it stay right without being touched.
 */
import { PROTOCOL_SLOTS } from '../ports.js';
import { resolvePort } from '../identities.js';
import type { RuleInfo } from '../rule-table.js';
import type { NamedPorts } from '../pod-identity.js';
import { PortSetTable } from '../matrix.js';
import type { MasterImage } from './master.js';
import { CapacityError, LIMITS } from '../../model/limits.js';

/** Ports `[lo, hi]` of one protocol slot (PROTOCOL_SLOTS). */
export type PortRange = readonly [slot: number, lo: number, hi: number];

export class LivePorts {
  /** (slot << 16 | port) → class, mirrored into the image's portMap. */
  readonly map = new Uint16Array(3 * 65536);
  count = 4; // class 0: other protocols; 1, 2, 3: all of TCP, UDP, SCTP until cut
  private readonly table: PortSetTable;
  private readonly ruleSets = new Map<number, number>();
  private readonly profiles = new Map<string, number>();
  /** Per protocol slot, the ports where a class starts, ascending (split classes are not numbered in port order). */
  private readonly starts: number[][] = [[0], [0], [0]];

  constructor(private readonly master: MasterImage) {
    for (let slot = 0; slot < 3; slot++) this.map.fill(slot + 1, slot << 16, (slot + 1) << 16);
    master.views.portMap.set(this.map);
    master.touch('portMap', 0, this.map.length);
    master.ensure({ portClasses: this.count });
    // Set 0 (empty) is interned while the table is made: the image's zeros already hold it.
    this.table = new PortSetTable(master.portSetWords, (id) => void (this.table && this.write(id)));
  }

  get setCount(): number {
    return this.table.sets.length;
  }

  /** Keeps the bitsets as wide as the image's port-set rows. */
  private fit(): void {
    this.master.ensure({ portClasses: this.count });
    this.table.widen(this.master.portSetWords);
  }

  /** A new or changed set goes into the image (the table calls this). */
  private write(id: number): void {
    this.master.ensure({ portSets: id + 1 });
    const w = this.master.portSetWords;
    this.master.views.portSets.set(this.table.sets[id]!, id * w);
    this.master.touch('portSets', id * w, (id + 1) * w);
  }

  /** Whether a class already starts at `port` of the protocol slot (a cut there adds none). */
  isCut(slot: number, port: number): boolean {
    const at = (slot << 16) | port;
    return this.map[at - 1] !== this.map[at];
  }

  /** A range [a, b] of a protocol slot starts a class at a and at b + 1. */
  cut(slot: number, port: number): void {
    if (port <= 0 || port > 65535) return;
    const at = (slot << 16) | port;
    const c = this.map[at]!;
    if (this.map[at - 1] !== c) return; // already a boundary
    if (this.count >= LIMITS.portClasses) throw new CapacityError('portClasses', this.count + 1);
    const fresh = this.count++;
    this.fit();
    const starts = this.starts[slot]!;
    const k = upperBound(starts, port);
    starts.splice(k, 0, port);
    const end = (slot << 16) + (k + 1 < starts.length ? starts[k + 1]! : 65536);
    this.map.fill(fresh, at, end);
    this.master.views.portMap.fill(fresh, at, end);
    this.master.touch('portMap', at, end);
    this.table.copyClass(c, fresh);
  }

  union(a: number, b: number): number {
    return this.table.union(a, b);
  }

  /** The port set a rule admits when its named ports resolve on `owner` (profile `ownerKey`). */
  ruleSet(info: RuleInfo, owner: NamedPorts | undefined, ownerKey: string): number {
    let profile = this.profiles.get(ownerKey);
    if (profile === undefined) this.profiles.set(ownerKey, (profile = this.profiles.size));
    const memo = info.id * 65536 + profile;
    let id = this.ruleSets.get(memo);
    if (id !== undefined) return id;
    const ranges: PortRange[] = [];
    for (const p of info.rule.ports) {
      const slot = PROTOCOL_SLOTS[p.protocol];
      const r = resolvePort(p, owner);
      for (const [lo, hi] of 'all' in r ? [[0, 65535]] : r.ranges) ranges.push([slot, lo!, hi!]);
    }
    this.ruleSets.set(memo, (id = this.rangeSet(info.rule.ports.length === 0 ? 'all' : ranges)));
    return id;
  }

  /** The port set of every class in these ranges (protocol slot, first, last port), or of all classes. */
  rangeSet(ranges: 'all' | readonly PortRange[]): number {
    const bits = new Uint32Array(this.master.portSetWords);
    const set = (c: number): void => void (bits[c >>> 5]! |= 1 << (c & 31));
    if (ranges === 'all') for (let c = 0; c < this.count; c++) set(c);
    else {
      for (const [slot, lo, hi] of ranges) {
        const starts = this.starts[slot]!;
        set(this.map[(slot << 16) | lo]!);
        for (let k = upperBound(starts, lo); k < starts.length && starts[k]! <= hi; k++) set(this.map[(slot << 16) | starts[k]!]!);
      }
    }
    return this.table.intern(bits);
  }

  /** A port set's bits (the table's own array: read, never change it). */
  bits(id: number): Uint32Array {
    return this.table.sets[id]!;
  }

  /** The id of a set given as bits (as wide as the image's port-set rows). */
  intern(bits: Uint32Array): number {
    return this.table.intern(bits);
  }
}

/** The first index whose value is greater than `x` (the array ascending). */
function upperBound(a: readonly number[], x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
