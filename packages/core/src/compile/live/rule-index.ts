/**
 * The live compiler's rules: the shared RuleTable (rule and peer ids) plus the indexes the
 * matrices read when a row or column is new (classes.ts's RuleSource): rules per policy id,
 * rules without peers, rules naming a peer. Ids are never reused, so a removed policy's
 * rules stay (classes made from its id may still be in the image until the next rebuild).
 */
import type { Direction, NetworkPolicy } from '../../model/types.js';
import { rulePortCuts, type PortCut } from '../ports.js';
import { RuleTable, type PeerInfo, type RuleInfo } from '../rule-table.js';
import type { RuleSource } from './classes.js';
import { pushTo } from '../multimap.js';
import { NO_PEERS } from './state.js';

export class RuleIndex implements RuleSource {
  private readonly table = new RuleTable();
  private readonly byPolicy: { readonly policy: NetworkPolicy; readonly rules: Record<Direction, number[]> }[] = [];
  private readonly withoutPeers: Record<Direction, number[]> = { ingress: [], egress: [] };
  private readonly byPeer = new Map<number, number[]>();

  /** Every peer by id (the list grows; readers may keep it). */
  get peers(): readonly PeerInfo[] {
    return this.table.peers;
  }

  /** A policy's rules under a new id: indexed, their numeric ports cut; returns them and the peers never seen before. */
  add(policy: NetworkPolicy, id: number, cut: PortCut): { rules: Record<Direction, number[]>; fresh: PeerInfo[] } {
    const added = this.table.add(policy, id);
    this.byPolicy[id] = { policy, rules: added.rules };
    for (const d of ['ingress', 'egress'] as const) {
      for (const ruleId of added.rules[d]) {
        const info = this.table.rules[ruleId]!;
        rulePortCuts(info.rule, cut);
        if (info.peerIds.length === 0) this.withoutPeers[d].push(ruleId);
        for (const pid of new Set(info.peerIds)) pushTo(this.byPeer, pid, ruleId);
      }
    }
    return added;
  }

  /** The policy a policy id was given to (kept after it is deleted or replaced). */
  policy(id: number): NetworkPolicy {
    return this.byPolicy[id]!.policy;
  }

  rulesOf(policy: number, direction: Direction): readonly number[] {
    return this.byPolicy[policy]!.rules[direction];
  }
  rule(id: number): RuleInfo {
    return this.table.rules[id]!;
  }
  openRules(direction: Direction): readonly number[] {
    return this.withoutPeers[direction];
  }
  rulesNaming(peer: number): readonly number[] {
    return this.byPeer.get(peer) ?? NO_PEERS;
  }
}
