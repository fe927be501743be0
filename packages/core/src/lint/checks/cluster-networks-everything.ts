/**
 * `cluster-networks-everything`: a cluster-scoped `networks` entry that holds pod addresses.
 * Unlike NetworkPolicy's ipBlock, `networks` matches every address inside, pods included, so
 * `0.0.0.0/0` meant as "the Internet" also accepts or denies pod-to-pod traffic.
 */
import { formatIP, type IPAddress } from '../../ip/address.js';
import { cidrContains, formatCIDR, type CIDR } from '../../ip/cidr.js';
import type { ClusterRule } from '../../model/types.js';
import type { CheckFinding, LintCheck, LintContext } from '../types.js';
import { clusterIndex, clusterRef, peersField, placedRules, rulePath } from './cluster-rules.js';

/** An earlier rule of the policy that takes all pod traffic first (`namespaces: {}`, no ports): the usual way to exempt pods. */
const takesAllPods = (r: ClusterRule): boolean =>
  r.ports.length === 0 &&
  r.peers.some(
    (p) =>
      (p.kind === 'namespaces' || p.kind === 'pods') &&
      Object.keys(p.namespaceSelector.matchLabels).length === 0 &&
      p.namespaceSelector.matchExpressions.length === 0 &&
      (p.kind === 'namespaces' || (Object.keys(p.podSelector.matchLabels).length === 0 && p.podSelector.matchExpressions.length === 0)),
  );

/** What inside `cidr` belongs to the cluster: the whole address space, or a pod's or node's address. */
function whatItCatches(ctx: LintContext, cidr: CIDR): string | undefined {
  if (cidr.prefix === 0) return 'every address, so every pod too';
  const index = clusterIndex(ctx);
  const first = <T>(it: Iterable<T>, pick: (x: T) => IPAddress): T | undefined => {
    for (const x of it) if (cidrContains(cidr, pick(x))) return x;
    return undefined;
  };
  const pod = first(index.podAddresses(), (x) => x.ip);
  if (pod) return `pod ${pod.pod.namespace}/${pod.pod.name} (${formatIP(pod.ip)})`;
  const node = first(index.nodeAddresses(), (x) => x.ip);
  if (node) return `node ${node.node} (${formatIP(node.ip)})`;
  return undefined;
}

/** The check. */
export const clusterNetworksEverything: LintCheck = {
  id: 'cluster-networks-everything',
  severity: 'warning',
  title: 'A cluster-scoped `networks` peer that also matches pods or nodes',
  description:
    'In ClusterNetworkPolicy and AdminNetworkPolicy, `networks` matches every address inside, pods and nodes included (unlike ipBlock, ' +
    'which CNIs apply to outside traffic only). A `networks: [0.0.0.0/0]` written for "the Internet", or any block holding pod or node ' +
    'addresses of the input, also accepts or denies pod-to-pod and pod-to-node traffic, overriding the NetworkPolicies below. Put a rule ' +
    'for pod traffic first (`to: [{namespaces: {}}]`, action Pass), or narrow the networks to the outside ranges meant.',
  *run(ctx: LintContext): Iterable<CheckFinding> {
    for (const { policy, direction, index, rule } of placedRules(ctx.cluster.clusterPolicies ?? [])) {
      if (direction !== 'egress' || policy[direction].slice(0, index).some(takesAllPods)) continue;
      for (const [j, peer] of rule.peers.entries()) {
        if (peer.kind !== 'networks') continue;
        for (const [k, cidr] of peer.networks.entries()) {
          const caught = whatItCatches(ctx, cidr);
          if (!caught) continue;
          yield {
            object: clusterRef(policy),
            path: [...rulePath(direction, index), peersField(direction), j, 'networks', k],
            message: `${formatCIDR(cidr)} in a ${rule.action} rule matches ${caught}: cluster-scoped networks match pod and node traffic too, not only outside addresses`,
            fix: `add a rule before it for pod traffic (to: [{namespaces: {}}], action: Pass) or use namespaces/pods peers for pods and narrow networks to the outside ranges meant`,
          };
        }
      }
    }
  },
};
