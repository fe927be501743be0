/**
 * The live compiler's identities (pod-identity.ts: pods alike under every policy) and what they
 * match, kept as policies, peers and namespace labels change. Identities are indexed by
 * namespace and by label pair, so a selector looks only at those carrying its rarest
 * matchLabels pair; selector peers are indexed by the namespace they are scoped to, or as
 * namespace-selector peers, so a new identity is matched against the few that can pick it.
 */
import type { ResolvedOptions } from '../../model/options.js';
import { selectorMatches } from '../../model/selector.js';
import type { Labels, Peer, Pod } from '../../model/types.js';
import { identityKey, labelPairKey, namedPortProfile } from '../pod-identity.js';
import { namedPortCuts, type PortCut } from '../ports.js';
import type { PeerInfo } from '../rule-table.js';
import { addTo, deleteFrom, pushTo } from '../multimap.js';
import { DIRECTIONS, type Identity, type PolicyState } from './state.js';

type SelectorPeer = Extract<Peer, { kind: 'selector' }>;

/** What the index reads from, and tells, the compiler around it. */
export interface IdentityHooks {
  /** A namespace's labels (only its name label when it was never given, as loading does). */
  namespaceLabels(name: string): Labels;
  /** The policies of a namespace: a new identity is isolated by those selecting it. */
  policiesIn(namespace: string): Iterable<PolicyState>;
  /** A new identity's named ports start port classes. */
  readonly cut: PortCut;
  /** What an identity matches changed: its addresses must be classified again. */
  changed(identity: Identity): void;
}

export class IdentityIndex {
  private readonly identities = new Map<string, Identity>();
  private readonly byNamespace = new Map<string, Set<Identity>>();
  private readonly byPair = new Map<string, Set<Identity>>();
  /** podSelector-only peers by the namespace they are scoped to (both directions mixed). */
  private readonly scopedPeers = new Map<string, PeerInfo[]>();
  /** Peers with a namespace selector, and per namespace those whose selector picks it. */
  private readonly nsSelectorPeers: PeerInfo[] = [];
  private readonly nsPeerCache = new Map<string, PeerInfo[]>();

  constructor(
    private readonly options: ResolvedOptions,
    private readonly hooks: IdentityHooks,
  ) {}

  /** The identity of a pod, made (and matched against policies and peers) on first sight. */
  identityOf(pod: Pod): Identity {
    // Every named port counts: a rule added later may name any of them.
    const key = identityKey(pod, this.options);
    const known = this.identities.get(key);
    if (known) return known;
    const { ports: named, key: profileKey } = namedPortProfile(pod, this.options);
    const identity: Identity = {
      key,
      namespace: pod.namespace,
      labels: pod.labels,
      namedPorts: named,
      profileKey,
      selectorPeers: [],
      isolatedBy: { ingress: [], egress: [] },
      hosts: new Set(),
      classCache: new Map(),
    };
    namedPortCuts(named, this.hooks.cut);
    for (const state of this.hooks.policiesIn(pod.namespace)) {
      if (!selectorMatches(state.policy.podSelector, identity.labels)) continue;
      for (const d of DIRECTIONS) if (state.policy.affects[d]) identity.isolatedBy[d].push(state.id);
    }
    for (const d of DIRECTIONS) identity.isolatedBy[d].sort((a, b) => a - b);
    identity.selectorPeers = this.matchPeers(identity);
    this.identities.set(key, identity);
    addTo(this.byNamespace, pod.namespace, identity);
    for (const k in identity.labels) addTo(this.byPair, labelPairKey(pod.namespace, k, identity.labels[k]), identity);
    return identity;
  }

  /** The identities of a namespace now. */
  identitiesIn(namespace: string): Iterable<Identity> {
    return this.byNamespace.get(namespace) ?? [];
  }

  /** Forgets an identity no address uses any more. */
  drop(identity: Identity): void {
    this.identities.delete(identity.key);
    deleteFrom(this.byNamespace, identity.namespace, identity);
    for (const k in identity.labels) deleteFrom(this.byPair, labelPairKey(identity.namespace, k, identity.labels[k]), identity);
  }

  /** A policy's subjects are isolated by it (its id joins their isolatedBy). */
  policyAdded(state: PolicyState): void {
    const { policy, id } = state;
    for (const identity of this.candidates(policy.namespace, policy.podSelector)) {
      if (!selectorMatches(policy.podSelector, identity.labels)) continue;
      for (const d of DIRECTIONS) if (policy.affects[d]) identity.isolatedBy[d].push(id);
      this.hooks.changed(identity);
    }
  }

  /** A removed or replaced policy no longer isolates its subjects. */
  policyRemoved(state: PolicyState): void {
    for (const identity of this.candidates(state.policy.namespace, state.policy.podSelector)) {
      let changed = false;
      for (const d of DIRECTIONS) {
        const i = identity.isolatedBy[d].indexOf(state.id);
        if (i >= 0) {
          identity.isolatedBy[d].splice(i, 1);
          changed = true;
        }
      }
      if (changed) this.hooks.changed(identity);
    }
  }

  /** A selector peer seen for the first time: indexed, and its id given to the identities it matches. */
  selectorPeerAdded(info: PeerInfo): void {
    const peer = info.peer as SelectorPeer;
    if (peer.namespaceSelector) {
      this.nsSelectorPeers.push(info);
      this.nsPeerCache.clear();
    } else pushTo(this.scopedPeers, info.namespace, info);
    const namespaces = peer.namespaceSelector
      ? [...this.byNamespace.keys()].filter((ns) => selectorMatches(peer.namespaceSelector!, this.hooks.namespaceLabels(ns)))
      : [info.namespace];
    for (const ns of namespaces) {
      for (const identity of this.candidates(ns, peer.podSelector)) {
        if (!this.peerMatches(info, identity)) continue;
        identity.selectorPeers.push(info.id); // ids only grow: still ascending
        this.hooks.changed(identity);
      }
    }
  }

  /** A namespace's labels changed: the namespace-selector peers of the identities in it may too. */
  namespaceChanged(name: string): void {
    this.nsPeerCache.delete(name);
    for (const identity of this.byNamespace.get(name) ?? []) {
      const next = this.matchPeers(identity);
      if (next.join() !== identity.selectorPeers.join()) {
        identity.selectorPeers = next;
        this.hooks.changed(identity);
      }
    }
  }

  private peerMatches(info: PeerInfo, identity: Identity): boolean {
    const peer = info.peer as SelectorPeer;
    if (
      peer.namespaceSelector ? !selectorMatches(peer.namespaceSelector, this.hooks.namespaceLabels(identity.namespace)) : info.namespace !== identity.namespace
    )
      return false;
    return !peer.podSelector || selectorMatches(peer.podSelector, identity.labels);
  }

  /** Selector peers matching an identity: those scoped to its namespace, and those whose namespace selector picks it. */
  private matchPeers(identity: Identity): number[] {
    let nsPeers = this.nsPeerCache.get(identity.namespace);
    if (!nsPeers) {
      const labels = this.hooks.namespaceLabels(identity.namespace);
      nsPeers = this.nsSelectorPeers.filter((info) => selectorMatches((info.peer as SelectorPeer).namespaceSelector!, labels));
      this.nsPeerCache.set(identity.namespace, nsPeers);
    }
    const out: number[] = [];
    for (const list of [this.scopedPeers.get(identity.namespace) ?? [], nsPeers]) {
      for (const info of list) {
        const sel = (info.peer as SelectorPeer).podSelector;
        if (!sel || selectorMatches(sel, identity.labels)) out.push(info.id);
      }
    }
    return out.sort((a, b) => a - b);
  }

  /** Identities of a namespace a selector may match (the rarest matchLabels pair narrows it). */
  private candidates(ns: string, selector: { matchLabels: Labels } | undefined): Iterable<Identity> {
    let best: Set<Identity> = this.byNamespace.get(ns) ?? new Set();
    if (selector) {
      for (const k in selector.matchLabels) {
        const list = this.byPair.get(labelPairKey(ns, k, selector.matchLabels[k]));
        if (!list) return [];
        if (list.size < best.size) best = list;
      }
    }
    return best;
  }
}
