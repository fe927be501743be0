/**
 * Rules and distinct peers with dense ids, the tables both compilers build policies into:
 * compile() from a fixed list, the live compiler one policy at a time (ids are never reused,
 * so an id in a class key never changes meaning).
 */
import type { Direction, NetworkPolicy, Peer, Rule, Selector } from '../model/types.js';

/** One rule of a direction its policy affects, with global ids for its peers. */
export interface RuleInfo {
  readonly id: number;
  readonly policy: number;
  readonly direction: Direction;
  readonly index: number;
  readonly rule: Rule;
  readonly peerIds: readonly number[];
}

/**
 * A distinct peer: identical peers of different rules (the same ipBlock in 100 policies,
 * the same selector in one namespace) share one id, so membership sets stay small.
 */
export interface PeerInfo {
  readonly id: number;
  readonly direction: Direction;
  readonly peer: Peer;
  /** The namespace a podSelector-only peer is scoped to. */
  readonly namespace: string;
}

/** Canonical text of a peer: equal text, equal matching. */
function canonical(peer: Peer): string {
  const sel = (s: Selector | undefined): string =>
    s === undefined
      ? '-'
      : JSON.stringify([Object.entries(s.matchLabels).sort(), s.matchExpressions.map((e) => [e.key, e.operator, [...e.values].sort()]).sort()]);
  if (peer.kind === 'ipBlock') {
    const c = (x: { base: bigint; prefix: number; family: number }): string => `${x.family}/${x.base}/${x.prefix}`;
    return `ip:${c(peer.ipBlock.cidr)}:${peer.ipBlock.except.map(c).sort().join(',')}`;
  }
  return `sel:${sel(peer.namespaceSelector)}:${sel(peer.podSelector)}`;
}

/** Peers with equal keys match alike: a podSelector-only peer is scoped to its policy's namespace. */
export function peerKey(direction: Direction, peer: Peer, namespace: string): string {
  const scope = peer.kind === 'selector' && !peer.namespaceSelector ? namespace : '';
  return `${direction}|${scope}|${canonical(peer)}`;
}

/** Rules get ids in the order added; equal peers (peerKey) share one id. */
export class RuleTable {
  readonly rules: RuleInfo[] = [];
  readonly peers: PeerInfo[] = [];
  private readonly peerIds = new Map<string, number>();

  /** A policy's rules under policy id `policy`, per direction; `fresh`: the peers never seen before, in order. */
  add(policy: NetworkPolicy, id: number): { rules: Record<Direction, number[]>; fresh: PeerInfo[] } {
    const rules: Record<Direction, number[]> = { ingress: [], egress: [] };
    const fresh: PeerInfo[] = [];
    for (const direction of ['ingress', 'egress'] as const) {
      if (!policy.affects[direction]) continue; // rules of an unaffected direction are ignored (§2.1)
      policy[direction].forEach((rule, index) => {
        const peerIds = rule.peers.map((peer) => this.peerId(direction, peer, policy.namespace, fresh));
        const info: RuleInfo = { id: this.rules.length, policy: id, direction, index, rule, peerIds };
        this.rules.push(info);
        rules[direction].push(info.id);
      });
    }
    return { rules, fresh };
  }

  private peerId(direction: Direction, peer: Peer, namespace: string, fresh: PeerInfo[]): number {
    const key = peerKey(direction, peer, namespace);
    let id = this.peerIds.get(key);
    if (id === undefined) {
      id = this.peers.length;
      const info: PeerInfo = { id, direction, peer, namespace };
      this.peers.push(info);
      this.peerIds.set(key, id);
      fresh.push(info);
    }
    return id;
  }
}
