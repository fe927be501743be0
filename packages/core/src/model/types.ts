/**
 * The model: plain readonly data, defaulted and validated. Nothing here knows YAML, files
 * or the API server's wire shapes; the loader produces it and every evaluator reads it.
 */
import type { IPAddress } from '../ip/address.js';
import type { CIDR } from '../ip/cidr.js';

export type Labels = Readonly<Record<string, string>>;

export type SelectorOperator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';

export interface SelectorRequirement {
  readonly key: string;
  readonly operator: SelectorOperator;
  readonly values: readonly string[];
}

/** A metav1.LabelSelector. No terms at all selects everything. */
export interface Selector {
  readonly matchLabels: Labels;
  readonly matchExpressions: readonly SelectorRequirement[];
}

/** The three protocols a NetworkPolicy port can name. */
export type PolicyProtocol = 'TCP' | 'UDP' | 'SCTP';

export interface ContainerPort {
  readonly name?: string;
  readonly port: number;
  readonly protocol: PolicyProtocol;
  /** The port comes from an init (or restartable sidecar) container. */
  readonly init: boolean;
}

export interface Namespace {
  readonly name: string;
  /** Always carries kubernetes.io/metadata.name, as the API server guarantees. */
  readonly labels: Labels;
}

export type PodPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown';

export interface Pod {
  readonly namespace: string;
  readonly name: string;
  readonly labels: Labels;
  /** status.podIPs (or status.podIP), in the order the API lists them. */
  readonly ips: readonly IPAddress[];
  readonly nodeName?: string;
  readonly hostNetwork: boolean;
  readonly phase: PodPhase;
  readonly ports: readonly ContainerPort[];
}

export interface Node {
  readonly name: string;
  readonly ips: readonly IPAddress[];
}

/** A port entry after defaulting: protocol is always set. */
export interface PolicyPort {
  readonly protocol: PolicyProtocol;
  /** Absent: every port of the protocol. A string is a named port. */
  readonly port?: number | string;
  /** Inclusive end of a numeric range. */
  readonly endPort?: number;
}

export interface IPBlock {
  readonly cidr: CIDR;
  readonly except: readonly CIDR[];
}

/**
 * One NetworkPolicyPeer. `podSelector` alone is scoped to the policy's namespace;
 * `namespaceSelector` picks namespaces; both set means AND inside one peer.
 */
export type Peer =
  | { readonly kind: 'selector'; readonly podSelector?: Selector; readonly namespaceSelector?: Selector }
  | { readonly kind: 'ipBlock'; readonly ipBlock: IPBlock };

/** An ingress or egress rule. Empty `ports` = any port and protocol; empty `peers` = anyone. */
export interface Rule {
  readonly ports: readonly PolicyPort[];
  readonly peers: readonly Peer[];
}

export type Direction = 'ingress' | 'egress';

export interface NetworkPolicy {
  readonly namespace: string;
  readonly name: string;
  readonly podSelector: Selector;
  /** Defaulted policyTypes: does the policy isolate the selected pods in this direction? */
  readonly affects: Readonly<Record<Direction, boolean>>;
  /** Rules per direction; rules of a direction the policy does not affect are kept but ignored. */
  readonly ingress: readonly Rule[];
  readonly egress: readonly Rule[];
}

export interface Cluster {
  readonly namespaces: readonly Namespace[];
  readonly pods: readonly Pod[];
  readonly nodes: readonly Node[];
  readonly policies: readonly NetworkPolicy[];
}

export const policyKey = (p: { namespace: string; name: string }): string => `${p.namespace}/${p.name}`;
