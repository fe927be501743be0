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

/** What inside `cidr` belongs to the cluster: the whole address space, a pod's address, or (only) a node's. */
function whatItCatches(ctx: LintContext, cidr: CIDR): { readonly what: string; readonly pods: boolean } | undefined {
  if (cidr.prefix === 0) return { what: 'every address, so every pod too', pods: true };
  const index = clusterIndex(ctx);
  const first = <T>(it: Iterable<T>, pick: (x: T) => IPAddress): T | undefined => {
    for (const x of it) if (cidrContains(cidr, pick(x))) return x;
    return undefined;
  };
  const pod = first(index.podAddresses(), (x) => x.ip);
  if (pod) return { what: `pod ${pod.pod.namespace}/${pod.pod.name} (${formatIP(pod.ip)})`, pods: true };
  const node = first(index.nodeAddresses(), (x) => x.ip);
  if (node) return { what: `node ${node.node} (${formatIP(node.ip)})`, pods: false };
  return undefined;
}

/** The check. */
export const clusterNetworksEverything: LintCheck = {
  id: 'cluster-networks-everything',
  severity: 'warning',
  title: 'Cluster-scoped networks peer that also matches pods or nodes',
  description:
    'In ClusterNetworkPolicy and AdminNetworkPolicy, `networks` matches every address inside, pods and nodes included (unlike ipBlock, ' +
    'which CNIs apply to outside traffic only). A `networks: [0.0.0.0/0]` written for "the Internet", or any block holding pod or node ' +
    'addresses of the input, also accepts or denies pod-to-pod and pod-to-node traffic, overriding the NetworkPolicies below. Put a rule ' +
    'for pod traffic first (`to: [{namespaces: {}}]`, action Pass), or narrow the networks to the outside ranges meant. A block holding ' +
    'node addresses but no pod address is reported as info (a `nodes` peer says it better).',
  *run(ctx: LintContext): Iterable<CheckFinding> {
    for (const { policy, direction, index, rule } of placedRules(ctx.cluster.clusterPolicies ?? [])) {
      if (direction !== 'egress' || policy[direction].slice(0, index).some(takesAllPods)) continue;
      for (const [j, peer] of rule.peers.entries()) {
        if (peer.kind !== 'networks') continue;
        for (const [k, cidr] of peer.networks.entries()) {
          const caught = whatItCatches(ctx, cidr);
          if (!caught) continue;
          const path = [...rulePath(direction, index), peersField(direction), j, 'networks', k];
          // Node addresses alone: node traffic (hostNetwork pods' too), no pod's; likely meant, said as info.
          yield caught.pods
            ? {
                object: clusterRef(policy),
                path,
                message: `${formatCIDR(cidr)} in a ${rule.action} rule matches ${caught.what}: cluster-scoped networks match pod and node traffic too, not only outside addresses`,
                fix: `add a rule before it for pod traffic (to: [{namespaces: {}}], action: Pass) or use namespaces/pods peers for pods and narrow networks to the outside ranges meant`,
              }
            : {
                object: clusterRef(policy),
                path,
                message: `${formatCIDR(cidr)} in a ${rule.action} rule matches ${caught.what}: cluster-scoped networks match node traffic, hostNetwork pods' included`,
                fix: 'to mean nodes, select them with a nodes peer (nodeSelector), which follows node addresses as they change',
                severity: 'info',
              };
        }
      }
    }
  },
};
