/**
 * Port classes: every (protocol, port) the flows can carry falls into one elementary
 * interval between rule boundaries, and every interval behaves the same under every rule.
 * Class 0 ("other") is every non-TCP/UDP/SCTP protocol and L4 flows without a port: only
 * port-less rules match it. A port set is a bitset over classes.
 */
import type { PolicyProtocol, Rule } from '../model/types.js';
import { CapacityError, LIMITS } from '../model/limits.js';
import type { NamedPorts } from './pod-identity.js';

export const PROTOCOL_SLOTS: Readonly<Record<PolicyProtocol, number>> = { TCP: 0, UDP: 1, SCTP: 2 };
export const OTHER_CLASS = 0;

export interface PortClasses {
  /** Number of classes, including OTHER_CLASS. */
  readonly count: number;
  /** Words per port-set bitset. */
  readonly words: number;
  /** 3 × 65536 entries: (slot << 16 | port) → class. */
  readonly map: Uint16Array;
  /** First and one-past-last class of each protocol slot. */
  readonly protocolRange: readonly (readonly [number, number])[];
}

/** Where a port class starts: `cut(slot, port)`. */
export type PortCut = (slot: number, port: number) => void;

/** A rule's numeric ports and ranges: each [a, b] starts a class at a and another at b + 1. */
export function rulePortCuts(rule: Rule, cut: PortCut): void {
  for (const p of rule.ports) {
    if (typeof p.port !== 'number') continue;
    const slot = PROTOCOL_SLOTS[p.protocol];
    cut(slot, p.port);
    cut(slot, (p.endPort ?? p.port) + 1);
  }
}

/** Named ports become numbers per identity; each number is its own class. */
export function namedPortCuts(named: NamedPorts, cut: PortCut): void {
  for (const [key, numbers] of named) {
    const slot = PROTOCOL_SLOTS[key.slice(key.lastIndexOf('/') + 1) as PolicyProtocol];
    for (const n of numbers) {
      cut(slot, n);
      cut(slot, n + 1);
    }
  }
}

/** `cuts[slot]`: ports where a new interval starts (each range [a, b] cuts at a and b + 1). */
export function buildPortClasses(cuts: readonly Set<number>[]): PortClasses {
  const map = new Uint16Array(3 * 65536);
  const protocolRange: [number, number][] = [];
  let next = 1;
  for (let slot = 0; slot < 3; slot++) {
    const starts = [...cuts[slot]!].filter((p) => p > 0 && p <= 65535).sort((a, b) => a - b);
    const first = next;
    let cls = next++;
    let k = 0;
    for (let port = 0; port < 65536; port++) {
      if (k < starts.length && starts[k] === port) {
        cls = next++;
        k++;
      }
      map[(slot << 16) | port] = cls;
    }
    protocolRange.push([first, next]);
  }
  if (next > LIMITS.portClasses) throw new CapacityError('portClasses', next);
  return { count: next, words: Math.ceil(next / 32), map, protocolRange };
}

export class PortSetBuilder {
  readonly bits: Uint32Array;
  constructor(readonly classes: PortClasses) {
    this.bits = new Uint32Array(classes.words);
  }
  setAll(): void {
    for (let c = 0; c < this.classes.count; c++) this.set(c);
  }
  set(c: number): void {
    this.bits[c >>> 5]! |= 1 << (c & 31);
  }
  /** Every class of the protocol slot whose ports lie in [lo, hi]. */
  setRange(slot: number, lo: number, hi: number): void {
    const a = this.classes.map[(slot << 16) | lo]!;
    const b = this.classes.map[(slot << 16) | hi]!;
    for (let c = a; c <= b; c++) this.set(c);
  }
  or(other: Uint32Array): void {
    for (let i = 0; i < this.bits.length; i++) this.bits[i]! |= other[i]!;
  }
  key(): string {
    return this.bits.join(',');
  }
}

export const hasClass = (bits: Uint32Array, c: number): boolean => ((bits[c >>> 5]! >>> (c & 31)) & 1) === 1;
