/**
 * What a NetworkPolicy rule's `ports` allow towards one destination, as a ConnectionSet (port
 * ranges per protocol, and whether protocols without ports are allowed), with the union and
 * containment the redundancy checks compare rules by. Named ports resolve on the destination
 * pod, as the evaluators resolve them (init container ports included, the default).
 */
import type { ConnectionSet, PortRange } from '../../analysis/connection-set.js';
import { namedPortNumbers } from '../../model/rule-miss.js';
import type { Pod, PolicyProtocol, Rule } from '../../model/types.js';

const SLOT: Readonly<Record<PolicyProtocol, 'tcp' | 'udp' | 'sctp'>> = { TCP: 'tcp', UDP: 'udp', SCTP: 'sctp' };
const SLOTS = ['tcp', 'udp', 'sctp'] as const;
const FULL: readonly PortRange[] = [{ start: 1, end: 65535 }];

/** Every port of every protocol, and every protocol without ports: a rule with no `ports`. */
export const EVERY_CONNECTION: ConnectionSet = Object.freeze({ tcp: FULL, udp: FULL, sctp: FULL, otherProtocols: true });

/** Sorted, merged (overlapping or adjacent joined) ranges. */
function canonicalRanges(ranges: PortRange[]): PortRange[] {
  ranges.sort((a, b) => a.start - b.start);
  const out: PortRange[] = [];
  for (const r of ranges) {
    const last = out[out.length - 1];
    if (last && r.start <= last.end + 1) out[out.length - 1] = { start: last.start, end: Math.max(last.end, r.end) };
    else out.push(r);
  }
  return out;
}

/**
 * The connections `rule` allows towards `dst` (the destination pod; undefined: an address that
 * is no pod's, where a named port resolves to nothing).
 */
export function rulePorts(rule: Rule, dst: Pod | undefined): ConnectionSet {
  if (rule.ports.length === 0) return EVERY_CONNECTION;
  const ranges: Record<'tcp' | 'udp' | 'sctp', PortRange[]> = { tcp: [], udp: [], sctp: [] };
  for (const p of rule.ports) {
    const slot = ranges[SLOT[p.protocol]];
    if (p.port === undefined) slot.push(FULL[0]!);
    else if (typeof p.port === 'number') slot.push({ start: p.port, end: p.endPort ?? p.port });
    else for (const n of namedPortNumbers(dst, p.port, p.protocol, true) ?? []) slot.push({ start: n, end: n });
  }
  return { tcp: canonicalRanges(ranges.tcp), udp: canonicalRanges(ranges.udp), sctp: canonicalRanges(ranges.sctp), otherProtocols: false };
}

/** Whether the rule has a named port (its grant then depends on the destination pod's container ports). */
export const hasNamedPort = (rule: Rule): boolean => rule.ports.some((p) => typeof p.port === 'string');

/** What either set allows. */
export function unionConnections(a: ConnectionSet, b: ConnectionSet): ConnectionSet {
  return {
    tcp: canonicalRanges([...a.tcp, ...b.tcp]),
    udp: canonicalRanges([...a.udp, ...b.udp]),
    sctp: canonicalRanges([...a.sctp, ...b.sctp]),
    otherProtocols: a.otherProtocols || b.otherProtocols,
  };
}

/** Every range of `inner` lies inside one range of `outer` (both canonical: merged ranges). */
function rangesWithin(inner: readonly PortRange[], outer: readonly PortRange[]): boolean {
  let j = 0;
  for (const r of inner) {
    while (j < outer.length && outer[j]!.end < r.start) j++;
    if (j === outer.length || outer[j]!.start > r.start || outer[j]!.end < r.end) return false;
  }
  return true;
}

/** Whether every connection of `inner` is in `outer`. */
export function connectionsWithin(inner: ConnectionSet, outer: ConnectionSet): boolean {
  return SLOTS.every((s) => rangesWithin(inner[s], outer[s])) && (!inner.otherProtocols || outer.otherProtocols);
}
