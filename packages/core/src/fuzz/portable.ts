/**
 * A generated cluster made applicable to a real one, for test vectors (fuzz/test-vectors.ts):
 * the fuzz generators draw clusters built for collisions (shared pod IPs, hostNetwork and
 * finished pods, init-container ports, ipBlocks over the pod pools), whose verdicts hold only
 * for the addresses written in the manifests. A real cluster (kind, a CNI's CI) gives pods
 * addresses of its own and runs every pod, so verdicts that depend on those addresses would
 * not carry over. `portableCluster` keeps what does: every pod Running on the pod network
 * with an address of its own, no Node objects, and ipBlocks and `networks` that cover no
 * private address (RFC 1918: where every pod CIDR lives), so no ipBlock matches a pod however
 * the real cluster numbers them. The verdict of a flow between pods then depends only on
 * labels, namespaces, ports and policies, which the manifests carry. A block inside a private
 * range is moved, excepts and all, to a public range of the same size next to it (10.0.0.0/29
 * becomes 11.0.0.0/29), so the nesting the generators draw is kept and external addresses
 * probe it; a block around a private range gets that range as an except.
 */
import { cidrContains, type CIDR } from '../ip/cidr.js';
import { parseIP, type IPAddress } from '../ip/address.js';
import type { Cluster, ClusterPeer, ClusterPolicy, ClusterRule, IPBlock, NetworkPolicy, Peer, Pod, Rule } from '../model/types.js';

/** The private IPv4 ranges (RFC 1918): a real cluster's pod, Service and node addresses are in them. */
export const PRIVATE_V4: readonly CIDR[] = [
  { family: 4, base: 0x0a000000n, prefix: 8 },
  { family: 4, base: 0xac100000n, prefix: 12 },
  { family: 4, base: 0xc0a80000n, prefix: 16 },
];

/** Where a block inside PRIVATE_V4[i] moves: the public range of the same size just above it (11.0.0.0/8, 172.32.0.0/12, 192.169.0.0/16). */
const PUBLIC_TWINS: readonly bigint[] = [0x0b000000n, 0xac200000n, 0xc0a90000n];

/** Pod k (0-based) gets 10.0.x.y, the (k+1)-th address of 10.0.0.0/16: unique, private, never a CIDR anchor of the generators' public pools. */
function podAddress(k: number): IPAddress {
  return parseIP(`10.0.${(k + 1) >> 8}.${(k + 1) & 255}`)!;
}

/** Whether `outer` contains every address of `inner` (same family). */
const covers = (outer: CIDR, inner: CIDR): boolean =>
  outer.family === inner.family && outer.prefix <= inner.prefix && cidrContains(outer, { family: inner.family, value: inner.base });

/** A CIDR inside a private range moved to that range's public twin (same offset, same prefix); others unchanged. */
function moved(c: CIDR): CIDR {
  const i = PRIVATE_V4.findIndex((r) => covers(r, c));
  if (i < 0) return c;
  const r = PRIVATE_V4[i]!;
  return { ...c, base: PUBLIC_TWINS[i]! + (c.base - r.base) };
}

/**
 * An ipBlock made to match no private address: inside a private range, moved with its excepts
 * to the range's public twin; around one, with that range added to its excepts (0.0.0.0/0
 * becomes the classic "the internet" block); otherwise unchanged.
 */
function portableBlock(cidr: CIDR, except: readonly CIDR[]): IPBlock {
  if (cidr.family !== 4) return { cidr, except };
  if (moved(cidr) !== cidr) return { cidr: moved(cidr), except: except.map(moved) };
  const added = PRIVATE_V4.filter((r) => covers(cidr, r) && !except.some((e) => covers(e, r)));
  return { cidr, except: [...except, ...added] };
}

const portablePeer = (peer: Peer): Peer =>
  peer.kind === 'ipBlock' ? { kind: 'ipBlock', ipBlock: portableBlock(peer.ipBlock.cidr, peer.ipBlock.except) } : peer;
const portableRule = (rule: Rule): Rule => ({ ports: rule.ports, peers: rule.peers.map(portablePeer) });

function portablePolicy(p: NetworkPolicy): NetworkPolicy {
  return { ...p, ingress: p.ingress.map(portableRule), egress: p.egress.map(portableRule) };
}

/**
 * `networks` (a list of CIDRs, with no excepts to add): one inside a private range moved to
 * the range's public twin; one around a private range (0.0.0.0/0) dropped, as it would match
 * pods; the peer dropped when none is left, and a rule left without peers with it.
 */
function portableClusterPeer(peer: ClusterPeer): ClusterPeer | undefined {
  if (peer.kind !== 'networks') return peer;
  const networks = peer.networks.map(moved).filter((c) => c.family !== 4 || PRIVATE_V4.every((r) => !covers(c, r)));
  return networks.length === 0 ? undefined : { kind: 'networks', networks };
}

function portableClusterRule(rule: ClusterRule): ClusterRule | undefined {
  const peers = rule.peers.map(portableClusterPeer).filter((p): p is ClusterPeer => p !== undefined);
  return peers.length === 0 ? undefined : { ...rule, peers };
}

const portableRules = (rules: readonly ClusterRule[]): ClusterRule[] => rules.map(portableClusterRule).filter((r): r is ClusterRule => r !== undefined);

function portableClusterPolicy(p: ClusterPolicy): ClusterPolicy {
  return { ...p, ingress: portableRules(p.ingress), egress: portableRules(p.egress) };
}

/** Every pod Running, on the pod network, with one IPv4 address of its own and its init-container ports as regular ones (a pause init container never ends). */
function portablePod(pod: Pod, k: number): Pod {
  const { nodeName: _node, ...rest } = pod;
  return { ...rest, hostNetwork: false, phase: 'Running', ips: [podAddress(k)], ports: pod.ports.map((p) => ({ ...p, init: false })) };
}

/**
 * The cluster as test vectors write it (see the file comment): pods Running with addresses of
 * their own, no Nodes, ipBlocks and `networks` off the private ranges (a cluster-scoped rule
 * left without a peer dropped). Policies, labels, namespaces and ports are otherwise as drawn.
 */
export function portableCluster(cluster: Cluster): Cluster {
  return {
    ...cluster,
    nodes: [],
    pods: cluster.pods.map(portablePod),
    policies: cluster.policies.map(portablePolicy),
    ...(cluster.clusterPolicies && { clusterPolicies: cluster.clusterPolicies.map(portableClusterPolicy) }),
  };
}
