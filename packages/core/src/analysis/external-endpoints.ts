/**
 * The external endpoints of a connectivity report: the pieces that the policies' address peers
 * cut the address space into, per direction, named as netpol-analyzer names them
 * (`0.0.0.0-9.255.255.255[External]`). Sources are cut by what ingress rules name (ipBlocks
 * `from`), destinations by what egress rules name (ipBlocks `to`, cluster policies' `networks`):
 * an address range that no rule tells apart from its neighbours is one endpoint.
 */
import { formatIP, type Family } from '../ip/address.js';
import type { CIDR } from '../ip/cidr.js';
import type { Cluster, Direction, IPBlock } from '../model/types.js';
import { cidrBlock, disjointBlocks, subtractBlocks, unionBlocks, type AddressBlock } from './address-blocks.js';

/** An external endpoint: a block of addresses that every rule treats alike, and its name. */
export interface ExternalBlock extends AddressBlock {
  /** `first-last[External]`, ranges joined by `, ` (netpol-analyzer's form). */
  readonly name: string;
}

/** Options of externalBlocks. */
export interface ExternalBlockOptions {
  /** Leave IPv6 out (netpol-analyzer cuts IPv4 only). Default: IPv6 pieces when some rule names an IPv6 CIDR. */
  readonly ipv4Only?: boolean;
}

/** The addresses an ipBlock peer matches: its CIDR less its excepts. */
export function ipBlockBlock(b: IPBlock): AddressBlock {
  return subtractBlocks(cidrBlock(b.cidr), unionBlocks(b.cidr.family, b.except.filter((e) => e.family === b.cidr.family).map(cidrBlock)));
}

/** The address blocks the rules of one direction name (NetworkPolicy ipBlocks; cluster-scoped `networks`, one block per CIDR). */
export function ruleAddressBlocks(cluster: Cluster, direction: Direction): AddressBlock[] {
  const out: AddressBlock[] = [];
  for (const p of cluster.policies) {
    for (const rule of p[direction]) for (const peer of rule.peers) if (peer.kind === 'ipBlock') out.push(ipBlockBlock(peer.ipBlock));
  }
  for (const cp of cluster.clusterPolicies ?? []) {
    for (const rule of cp[direction]) for (const peer of rule.peers) if (peer.kind === 'networks') out.push(...peer.networks.map((c: CIDR) => cidrBlock(c)));
  }
  return out;
}

/** `first-last` of each range, joined by `, `, then `[External]`. */
export function externalName(block: AddressBlock): string {
  const ip = (value: bigint): string => formatIP({ family: block.family, value });
  return `${block.ranges.map((r) => `${ip(r.first)}-${ip(r.last)}`).join(', ')}[External]`;
}

/**
 * The external endpoints on one side of connections: `ingress` gives the sources (cut by what
 * ingress rules name), `egress` the destinations. IPv4 always (at least the whole of it);
 * IPv6 only when some rule of that direction names an IPv6 CIDR (and not with `ipv4Only`).
 */
export function externalBlocks(cluster: Cluster, direction: Direction, opts: ExternalBlockOptions = {}): ExternalBlock[] {
  const named = ruleAddressBlocks(cluster, direction);
  const families: Family[] = [4];
  if (!opts.ipv4Only && named.some((b) => b.family === 6)) families.push(6);
  return families.flatMap((f) => disjointBlocks(f, named)).map((b) => ({ ...b, name: externalName(b) }));
}
