/**
 * The records the live compiler keeps per pod, identity, address, ipBlock prefix and policy.
 * They point at one another (an identity knows its hosts, a host its pod and identity), so
 * they live in one module that the identity index, the address table and the compiler share.
 */
import type { IPAddress } from '../../ip/address.js';
import type { CIDR } from '../../ip/cidr.js';
import type { Direction, Labels, NetworkPolicy, Pod } from '../../model/types.js';
import type { NamedPorts } from '../pod-identity.js';

/** Pods alike under every policy (pod-identity.ts), with what they match. */
export interface Identity {
  readonly key: string;
  readonly namespace: string;
  readonly labels: Labels;
  readonly namedPorts: NamedPorts;
  readonly profileKey: string;
  /** Selector peers (peer ids) matching the identity, ascending. */
  selectorPeers: number[];
  /** Policies (ids) selecting the identity, per direction they affect. */
  readonly isolatedBy: Record<Direction, number[]>;
  readonly hosts: Set<Host>;
  /** Classes per ipBlock-peer list (the arrays IPBlockIndex returns), until the identity changes. */
  classCache: Map<readonly number[], readonly number[]>;
}

export interface PodState {
  readonly key: string;
  pod: Pod;
  /** The pod's slot in the image's entries; slots grow with first insertion, like load order. */
  readonly slot: number;
}

/** An address that is a pod's, a node's, or both: its own entry and a full-length prefix. */
export interface Host {
  readonly key: number | string;
  readonly ip: IPAddress;
  readonly words: number[];
  readonly entry: number;
  pod: PodState | undefined;
  identity: Identity | undefined;
  node: string | undefined;
  /** Listed for classification at the end of the batch (address-table.ts's stale list). */
  stale: boolean;
}

/** An ipBlock cidr or except: one entry for every address it is the longest prefix of. */
export interface Region {
  readonly cidr: CIDR;
  readonly words: number[];
  readonly entry: number;
  /** Listed for classification at the end of the batch (address-table.ts's stale list). */
  stale: boolean;
  /** The ipBlock peers containing the prefix (interned, ascending): a new ipBlock appends its id. */
  ipPeers: readonly number[];
}

export interface PolicyState {
  readonly id: number;
  readonly policy: NetworkPolicy;
  readonly rules: Record<Direction, number[]>;
}

export const DIRECTIONS: readonly Direction[] = ['ingress', 'egress'];
export const NO_PEERS: readonly number[] = [];
