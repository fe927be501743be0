import type { OptionSpec } from './check-options.js';

/** Choices for the implementation-defined edges of docs/semantics.md §4. */
export interface EvaluationOptions {
  /**
   * ipBlock peers match pod IPs too (Calico, kube-network-policies, upstream e2e). `false`
   * is Cilium's behaviour: ipBlock never matches pod or node IPs. Default true.
   */
  readonly ipBlockMatchesPods?: boolean;
  /** Ingress from the pod's own node is always allowed (the API contract). Default true. */
  readonly allowIngressFromLocalNode?: boolean;
  /** Egress from a pod to its own node bypasses policy. Default false (policed, as KNP). */
  readonly allowEgressToLocalNode?: boolean;
  /** Named ports resolve against init/sidecar container ports too (Calico). Default true. */
  readonly initContainerPorts?: boolean;
  /** Treat IPv4-mapped IPv6 flow addresses (::ffff:a.b.c.d) as IPv4. Default false (family-strict). */
  readonly ipv4MappedAsIPv4?: boolean;
  /** Always allow ICMPv6 neighbour discovery (types 133-137), as KNP does. Default false. */
  readonly allowICMPv6NeighborDiscovery?: boolean;
}

/** EvaluationOptions with every choice made (DEFAULT_OPTIONS for what a caller leaves out). */
export type ResolvedOptions = Required<EvaluationOptions>;

/** The choice each engine makes for an option a caller does not set (docs/semantics.md §4 says why). */
export const DEFAULT_OPTIONS: ResolvedOptions = {
  ipBlockMatchesPods: true,
  allowIngressFromLocalNode: true,
  allowEgressToLocalNode: false,
  initContainerPorts: true,
  ipv4MappedAsIPv4: false,
  allowICMPv6NeighborDiscovery: false,
};

/** EvaluationOptions' keys and types, checked by every entry that takes them (check-options.ts). */
export const EVALUATION_OPTIONS: OptionSpec<EvaluationOptions> = {
  ipBlockMatchesPods: 'boolean',
  allowIngressFromLocalNode: 'boolean',
  allowEgressToLocalNode: 'boolean',
  initContainerPorts: 'boolean',
  ipv4MappedAsIPv4: 'boolean',
  allowICMPv6NeighborDiscovery: 'boolean',
};

export const resolveOptions = (o: EvaluationOptions = {}): ResolvedOptions => ({ ...DEFAULT_OPTIONS, ...o });
