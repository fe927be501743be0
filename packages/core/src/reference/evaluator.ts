/**
 * The reference evaluator: spec/semantics.md §2.12 written out directly, over the model.
 * It is the oracle every faster engine is fuzzed against, so it favours being obviously
 * right over being fast: no caches, no precomputation beyond the cluster index.
 */
import { formatIP, ipEquals, unmapIPv4, type IPAddress } from '../ip/address.js';
import { cidrContains } from '../ip/cidr.js';
import { ClusterIndex } from '../model/cluster-index.js';
import type { DirectionExplanation, Explanation, Flow, RuleMiss, RuleRef, Verdict } from '../model/flow.js';
import { describeAddress, describePort } from '../model/describe.js';
import { PROTOCOL_NUMBERS, protocolName } from '../model/protocol.js';
import { selectorMatches } from '../model/selector.js';
import { policyKey, type Cluster, type Direction, type NetworkPolicy, type Peer, type Pod, type PolicyPort, type Rule } from '../model/types.js';
import { EVALUATION_OPTIONS, resolveOptions, type EvaluationOptions, type ResolvedOptions } from '../model/options.js';
import { checkOptions } from '../model/check-options.js';
import { assertOneFamily } from '../model/mixed-families.js';

/** Both ends of a flow as the evaluator sees them. */
interface Ends {
  readonly flow: Flow;
  readonly srcPod: Pod | undefined;
  readonly dstPod: Pod | undefined;
}

const podName = (p: Pod | undefined): string | null => (p ? `${p.namespace}/${p.name}` : null);

function always(direction: Direction, endpoint: Pod | undefined, reason: 'self' | 'reply' | 'icmpv6-nd'): DirectionExplanation {
  return { direction, endpoint: podName(endpoint), decision: 'allowed', reason, isolatedBy: [], allowedBy: [], rejected: [] };
}

export class ReferenceEvaluator {
  readonly index: ClusterIndex;
  readonly options: ResolvedOptions;

  constructor(cluster: Cluster, options: EvaluationOptions = {}) {
    checkOptions('ReferenceEvaluator options', options, EVALUATION_OPTIONS);
    this.index = new ClusterIndex(cluster);
    this.options = resolveOptions(options);
  }

  /** The verdict alone. Throws RangeError for a flow whose two ends are of different families. */
  verdict(input: Flow): Verdict {
    const flow = this.normalize(input);
    const ends: Ends = { flow, srcPod: this.index.podByIP(flow.src), dstPod: this.index.podByIP(flow.dst) };
    if (this.alwaysAllowed(ends)) return { allowed: true, egress: 'allowed', ingress: 'allowed' };
    const egress = this.direction('egress', ends, false).decision;
    const ingress = this.direction('ingress', ends, false).decision;
    return { allowed: egress !== 'denied' && ingress !== 'denied', egress, ingress };
  }

  explain(input: Flow): Explanation {
    const flow = this.normalize(input);
    const ends: Ends = { flow, srcPod: this.index.podByIP(flow.src), dstPod: this.index.podByIP(flow.dst) };
    let egress: DirectionExplanation;
    let ingress: DirectionExplanation;
    const special = this.alwaysAllowed(ends);
    if (special) {
      egress = always('egress', ends.srcPod, special);
      ingress = always('ingress', ends.dstPod, special);
    } else {
      egress = this.direction('egress', ends, true);
      ingress = this.direction('ingress', ends, true);
    }
    const ok = (d: DirectionExplanation): boolean => d.decision !== 'denied';
    return {
      allowed: ok(egress) && ok(ingress),
      egress: egress.decision,
      ingress: ingress.decision,
      src: formatIP(flow.src),
      dst: formatIP(flow.dst),
      protocol: protocolName(flow.protocol),
      ...(flow.port !== undefined && { port: flow.port }),
      egressDetail: egress,
      ingressDetail: ingress,
    };
  }

  private normalize(flow: Flow): Flow {
    let { src, dst } = flow;
    if (this.options.ipv4MappedAsIPv4) {
      src = unmapIPv4(src);
      dst = unmapIPv4(dst);
    }
    assertOneFamily(src, dst);
    return { ...flow, src, dst };
  }

  private alwaysAllowed(ends: Ends): 'self' | 'reply' | 'icmpv6-nd' | undefined {
    const { flow, srcPod, dstPod } = ends;
    if (flow.established) return 'reply';
    if (srcPod && srcPod === dstPod) return 'self';
    if (
      this.options.allowICMPv6NeighborDiscovery &&
      flow.protocol === PROTOCOL_NUMBERS.ICMPv6 &&
      flow.icmpType !== undefined &&
      flow.icmpType >= 133 &&
      flow.icmpType <= 137
    ) {
      return 'icmpv6-nd';
    }
    return undefined;
  }

  /**
   * Egress is judged on the source pod, ingress on the destination pod (§2.1). Without
   * `detail` it stops at the first matching rule and writes no reasons (the same logic,
   * minus the words).
   */
  private direction(direction: Direction, ends: Ends, detail: boolean): DirectionExplanation {
    const { flow } = ends;
    const subject = direction === 'egress' ? ends.srcPod : ends.dstPod;
    const base = { direction, endpoint: podName(subject), isolatedBy: [] as string[], allowedBy: [] as RuleRef[], rejected: [] as RuleMiss[] };
    if (!subject) return { ...base, decision: 'not-applicable', reason: 'not-a-pod' };

    const isolating = this.index
      .policiesIn(subject.namespace)
      .filter((p) => p.affects[direction] && selectorMatches(p.podSelector, subject.labels));
    if (isolating.length === 0) return { ...base, decision: 'not-isolated', reason: 'no-policy' };
    const isolatedBy = isolating.map(policyKey);

    // "Ingress from the pod's own node is always allowed" (API field doc, §2.9).
    const peerAddr = direction === 'egress' ? flow.dst : flow.src;
    const localNode = subject.nodeName ? this.index.ipsOfNode(subject.nodeName).some((ip) => ipEquals(ip, peerAddr)) : false;
    if (localNode && (direction === 'ingress' ? this.options.allowIngressFromLocalNode : this.options.allowEgressToLocalNode)) {
      return { ...base, isolatedBy, decision: 'allowed', reason: 'local-node' };
    }

    const allowedBy: RuleRef[] = [];
    const rejected: RuleMiss[] = [];
    for (const policy of isolating) {
      if (!detail && allowedBy.length > 0) break;
      const rules = policy[direction];
      if (rules.length === 0) {
        rejected.push({ policy: policyKey(policy), direction, ruleIndex: null, peerMatched: false, portMatched: false, reason: `${policyKey(policy)} has no ${direction} rules: it only isolates` });
      }
      rules.forEach((rule, ruleIndex) => {
        const m = this.ruleMatch(rule, policy, direction, ends);
        if (m.peerIndex !== undefined && m.portIndex !== undefined) {
          allowedBy.push({ policy: policyKey(policy), direction, ruleIndex, peerIndex: m.peerIndex, portIndex: m.portIndex });
        } else if (detail) {
          rejected.push({ policy: policyKey(policy), direction, ruleIndex, peerMatched: m.peerIndex !== undefined, portMatched: m.portIndex !== undefined, reason: this.missReason(rule, direction, ends, m) });
        }
      });
    }
    if (allowedBy.length > 0) return { ...base, isolatedBy, decision: 'allowed', reason: 'rule', allowedBy };
    return { ...base, isolatedBy, decision: 'denied', reason: 'no-rule-matched', rejected };
  }

  /** First matching peer and port; null = the list is empty (matches all); undefined = no match. */
  private ruleMatch(rule: Rule, policy: NetworkPolicy, direction: Direction, ends: Ends): { peerIndex: number | null | undefined; portIndex: number | null | undefined } {
    const peerAddr = direction === 'egress' ? ends.flow.dst : ends.flow.src;
    const peerPod = direction === 'egress' ? ends.dstPod : ends.srcPod;
    const peerIndex = rule.peers.length === 0 ? null : indexOrUndefined(rule.peers.findIndex((p) => this.peerMatches(p, policy, peerAddr, peerPod)));
    // Named ports always resolve on the destination pod, for both directions (§2.5).
    const portIndex = rule.ports.length === 0 ? null : indexOrUndefined(rule.ports.findIndex((p) => this.portMatches(p, ends.flow, ends.dstPod)));
    return { peerIndex, portIndex };
  }

  private peerMatches(peer: Peer, policy: NetworkPolicy, addr: IPAddress, pod: Pod | undefined): boolean {
    if (peer.kind === 'ipBlock') {
      if (!this.options.ipBlockMatchesPods && (pod || this.index.nodeByIP(addr) !== undefined)) return false;
      const { cidr, except } = peer.ipBlock;
      return cidrContains(cidr, addr) && !except.some((e) => cidrContains(e, addr));
    }
    if (!pod) return false; // selectors only ever match pods
    // A podSelector alone is scoped to the policy's namespace (§1.4).
    const namespaceOK = peer.namespaceSelector
      ? selectorMatches(peer.namespaceSelector, this.index.namespaceLabels(pod.namespace))
      : pod.namespace === policy.namespace;
    const podOK = peer.podSelector ? selectorMatches(peer.podSelector, pod.labels) : true;
    return namespaceOK && podOK;
  }

  private portMatches(port: PolicyPort, flow: Flow, owner: Pod | undefined): boolean {
    // A rule with ports is L4-specific: it never matches ICMP or other protocols (§2.6).
    if (flow.protocol !== PROTOCOL_NUMBERS[port.protocol] || flow.port === undefined) return false;
    if (port.port === undefined) return true;
    if (typeof port.port === 'number') return flow.port >= port.port && flow.port <= (port.endPort ?? port.port);
    if (!owner) return false; // a named port never matches a non-pod destination
    return owner.ports.some(
      (cp) => cp.name === port.port && cp.protocol === port.protocol && cp.port === flow.port && (this.options.initContainerPorts || !cp.init),
    );
  }

  private missReason(rule: Rule, direction: Direction, ends: Ends, m: { peerIndex: number | null | undefined; portIndex: number | null | undefined }): string {
    const parts: string[] = [];
    if (m.peerIndex === undefined) {
      const side = direction === 'egress' ? 'destination' : 'source';
      const addr = direction === 'egress' ? ends.flow.dst : ends.flow.src;
      const pod = direction === 'egress' ? ends.dstPod : ends.srcPod;
      parts.push(`${side} ${describeAddress(addr, pod)} matches none of its ${rule.peers.length} peer(s)`);
    }
    if (m.portIndex === undefined) {
      const what = ends.flow.port !== undefined ? `${protocolName(ends.flow.protocol)}/${ends.flow.port}` : protocolName(ends.flow.protocol);
      parts.push(`${what} matches none of its ports (${rule.ports.map(describePort).join(', ')})`);
    }
    return parts.join('; ');
  }
}

function indexOrUndefined(i: number): number | undefined {
  return i < 0 ? undefined : i;
}
