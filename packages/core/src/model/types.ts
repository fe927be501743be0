/**
 * The model: plain readonly data, defaulted and validated. Nothing here knows YAML, files
 * or the API server's wire shapes; the loader produces it and every evaluator reads it.
 */
import type { IPAddress } from '../ip/address.js';
import type { CIDR } from '../ip/cidr.js';

/** Labels of a pod, namespace or node: key → value, as in `metadata.labels` (validated keys and values). */
export type Labels = Readonly<Record<string, string>>;

/** A `matchExpressions` operator (case-sensitive, as the API spells them). */
export type SelectorOperator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';

/**
 * One `matchExpressions` term. `In`: the key is present with one of `values`; `NotIn`: the key is
 * absent or its value is none of them; `Exists` / `DoesNotExist`: the key is present / absent
 * (`values` empty).
 */
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

/** A container's declared port, what a named port in a policy resolves against. */
export interface ContainerPort {
  readonly name?: string;
  readonly port: number;
  readonly protocol: PolicyProtocol;
  /** The port comes from an init (or restartable sidecar) container. */
  readonly init: boolean;
}

/** A Namespace: its name and labels (what namespace selectors match). */
export interface Namespace {
  readonly name: string;
  /** Always carries kubernetes.io/metadata.name, as the API server guarantees. */
  readonly labels: Labels;
}

/** `status.phase`. Succeeded and Failed pods take no part in policy: their IPs may be reused. */
export type PodPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown';

/**
 * A Pod as policy sees it. Only pod-network pods (not `hostNetwork`) with an IP, not Succeeded or
 * Failed, are subjects and selector peers; a hostNetwork pod's IPs are its node's.
 */
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
  /**
   * The workload the pod belongs to: its controller `ownerReference`, followed up to the top-level
   * owner when that object is in the input (a ReplicaSet to its Deployment, a Job to its CronJob).
   * Absent: a bare pod (its own endpoint, `namespace/name[Pod]`).
   */
  readonly owner?: Owner;
}

/** A pod's top-level controller: what endpoint names (`namespace/name[Kind]`) are made of. */
export interface Owner {
  readonly kind: string;
  readonly name: string;
}

/** The controllers whose pod template netpol reads (workloads: endpoints before any pod runs). */
export type WorkloadKind = 'Deployment' | 'ReplicaSet' | 'StatefulSet' | 'DaemonSet' | 'ReplicationController' | 'Job' | 'CronJob';

/**
 * A workload: a controller with a pod template (`spec.template`, for a CronJob
 * `spec.jobTemplate.spec.template`). Its pods carry the template's labels and container ports
 * (init containers included), have no address until they run, and share one endpoint
 * `namespace/name[Kind]`. A workload owned by another one in the input (a ReplicaSet of a
 * Deployment) keeps `owner`: its pods belong to that top-level owner.
 */
export interface Workload {
  readonly kind: WorkloadKind;
  readonly namespace: string;
  readonly name: string;
  /** `spec.template.metadata.labels`. */
  readonly labels: Labels;
  readonly ports: readonly ContainerPort[];
  readonly hostNetwork: boolean;
  /** The workload's own controller, when it has one (a ReplicaSet's Deployment). */
  readonly owner?: Owner;
}

/** `spec.type` of a Service. */
export type ServiceType = 'ClusterIP' | 'NodePort' | 'LoadBalancer' | 'ExternalName';

/** One entry of a Service's `spec.ports`. */
export interface ServicePort {
  readonly name?: string;
  readonly protocol: PolicyProtocol;
  /** The Service's own port (what a client connects to on the ClusterIP). */
  readonly port: number;
  /** The backend port: a number, or a container port name resolved on each backend pod. Defaults to `port`. */
  readonly targetPort: number | string;
  /** NodePort and LoadBalancer services: the port on every node's addresses. */
  readonly nodePort?: number;
}

/**
 * A Service: the virtual addresses kube-proxy translates (DNAT) to backend endpoints before
 * policy sees a packet. Backends come from EndpointSlices when the input has any for the
 * Service, else from `selector` over the pods. A headless Service (`clusterIP: None`) has no
 * virtual address: clients reach the backends directly.
 */
export interface Service {
  readonly namespace: string;
  readonly name: string;
  readonly type: ServiceType;
  /** `spec.clusterIPs` (or `spec.clusterIP`); empty for a headless or ExternalName Service. */
  readonly clusterIPs: readonly IPAddress[];
  readonly headless: boolean;
  /** `spec.selector`; absent: the Service has no selector (its EndpointSlices are managed by hand). */
  readonly selector?: Labels;
  readonly ports: readonly ServicePort[];
  /** `spec.externalIPs` and `status.loadBalancer.ingress[].ip`: more addresses DNATed like the ClusterIP. */
  readonly externalIPs: readonly IPAddress[];
  /** ExternalName services: the DNS name clients are sent to (a CNAME; no DNAT). */
  readonly externalName?: string;
}

/** One endpoint of an EndpointSlice. */
export interface SliceEndpoint {
  readonly addresses: readonly IPAddress[];
  /** `conditions.ready`; absent counts as ready, as kube-proxy reads it. */
  readonly ready: boolean;
  /** `targetRef` when it names a Pod: `namespace/name`. */
  readonly pod?: string;
}

/** An EndpointSlice (discovery.k8s.io/v1): the backends of `service` with their resolved port numbers. */
export interface EndpointSlice {
  readonly namespace: string;
  readonly name: string;
  /** The `kubernetes.io/service-name` label. */
  readonly service: string;
  readonly addressType: 'IPv4' | 'IPv6' | 'FQDN';
  readonly endpoints: readonly SliceEndpoint[];
  /** Port name (matching the Service port's name, '' for an unnamed one), protocol and backend number. */
  readonly ports: readonly { readonly name: string; readonly protocol: PolicyProtocol; readonly port: number }[];
}

/** A Node: its `InternalIP` and `ExternalIP` addresses (plus, in the index, its hostNetwork pods' IPs). */
export interface Node {
  readonly name: string;
  readonly ips: readonly IPAddress[];
  /** metadata.labels, matched by cluster-scoped policies' `nodes` peers. Absent: none. */
  readonly labels?: Labels;
}

/** A port entry after defaulting: protocol is always set. */
export interface PolicyPort {
  readonly protocol: PolicyProtocol;
  /** Absent: every port of the protocol. A string is a named port. */
  readonly port?: number | string;
  /** Inclusive end of a numeric range. */
  readonly endPort?: number;
}

/** An ipBlock peer: addresses inside `cidr` and inside none of `except` (each a strict subset of `cidr`). */
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

/** A direction of traffic as the subject pod sees it: `ingress` into it, `egress` out of it. */
export type Direction = 'ingress' | 'egress';

/**
 * A `networking.k8s.io/v1` NetworkPolicy after defaulting and validation: `podSelector` picks its
 * subjects in `namespace`; `affects` is its defaulted `policyTypes`.
 */
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

/**
 * The cluster-scoped tiers around NetworkPolicy: Admin before it, Baseline after it
 * (ClusterNetworkPolicy `spec.tier`; an AdminNetworkPolicy is Admin, the
 * BaselineAdminNetworkPolicy Baseline).
 */
export type Tier = 'Admin' | 'Baseline';

/** A cluster-scoped rule's action; v1alpha1's `Allow` is loaded as `Accept`. */
export type ClusterAction = 'Accept' | 'Deny' | 'Pass';

/** The kind a cluster-scoped policy was loaded from. */
export type ClusterPolicyKind = 'ClusterNetworkPolicy' | 'AdminNetworkPolicy' | 'BaselineAdminNetworkPolicy';

/**
 * Who a cluster-scoped policy applies to: every pod of the selected namespaces, or the selected
 * pods of the selected namespaces. hostNetwork pods are never subjects.
 */
export type ClusterSubject =
  | { readonly kind: 'namespaces'; readonly namespaceSelector: Selector }
  | { readonly kind: 'pods'; readonly namespaceSelector: Selector; readonly podSelector: Selector };

/**
 * One `from`/`to` entry of a cluster-scoped rule. `namespaces` and `pods` match pod-network pods
 * (never hostNetwork ones); `nodes` (egress) matches the addresses of the selected Nodes;
 * `networks` (egress) matches any address inside, pods included; `domainNames` (egress, Accept
 * rules only) matches a flow whose `dstName` is one of the names (`*.` prefix: any one or more
 * labels in front). `unknown` exists only when a caller loads leniently and a peer has no field
 * netpol knows: it matches nothing in an Accept rule and everything in a Deny or Pass rule
 * (fail closed).
 */
export type ClusterPeer =
  | { readonly kind: 'namespaces'; readonly namespaceSelector: Selector }
  | { readonly kind: 'pods'; readonly namespaceSelector: Selector; readonly podSelector: Selector }
  | { readonly kind: 'nodes'; readonly nodeSelector: Selector }
  | { readonly kind: 'networks'; readonly networks: readonly CIDR[] }
  | { readonly kind: 'domainNames'; readonly domainNames: readonly string[] }
  | { readonly kind: 'unknown' };

/**
 * One protocols (v1alpha2) or ports (v1alpha1) entry: a protocol with a port range (a single
 * number has `start === end`), or a named port, which matches when the destination is a pod
 * with a container port of that name whose protocol and number are the flow's.
 */
export type ClusterPort =
  | { readonly kind: 'range'; readonly protocol: PolicyProtocol; readonly start: number; readonly end: number }
  | { readonly kind: 'named'; readonly name: string };

/** One ingress or egress rule of a cluster-scoped policy; within a policy, the first matching rule decides. */
export interface ClusterRule {
  /** The rule's `name`, when it has one (explanations use it, else the index). */
  readonly name?: string;
  readonly action: ClusterAction;
  /** `from` (ingress) or `to` (egress): at least one. */
  readonly peers: readonly ClusterPeer[];
  /** Empty: all traffic, every protocol (ICMP included). */
  readonly ports: readonly ClusterPort[];
}

/**
 * A cluster-scoped policy (ClusterNetworkPolicy, AdminNetworkPolicy, BaselineAdminNetworkPolicy)
 * after validation, in the tier it is evaluated in (docs/cluster-policies.md).
 */
export interface ClusterPolicy {
  readonly kind: ClusterPolicyKind;
  readonly name: string;
  readonly tier: Tier;
  /**
   * 0-1000, lower evaluated first. The BaselineAdminNetworkPolicy has none: it is given 1001,
   * after every Baseline ClusterNetworkPolicy.
   */
  readonly priority: number;
  readonly subject: ClusterSubject;
  readonly ingress: readonly ClusterRule[];
  readonly egress: readonly ClusterRule[];
}

/** An object of a policy API netpol cannot evaluate, loaded with the opt-out that ignores it. */
export interface IgnoredObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
}

/**
 * Everything an evaluation reads: what `loadFiles` and its siblings return as `cluster` when the
 * input has no error. Plain readonly data; build one in code to evaluate without manifests.
 */
export interface Cluster {
  readonly namespaces: readonly Namespace[];
  readonly pods: readonly Pod[];
  readonly nodes: readonly Node[];
  readonly policies: readonly NetworkPolicy[];
  /** ClusterNetworkPolicies, AdminNetworkPolicies and the BaselineAdminNetworkPolicy. Absent: none. */
  readonly clusterPolicies?: readonly ClusterPolicy[];
  /**
   * Policies of other APIs (Cilium, Calico, Antrea, ...) present in the input and ignored by
   * explicit choice: verdicts do not account for them. Absent: none.
   */
  readonly ignoredObjects?: readonly IgnoredObject[];
  /** Workloads (pod templates). Absent: none. */
  readonly workloads?: readonly Workload[];
  /** Services. Absent: none. */
  readonly services?: readonly Service[];
  /** EndpointSlices. Absent: none. */
  readonly endpointSlices?: readonly EndpointSlice[];
}

/** How explanations and denials name a NetworkPolicy: `namespace/name`. */
export const policyKey = (p: { namespace: string; name: string }): string => `${p.namespace}/${p.name}`;

const CLUSTER_KIND_PREFIX: Readonly<Record<ClusterPolicyKind, string>> = {
  ClusterNetworkPolicy: 'cnp',
  AdminNetworkPolicy: 'anp',
  BaselineAdminNetworkPolicy: 'banp',
};

/** How explanations name a cluster-scoped policy: `cnp/name`, `anp/name`, `banp/default`. */
export const clusterPolicyKey = (p: { kind: ClusterPolicyKind; name: string }): string => `${CLUSTER_KIND_PREFIX[p.kind]}/${p.name}`;

/** How verdicts name an ignored object: `CiliumNetworkPolicy prod/x`, `GlobalNetworkPolicy x`. */
export const ignoredObjectKey = (o: IgnoredObject): string => `${o.kind} ${o.namespace !== undefined ? `${o.namespace}/` : ''}${o.name}`;
