/**
 * The four classes of an image entry, before a compiler interns them: per direction, a local
 * class (the policies isolating the address's identity) and a peer class (the peers the address
 * matches). Named ports resolve on a connection's destination, so the destination's named-port
 * profile is part of its class: the subject's local class for ingress, the remote's peer class
 * for egress. compile() and the live compiler both take that rule, and the key text, from here.
 */
import type { Direction } from '../model/types.js';
import type { NamedPorts } from './pod-identity.js';

/** A class before interning: policy ids (local) or peer ids (peer), ascending, and the named ports resolving there. */
export interface ClassKey {
  readonly ids: readonly number[];
  readonly namedPorts: NamedPorts | undefined;
  readonly profileKey: string;
}

/** What an identity brings to its addresses' classes. */
export interface ClassedIdentity {
  readonly selectorPeers: readonly number[];
  readonly isolatedBy: Readonly<Record<Direction, readonly number[]>>;
  readonly namedPorts: NamedPorts;
  readonly profileKey: string;
}

/** Equal text, equal behaviour: a class is its ids and the profile its named ports resolve on. */
export const classKeyText = (ids: readonly number[], profileKey: string): string => `${ids.join(',')}|${profileKey}`;

const NOT_ISOLATED: ClassKey = { ids: [], namedPorts: undefined, profileKey: '' };

/** The classes of an address of `identity` (none: a region or a node's address) inside these ipBlock peers. */
export function entryClassKeys(
  identity: ClassedIdentity | undefined,
  ipPeers: readonly number[],
  directionOf: (peer: number) => Direction,
): { readonly local: Record<Direction, ClassKey>; readonly peer: Record<Direction, ClassKey> } {
  // Both lists are ascending and without repeats: only a merge of two non-empty ones needs sorting.
  const matched = !identity
    ? ipPeers
    : ipPeers.length === 0
      ? identity.selectorPeers
      : [...new Set([...identity.selectorPeers, ...ipPeers])].sort((a, b) => a - b);
  const of = (d: Direction): number[] => matched.filter((p) => directionOf(p) === d);
  return {
    local: {
      egress: identity ? { ids: identity.isolatedBy.egress, namedPorts: undefined, profileKey: '' } : NOT_ISOLATED,
      // Ingress named ports resolve on the subject: its port profile is part of its class.
      ingress: identity ? { ids: identity.isolatedBy.ingress, namedPorts: identity.namedPorts, profileKey: identity.profileKey } : NOT_ISOLATED,
    },
    peer: {
      // Egress named ports resolve on the destination: its profile is part of its class.
      egress: { ids: of('egress'), namedPorts: identity?.namedPorts, profileKey: identity?.profileKey ?? '' },
      ingress: { ids: of('ingress'), namedPorts: undefined, profileKey: '' },
    },
  };
}
