/**
 * `egress-without-dns`: pods isolated for egress (by a NetworkPolicy, or denied by a
 * cluster-scoped tier) that cannot reach DNS, the first thing a default-deny egress breaks.
 *
 * DNS is UDP 53 and TCP 53 to kube-dns: the pods of kube-system labelled `k8s-app=kube-dns`
 * (a Service's ClusterIP is translated to them before policy sees the packet, so a rule must
 * allow the pods). A pod reaches DNS when egress to every such pod is allowed, judged by the
 * reference evaluator (every tier, every option at its default). When the input has none (an
 * application's manifests alone), a stand-in is used: a kube-system pod labelled
 * `k8s-app=kube-dns` without an address, or any address that is no pod's (where the cluster's DNS
 * runs is not known; a rule to some address on port 53 gets the benefit of the doubt). Only
 * egress on the pod's side is judged: ingress into kube-dns is kube-system's business.
 *
 * One finding per policy that makes the isolation: for a NetworkPolicy, of those isolating a
 * pod, the one selecting the most pods (the default-deny, typically: a rule added to any of them
 * would do); for a tier, the Deny rule that decided.
 */
import type { AddressBlock } from '../../analysis/address-blocks.js';
import { externalBlocks } from '../../analysis/external-endpoints.js';
import { isDenying, type FlowEnd } from '../../model/flow.js';
import { PROTOCOL_NUMBERS } from '../../model/protocol.js';
import { selectorMatches } from '../../model/selector.js';
import type { IPAddress } from '../../ip/address.js';
import { clusterPolicyKey, policyKey, type Cluster, type ClusterPolicy, type NetworkPolicy, type Pod } from '../../model/types.js';
import { ReferenceEvaluator } from '../../reference/evaluator.js';
import type { LintCheck, LintContext, LintObjectRef } from '../types.js';
import { someOf } from './redundant-rules.js';
import { ruleScope } from './rule-remotes.js';

/** Where kube-dns runs, as every distribution labels it. */
const DNS_NAMESPACE = 'kube-system';
const DNS_LABEL = { key: 'k8s-app', value: 'kube-dns' } as const;

/** The stand-in kube-dns pod when the input has none. */
const STAND_IN: Pod = {
  namespace: DNS_NAMESPACE,
  name: 'kube-dns',
  labels: { [DNS_LABEL.key]: DNS_LABEL.value },
  ips: [],
  hostNetwork: false,
  phase: 'Running',
  ports: [
    { name: 'dns', port: 53, protocol: 'UDP', init: false },
    { name: 'dns-tcp', port: 53, protocol: 'TCP', init: false },
  ],
};

/** The rule to add, as one line of YAML. */
const DNS_RULE = `{to: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: ${DNS_NAMESPACE}}}, podSelector: {matchLabels: {${DNS_LABEL.key}: ${DNS_LABEL.value}}}}], ports: [{protocol: UDP, port: 53}, {protocol: TCP, port: 53}]}`;

const PROTOCOLS = ['UDP', 'TCP'] as const;

/** The run's reference evaluator (default options), shared by checks that judge flows. */
export const referenceEvaluator = (ctx: LintContext): ReferenceEvaluator => ctx.memo('reference-evaluator', () => new ReferenceEvaluator(ctx.cluster));

interface Finding extends DnsDenialSite {
  readonly missing: Set<string>;
  /** The pod groups counted (a group denied both protocols counts once). */
  readonly groups: Set<readonly Pod[]>;
  pods: number;
  readonly examples: string[];
}

/** The first address of a block that is no pod's (each pod address skipped moves on by one: as many steps as there are pods, at most). */
function firstOutside(b: AddressBlock, ref: ReferenceEvaluator): IPAddress | undefined {
  for (const r of b.ranges) {
    for (let value = r.first; value <= r.last; value++) {
      const address: IPAddress = { family: b.family, value };
      if (!ref.index.podByIP(address)) return address;
    }
  }
  return undefined;
}

/** One address per block of the address space the egress rules cut (externalBlocks) that is no pod's, when the block has one. */
export function outsideAddresses(cluster: Cluster, ref: ReferenceEvaluator): FlowEnd[] {
  const out: FlowEnd[] = [];
  for (const b of externalBlocks(cluster, 'egress')) {
    const first = firstOutside(b, ref);
    if (first) out.push({ address: first });
  }
  return out;
}

/** Where a denial of DNS is reported: a NetworkPolicy's field, or a cluster-scoped Deny rule. */
export interface DnsDenialSite {
  readonly object: LintObjectRef;
  readonly path: (string | number)[];
}

/** Pods (of one namespace, judged alike) that cannot reach DNS over one protocol, and where that is reported. */
export interface DnsDenial {
  readonly pods: readonly Pod[];
  readonly protocol: (typeof PROTOCOLS)[number];
  /** Undefined only if the evaluator named no policy (it always does for a denial). */
  readonly at: DnsDenialSite | undefined;
}

/** What egress-without-dns computes (see the module comment): the kube-dns pods (none: the stand-in was used) and every denial. */
export function dnsDenials(ctx: LintContext): { readonly dnsPods: readonly Pod[]; readonly denials: readonly DnsDenial[] } {
  const scope = ruleScope(ctx);
  const ref = referenceEvaluator(ctx);
  const isDns = (p: Pod): boolean => p.namespace === DNS_NAMESPACE && p.labels[DNS_LABEL.key] === DNS_LABEL.value;
  const dnsPods = ctx.endpoints.filter(isDns);
  const standIn = dnsPods.length === 0;
  const targets: FlowEnd[] = standIn ? [{ pod: STAND_IN }] : dnsPods.map((pod) => ({ pod, ...(pod.ips[0] && { address: pod.ips[0] }) }));
  // Without kube-dns pods, any address that is no pod's will do: one per block of addresses the
  // egress rules tell apart (a pod's address would be judged as that pod, the pod itself included).
  const addresses: FlowEnd[] = standIn ? outsideAddresses(ctx.cluster, ref) : [];
  // Who can be denied egress: every pod when a cluster-scoped policy has egress rules, else the
  // NetworkPolicies' egress subjects. Pods of one namespace selected by the same egress policies
  // get the same egress answers (with tiers, only pods with the same labels: tiers select by them).
  const tiers = (ctx.cluster.clusterPolicies ?? []).some((cp) => cp.egress.length > 0);
  const egressPolicies = ctx.cluster.policies.filter((p) => p.affects.egress);
  const groups = new Map<string, Pod[]>();
  for (const namespace of scope.namespaces) {
    const local = egressPolicies.filter((p) => p.namespace === namespace);
    if (local.length === 0 && !tiers) continue;
    for (const g of scope.labelGroups(namespace)) {
      const pods = g.pods.filter((p) => !isDns(p));
      if (pods.length === 0) continue;
      const selecting = local.flatMap((p, i) => (selectorMatches(p.podSelector, g.labels) ? [i] : []));
      if (selecting.length === 0 && !tiers) continue;
      const key = `${namespace}\0${selecting.join(',')}${tiers ? `\0${groups.size}` : ''}`;
      const list = groups.get(key);
      if (list) list.push(...pods);
      else groups.set(key, [...pods]);
    }
  }
  const clusterPolicies = new Map((ctx.cluster.clusterPolicies ?? []).map((cp) => [clusterPolicyKey(cp), cp] as const));
  const policies = new Map(ctx.cluster.policies.map((p) => [policyKey(p), p] as const));
  const denials: DnsDenial[] = [];
  for (const pods of groups.values()) {
    const src: FlowEnd = { pod: pods[0]! };
    const reaches = (dst: FlowEnd, protocol: number): boolean => !isDenying(ref.verdictBetween(src, dst, protocol, 53).egress);
    for (const protocol of PROTOCOLS) {
      const number = PROTOCOL_NUMBERS[protocol];
      const blocked = standIn
        ? reaches(targets[0]!, number) || addresses.some((a) => reaches(a, number))
          ? undefined
          : targets[0]
        : targets.find((t) => !reaches(t, number));
      if (!blocked) continue;
      const detail = ref.explainBetween(src, blocked, number, 53).egressDetail;
      let at: DnsDenialSite | undefined;
      if (detail.decision === 'denied') {
        const isolating = detail.isolatedBy.map((k) => policies.get(k)!).filter(Boolean);
        const widest = isolating.reduce<NetworkPolicy | undefined>(
          (best, p) => (!best || scope.subjects(p).length > scope.subjects(best).length ? p : best),
          undefined,
        );
        if (widest)
          at = {
            object: { kind: 'NetworkPolicy', namespace: widest.namespace, name: widest.name },
            path: widest.egress.length === 0 ? ['spec', 'policyTypes'] : ['spec', 'egress'],
          };
      } else {
        const deny = detail.clusterRules[detail.clusterRules.length - 1];
        const cp: ClusterPolicy | undefined = deny && clusterPolicies.get(deny.policy);
        if (deny && cp) at = { object: { kind: cp.kind, name: cp.name }, path: ['spec', 'egress', deny.ruleIndex] };
      }
      denials.push({ pods, protocol, at });
    }
  }
  return { dnsPods, denials };
}

export const EGRESS_WITHOUT_DNS: LintCheck = {
  id: 'egress-without-dns',
  severity: 'warning',
  title: 'Pods isolated for egress that cannot reach DNS',
  description:
    "The pods this policy isolates for egress are not allowed UDP and TCP port 53 to kube-dns (the kube-system pods labelled k8s-app=kube-dns), so every name lookup fails: the first thing a default-deny egress breaks. Add an egress rule allowing both protocols to kube-dns (a rule to the DNS Service's ClusterIP does not help: policy sees the pod address after translation).",
  *run(ctx) {
    const { dnsPods, denials } = dnsDenials(ctx);
    const findings = new Map<string, Finding>();
    for (const { pods, protocol, at } of denials) {
      if (!at) continue;
      const key = `${at.object.kind}\0${at.object.namespace ?? ''}\0${at.object.name}`;
      let f = findings.get(key);
      if (!f) findings.set(key, (f = { ...at, missing: new Set(), groups: new Set(), pods: 0, examples: [] }));
      if (!f.groups.has(pods)) {
        f.groups.add(pods);
        f.pods += pods.length;
        f.examples.push(`${pods[0]!.namespace}/${pods[0]!.name}`);
      }
      f.missing.add(protocol);
    }
    const standIn = dnsPods.length === 0;
    const where = standIn
      ? `kube-dns (no ${DNS_NAMESPACE} pod labelled ${DNS_LABEL.key}=${DNS_LABEL.value} in the input: checked against such a pod and every address)`
      : `kube-dns (${someOf(dnsPods.map((p) => `${p.namespace}/${p.name}`))})`;
    for (const f of findings.values()) {
      const missing = PROTOCOLS.filter((p) => f.missing.has(p))
        .map((p) => `${p} 53`)
        .join(' and ');
      const cluster = f.object.namespace === undefined;
      yield {
        object: f.object,
        path: f.path,
        message: `${f.pods} pod${f.pods === 1 ? '' : 's'} it ${cluster ? 'denies' : 'isolates for'} egress (${someOf(f.examples)}) cannot reach ${missing} to ${where}: name lookups fail`,
        fix: cluster
          ? `add an Accept rule for UDP and TCP 53 to the ${DNS_NAMESPACE} pods labelled ${DNS_LABEL.key}=${DNS_LABEL.value} before this Deny rule (or a higher-priority policy)`
          : `add to spec.egress: ${DNS_RULE}`,
      };
    }
  },
};
