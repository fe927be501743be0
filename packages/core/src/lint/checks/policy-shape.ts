/**
 * Shape checks of NetworkPolicies, read from the policy alone: a rule with ports but no peers, a
 * namespace-wide policy letting everything in or out, and rules of a direction policyTypes
 * leaves out (ignored by the API's semantics).
 */
import { describePort } from '../../model/describe.js';
import { isEmptySelector } from '../../model/selector.js';
import type { Direction, NetworkPolicy, Peer, Rule, Selector } from '../../model/types.js';
import { policyRef } from '../objects.js';
import type { CheckFinding, LintCheck, LintContext } from '../types.js';

const SIDE: Readonly<Record<Direction, 'from' | 'to'>> = { ingress: 'from', egress: 'to' };

const DNS_PEER = `{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}, podSelector: {matchLabels: {k8s-app: kube-dns}}}`;

/** The rules of the directions a policy isolates, with their indices (rules of another direction are ignored). */
function* activeRules(p: NetworkPolicy): Iterable<[Direction, number, Rule]> {
  for (const dir of ['ingress', 'egress'] as const) if (p.affects[dir]) for (const [i, rule] of p[dir].entries()) yield [dir, i, rule];
}

/** Only DNS ports (53, UDP or TCP): the usual "allow DNS" rule. */
const dnsOnly = (rule: Rule): boolean => rule.ports.every((port) => port.port === 53 && port.endPort === undefined && port.protocol !== 'SCTP');

/** `ports-without-peers`: see the check's description. */
function* portsWithoutPeers(ctx: LintContext): Iterable<CheckFinding> {
  for (const p of ctx.cluster.policies) {
    for (const [dir, i, rule] of activeRules(p)) {
      if (rule.ports.length === 0 || rule.peers.length > 0) continue;
      const ports = rule.ports.map(describePort).join(', ');
      const who =
        dir === 'ingress'
          ? 'any source, in the cluster or outside it, may reach the selected pods'
          : 'the selected pods may reach any destination, in the cluster or outside it,';
      yield {
        object: policyRef(p),
        path: ['spec', dir, i, 'ports'],
        message: `${dir} rule ${i} lists ports but no ${SIDE[dir]}: ${who} on ${ports}`,
        fix:
          dir === 'egress' && dnsOnly(rule)
            ? `limit DNS to the cluster DNS pods: to: [${DNS_PEER}]`
            : `add ${SIDE[dir]}: with the pods, namespaces or ipBlocks meant (an explicit ipBlock 0.0.0.0/0 if any address is meant)`,
      };
    }
  }
}

/** A peer that reaches every namespace's pods or every address: namespaceSelector {} without a pod restriction, or an ipBlock /0. */
function everywhere(peer: Peer): string | undefined {
  if (peer.kind === 'ipBlock') return peer.ipBlock.cidr.prefix === 0 ? 'every address' : undefined;
  const all = (sel: Selector | undefined): boolean => sel !== undefined && isEmptySelector(sel);
  return all(peer.namespaceSelector) && (peer.podSelector === undefined || all(peer.podSelector)) ? 'every pod of every namespace' : undefined;
}

/** `allow-all-pods-policy`: see the check's description. */
function* allowAllPods(ctx: LintContext): Iterable<CheckFinding> {
  for (const p of ctx.cluster.policies) {
    if (!isEmptySelector(p.podSelector)) continue;
    for (const [dir, i, rule] of activeRules(p)) {
      if (rule.ports.length > 0) continue; // port-limited: not everything (a rule without peers is ports-without-peers')
      const j = rule.peers.findIndex((peer) => everywhere(peer) !== undefined);
      if (rule.peers.length > 0 && j < 0) continue;
      const reach = j < 0 ? 'anyone' : everywhere(rule.peers[j]!)!;
      const from = dir === 'ingress' ? `from ${reach} to every pod of namespace ${p.namespace}` : `from every pod of namespace ${p.namespace} to ${reach}`;
      yield {
        object: policyRef(p),
        path: j < 0 ? ['spec', dir, i] : ['spec', dir, i, SIDE[dir], j],
        message: `podSelector: {} and ${dir} rule ${i} allow all ports and protocols ${from}: for ${j < 0 ? 'any peer' : 'those peers'}, no other ${dir} policy of the namespace restricts anything any more`,
        fix: `limit the rule to the peers and ports meant, or select only the pods that need it in spec.podSelector`,
      };
    }
  }
}

/** `policy-types-missing-direction`: see the check's description. */
function* policyTypesMissing(ctx: LintContext): Iterable<CheckFinding> {
  for (const p of ctx.cluster.policies) {
    for (const dir of ['ingress', 'egress'] as const) {
      // Without policyTypes, a direction with rules is always in the defaulted ones: this only happens when policyTypes was written.
      if (p.affects[dir] || p[dir].length === 0) continue;
      const type = dir === 'ingress' ? 'Ingress' : 'Egress';
      const types = [...(p.affects.ingress || dir === 'ingress' ? ['Ingress'] : []), ...(p.affects.egress || dir === 'egress' ? ['Egress'] : [])];
      yield {
        object: policyRef(p),
        path: ['spec', 'policyTypes'],
        message: `has ${p[dir].length} ${dir} rule(s) but policyTypes does not include ${type}: they are ignored, and the selected pods are not isolated for ${dir}`,
        fix: `policyTypes: [${types.join(', ')}] (or remove the ${dir} rules if they are not meant)`,
      };
    }
  }
}

/** The shape checks, in report order. */
export const POLICY_SHAPE_CHECKS: readonly LintCheck[] = [
  {
    id: 'ports-without-peers',
    severity: 'warning',
    title: 'Rule with ports but no from/to',
    description:
      'A rule that lists ports but no from (ingress) or to (egress) peers matches every address on those ports: any source in the cluster or on the internet may connect, or the pods may reach any destination. The usual "allow DNS" rule without a to lets port 53 out to any server. Add the peers meant; an explicit ipBlock 0.0.0.0/0 says that any address is intended.',
    run: portsWithoutPeers,
  },
  {
    id: 'allow-all-pods-policy',
    severity: 'warning',
    title: 'Namespace-wide policy allowing all traffic from or to everywhere',
    description:
      'A policy with podSelector: {} (every pod of its namespace) and a rule, in a direction it isolates, with no ports (all ports and protocols) whose peers reach everywhere: no peers at all, a namespaceSelector: {} peer without a pod restriction (every pod of every namespace), or an ipBlock of prefix length 0. Such a rule undoes every other policy of the namespace in that direction. Rules limited to ports, or to peers of some namespaces, are not flagged: allowing DNS or same-namespace traffic to every pod is common and intended.',
    run: allowAllPods,
  },
  {
    id: 'policy-types-missing-direction',
    severity: 'error',
    title: 'Rules of a direction that policyTypes leaves out',
    description:
      'When policyTypes is written, only the directions it lists are isolated, and rules of another direction are ignored: an egress list under policyTypes: [Ingress] allows nothing and isolates nothing. Add the direction to policyTypes, or remove the rules.',
    run: policyTypesMissing,
  },
];
