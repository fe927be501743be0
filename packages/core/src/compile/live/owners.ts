/**
 * Who an address belongs to, as ClusterIndex decides it for a fresh load: the pod owning it
 * (pods may claim the same address; the first Running one in load order wins, else the first)
 * and the node it is an address of (node IPs first, then hostNetwork pods' IPs; the first
 * claim wins). The live compiler asks after every change to a pod or node.
 */
import { ipKey, type IPAddress } from '../../ip/address.js';
import type { Node, Pod } from '../../model/types.js';
import type { PodState } from './state.js';

type AddressKey = number | string;

const isTerminal = (p: Pod): boolean => p.phase === 'Succeeded' || p.phase === 'Failed';

/** The addresses a pod claims as a pod-network pod (hostNetwork and finished pods claim none). */
const claimedIPs = (state: PodState): readonly IPAddress[] => (state.pod.hostNetwork || isTerminal(state.pod) ? [] : state.pod.ips);

export class AddressOwners {
  private readonly claims = new Map<AddressKey, { ip: IPAddress; pods: PodState[] }>();
  private nodeAddresses = new Map<AddressKey, { ip: IPAddress; node: string }>();

  claim(state: PodState): void {
    for (const ip of claimedIPs(state)) {
      const k = ipKey(ip);
      let c = this.claims.get(k);
      if (!c) this.claims.set(k, (c = { ip, pods: [] }));
      if (!c.pods.includes(state)) c.pods.push(state);
    }
  }

  unclaim(state: PodState): void {
    for (const ip of claimedIPs(state)) {
      const k = ipKey(ip);
      const c = this.claims.get(k);
      if (!c) continue;
      c.pods = c.pods.filter((p) => p !== state);
      if (c.pods.length === 0) this.claims.delete(k);
    }
  }

  /** The pod that owns an address: the first Running claimant in load order, else the first. */
  owner(k: AddressKey): PodState | undefined {
    const c = this.claims.get(k);
    if (!c) return undefined;
    let first: PodState | undefined;
    let firstRunning: PodState | undefined;
    // Load order is the pods map's order; slots grow with first insertion, like that order.
    for (const p of c.pods) {
      if (!first || p.slot < first.slot) first = p;
      if (p.pod.phase === 'Running' && (!firstRunning || p.slot < firstRunning.slot)) firstRunning = p;
    }
    return firstRunning ?? first;
  }

  /** The node an address belongs to, if any. */
  nodeOf(k: AddressKey): string | undefined {
    return this.nodeAddresses.get(k)?.node;
  }

  /** Node addresses computed again; returns the addresses whose node changed (new first, then gone). */
  setNodes(nodes: Iterable<Node>, pods: Iterable<PodState>): Map<AddressKey, IPAddress> {
    const next = new Map<AddressKey, { ip: IPAddress; node: string }>();
    const claim = (node: string, ip: IPAddress): void => {
      const k = ipKey(ip);
      if (!next.has(k)) next.set(k, { ip, node });
    };
    for (const node of nodes) for (const ip of node.ips) claim(node.name, ip);
    for (const { pod } of pods) if (pod.hostNetwork && pod.nodeName) for (const ip of pod.ips) claim(pod.nodeName, ip);
    const before = this.nodeAddresses;
    this.nodeAddresses = next;
    const changed = new Map<AddressKey, IPAddress>();
    for (const [k, v] of next) if (before.get(k)?.node !== v.node) changed.set(k, v.ip);
    for (const [k, v] of before) if (!next.has(k)) changed.set(k, v.ip);
    return changed;
  }
}
