/**
 * `ipblock-covers-pods`: a NetworkPolicy ipBlock (its CIDR less its excepts) that contains
 * addresses of pods or nodes of the input. The API leaves it to the implementation whether an
 * ipBlock matches pod traffic (Calico and kube-network-policies match it, Cilium never does;
 * node traffic is as unsettled), so such a rule behaves differently from one cluster to the
 * next. Pods are meant to be selected with selectors; an `except` can carve the pod and node
 * ranges out of a wide block.
 */
import { ipBlockBlock } from '../../analysis/external-endpoints.js';
import { bitsOf, formatIP, type Family, type IPAddress } from '../../ip/address.js';
import { formatCIDR } from '../../ip/cidr.js';
import type { IPBlock } from '../../model/types.js';
import type { LintCheck, LintContext } from '../types.js';
import { activeRules, ruleScope } from './rule-remotes.js';

/** An address of a pod or node, for the sorted index. */
interface Owned {
  readonly value: bigint;
  readonly family: Family;
  /** `namespace/pod` or `node name`. */
  readonly owner: string;
  readonly node: boolean;
}

/** Every pod (endpoint) and node address of the input, per family, sorted. */
function ownedAddresses(ctx: LintContext): Readonly<Record<Family, readonly Owned[]>> {
  return ctx.memo('owned-addresses', () => {
    const out: Record<Family, Owned[]> = { 4: [], 6: [] };
    const add = (ip: IPAddress, owner: string, node: boolean): number => out[ip.family].push({ value: ip.value, family: ip.family, owner, node });
    for (const pod of ctx.endpoints) for (const ip of pod.ips) add(ip, `${pod.namespace}/${pod.name}`, false);
    for (const { ip, node } of ruleScope(ctx).index.nodeAddresses()) add(ip, node, true);
    for (const list of Object.values(out)) list.sort((a, b) => (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
    return out;
  });
}

/** The owned addresses inside an ipBlock. */
function inside(sorted: readonly Owned[], block: IPBlock): Owned[] {
  const out: Owned[] = [];
  for (const r of ipBlockBlock(block).ranges) {
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (sorted[mid]!.value < r.first) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < sorted.length && sorted[i]!.value <= r.last; i++) out.push(sorted[i]!);
  }
  return out;
}

/** The smallest CIDR holding every one of `found` (sorted by address), as text. */
function enclosing(found: readonly Owned[]): { text: string; prefix: number } {
  const family = found[0]!.family;
  const bits = bitsOf(family);
  const first = found[0]!.value;
  const last = found[found.length - 1]!.value;
  let prefix = bits;
  while (prefix > 0 && first >> BigInt(bits - prefix) !== last >> BigInt(bits - prefix)) prefix--;
  const base = (first >> BigInt(bits - prefix)) << BigInt(bits - prefix);
  return { text: formatCIDR({ family, prefix, base }), prefix };
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

export const IPBLOCK_COVERS_PODS: LintCheck = {
  id: 'ipblock-covers-pods',
  severity: 'warning',
  title: 'ipBlock containing pod or node addresses',
  description:
    'An ipBlock (its cidr less its excepts) contains addresses of pods or nodes of the input. Whether an ipBlock matches traffic of pods (and nodes) is left to the network plugin: Calico matches it, Cilium never does, so the rule means different things on different clusters. Select pods with a podSelector or namespaceSelector, and carve the pod and node ranges out of a wide block with except.',
  *run(ctx) {
    const owned = ownedAddresses(ctx);
    for (const policy of ctx.cluster.policies) {
      for (const { direction, ruleIndex, rule } of activeRules(policy)) {
        for (const [peerIndex, peer] of rule.peers.entries()) {
          if (peer.kind !== 'ipBlock') continue;
          const found = inside(owned[peer.ipBlock.cidr.family], peer.ipBlock);
          if (found.length === 0) continue;
          const pods = found.filter((o) => !o.node);
          const nodes = found.filter((o) => o.node);
          const example = (o: Owned): string => `${o.owner} at ${formatIP({ family: o.family, value: o.value })}`;
          const parts = [
            ...(pods.length > 0 ? [`${plural(new Set(pods.map((o) => o.owner)).size, 'pod')} (e.g. ${example(pods[0]!)})`] : []),
            ...(nodes.length > 0 ? [`${plural(new Set(nodes.map((o) => o.owner)).size, 'node')} (e.g. ${example(nodes[0]!)})`] : []),
          ];
          const cidr = formatCIDR(peer.ipBlock.cidr);
          const carve = enclosing(found);
          yield {
            object: { kind: 'NetworkPolicy', namespace: policy.namespace, name: policy.name },
            path: ['spec', direction, ruleIndex, direction === 'ingress' ? 'from' : 'to', peerIndex, 'ipBlock'],
            message: `ipBlock ${cidr} contains the addresses of ${parts.join(' and ')}: network plugins disagree on whether an ipBlock matches pod and node traffic (Calico does, Cilium does not)`,
            fix:
              carve.prefix > peer.ipBlock.cidr.prefix
                ? `select the pods with a podSelector/namespaceSelector peer instead, and add except: [${carve.text}] to the ipBlock`
                : `select the pods with a podSelector/namespaceSelector peer instead, and narrow the cidr to the external addresses meant`,
          };
        }
      }
    }
  },
};
