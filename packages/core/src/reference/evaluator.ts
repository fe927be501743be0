/**
 * The reference evaluator: docs/semantics.md §2.12 and the cluster-scoped tiers around it
 * (Admin before NetworkPolicy, Baseline after) written out directly, over the model.
 * It is the oracle every faster engine is fuzzed against, so it favours being obviously
 * right over being fast: no caches, no precomputation beyond the cluster index.
 */
import { formatIP, ipEquals, unmapIPv4, type IPAddress } from '../ip/address.js';
import { ClusterIndex, isTerminal } from '../model/cluster-index.js';
import { orderClusterPolicies, type ClusterPeerTarget } from '../model/cluster-match.js';
import { evaluateTier, type TierOutcome } from '../model/cluster-tier.js';
import { decideDirection } from '../model/decision.js';
import { isDenying, type DirectionExplanation, type Explanation, type Flow, type FlowEnd, type Verdict } from '../model/flow.js';
import { PROTOCOL_NUMBERS, protocolName } from '../model/protocol.js';
import { namedPortNumbers, onlyIsolates, peerMiss, portMiss, recordRule, type PeerTarget, type RuleOutcomes } from '../model/rule-miss.js';
import { selectorMatches } from '../model/selector.js';
import {
  ignoredObjectKey,
  policyKey,
  type Cluster,
  type ClusterPolicy,
  type Direction,
  type NetworkPolicy,
  type Pod,
  type PolicyProtocol,
  type Tier,
} from '../model/types.js';
import { EVALUATION_OPTIONS, resolveOptions, type EvaluationOptions, type ResolvedOptions } from '../model/options.js';
import { checkOptions } from '../model/check-options.js';
import { assertOneFamily } from '../model/mixed-families.js';

/**
 * Both ends of a flow as the evaluator sees them: each an address, a pod, or both (a pod
 * without an address: a workload's template pod); `flow` carries the rest of the flow.
 */
interface Ends {
  readonly flow: Omit<Flow, 'src' | 'dst'>;
  readonly src: IPAddress | undefined;
  readonly dst: IPAddress | undefined;
  readonly srcPod: Pod | undefined;
  readonly dstPod: Pod | undefined;
}

const podName = (p: Pod | undefined): string | null => (p ? `${p.namespace}/${p.name}` : null);

/**
 * The spec written out (docs/semantics.md §2.12, with the cluster-scoped tiers): slow, obviously
 * right, the oracle the compiled engines are checked against. Same verdicts and explanations as
 * CompiledDataplane.
 */
export class ReferenceEvaluator {
  readonly index: ClusterIndex;
  readonly options: ResolvedOptions;
  /** The cluster-scoped policies in evaluation order. */
  private readonly clusterPolicies: readonly ClusterPolicy[];
  /** `Explanation.ignoring`: the ignored objects, or undefined when there are none. */
  private readonly ignoring: readonly string[] | undefined;

  constructor(cluster: Cluster, options: EvaluationOptions = {}) {
    checkOptions('ReferenceEvaluator options', options, EVALUATION_OPTIONS);
    this.index = new ClusterIndex(cluster);
    this.options = resolveOptions(options);
    this.clusterPolicies = orderClusterPolicies(cluster.clusterPolicies ?? []);
    const ignored = cluster.ignoredObjects ?? [];
    this.ignoring = ignored.length > 0 ? ignored.map(ignoredObjectKey) : undefined;
  }

  /** The verdict alone. Throws RangeError for a flow whose two ends are of different families. */
  verdict(input: Flow): Verdict {
    return this.judge(this.ends(input));
  }

  /** The verdict with its reasons, per direction. Throws MixedFamiliesError for ends of different families. */
  explain(input: Flow): Explanation {
    return this.explainEnds(this.ends(input));
  }

  /**
   * The verdict between two ends, either of which may be a pod without an address (FlowEnd: a
   * workload's template pod): such a pod is a subject and a selector peer like any pod, never
   * matched by ipBlock, `networks` or `nodes` peers, never exempt as local-node traffic. Two
   * address ends are judged as `verdict` judges a Flow between them. `port`: the destination
   * port (TCP, UDP, SCTP). Throws MixedFamiliesError for two addresses of different families.
   */
  verdictBetween(src: FlowEnd, dst: FlowEnd, protocol: number, port?: number): Verdict {
    return this.judge(this.endsBetween(src, dst, protocol, port));
  }

  /** verdictBetween with its reasons; an end without an address is named `namespace/pod`. */
  explainBetween(src: FlowEnd, dst: FlowEnd, protocol: number, port?: number): Explanation {
    return this.explainEnds(this.endsBetween(src, dst, protocol, port));
  }

  private judge(ends: Ends): Verdict {
    const egress = this.direction('egress', ends, false).decision;
    const ingress = this.direction('ingress', ends, false).decision;
    return { allowed: !isDenying(egress) && !isDenying(ingress), egress, ingress };
  }

  private explainEnds(ends: Ends): Explanation {
    const { flow } = ends;
    const egress = this.direction('egress', ends, true);
    const ingress = this.direction('ingress', ends, true);
    const text = (address: IPAddress | undefined, pod: Pod | undefined): string => (address ? formatIP(address) : (podName(pod) ?? ''));
    return {
      allowed: !isDenying(egress.decision) && !isDenying(ingress.decision),
      egress: egress.decision,
      ingress: ingress.decision,
      src: text(ends.src, ends.srcPod),
      dst: text(ends.dst, ends.dstPod),
      protocol: protocolName(flow.protocol),
      ...(flow.port !== undefined && { port: flow.port }),
      egressDetail: egress,
      ingressDetail: ingress,
      ...(this.ignoring && { ignoring: this.ignoring }),
    };
  }

  private ends(input: Flow): Ends {
    let { src, dst } = input;
    if (this.options.ipv4MappedAsIPv4) {
      src = unmapIPv4(src);
      dst = unmapIPv4(dst);
    }
    assertOneFamily(src, dst);
    return { flow: input, src, dst, srcPod: this.index.podByIP(src), dstPod: this.index.podByIP(dst) };
  }

  private endsBetween(srcEnd: FlowEnd, dstEnd: FlowEnd, protocol: number, port?: number): Ends {
    for (const e of [srcEnd, dstEnd]) if (!e.address && !e.pod) throw new TypeError('a connection end needs an address or a pod');
    const address = (e: FlowEnd): IPAddress | undefined => (e.address && this.options.ipv4MappedAsIPv4 ? unmapIPv4(e.address) : e.address);
    const src = address(srcEnd);
    const dst = address(dstEnd);
    if (src && dst) assertOneFamily(src, dst);
    // With an address, the address decides (as for a Flow); without, the pod, when it takes part.
    const pod = (e: FlowEnd, a: IPAddress | undefined): Pod | undefined =>
      a ? this.index.podByIP(a) : e.pod && !e.pod.hostNetwork && !isTerminal(e.pod) ? e.pod : undefined;
    return { flow: { protocol, ...(port !== undefined && { port }) }, src, dst, srcPod: pod(srcEnd, src), dstPod: pod(dstEnd, dst) };
  }

  /**
   * Egress is judged on the source pod, ingress on the destination pod (§2.1), through the
   * steps of model/decision.ts. Without `detail` the rules step stops at the first matching
   * rule and writes no misses (the same logic, minus the words).
   */
  private direction(direction: Direction, ends: Ends, detail: boolean): DirectionExplanation {
    const { flow, srcPod, dstPod } = ends;
    const subject = direction === 'egress' ? srcPod : dstPod;
    const isolating = (): NetworkPolicy[] =>
      this.index.policiesIn(subject!.namespace).filter((p) => p.affects[direction] && selectorMatches(p.podSelector, subject!.labels));
    const [localAddr, peerAddr] = direction === 'egress' ? [ends.src, ends.dst] : [ends.dst, ends.src];
    return decideDirection({
      direction,
      endpoint: podName(subject),
      reply: () => flow.established === true,
      self: () => srcPod !== undefined && srcPod === dstPod,
      neighborDiscovery: () =>
        this.options.allowICMPv6NeighborDiscovery &&
        flow.protocol === PROTOCOL_NUMBERS.ICMPv6 &&
        flow.icmpType !== undefined &&
        flow.icmpType >= 133 &&
        flow.icmpType <= 137,
      isolatedBy: () => isolating().map(policyKey),
      localNode: () =>
        (direction === 'ingress' ? this.options.allowIngressFromLocalNode : this.options.allowEgressToLocalNode) &&
        // A pod without an address is on no node's network (and a node end always has one).
        localAddr !== undefined &&
        peerAddr !== undefined &&
        subject?.nodeName !== undefined &&
        this.index.ipsOfNode(subject.nodeName).some((ip) => ipEquals(ip, peerAddr)),
      rules: () => this.rules(direction, ends, isolating(), detail),
      admin: () => this.tier('Admin', direction, ends),
      baseline: () => this.tier('Baseline', direction, ends),
    });
  }

  /**
   * One cluster-scoped tier for this end (model/cluster-tier.ts). The remote end is seen as a
   * peer sees it: its pod-network pod, its node (Node addresses and hostNetwork pods' IPs, with
   * the Node's labels) and, for egress, the name the flow carries.
   */
  private tier(tier: Tier, direction: Direction, ends: Ends): TierOutcome {
    const { flow, srcPod, dstPod } = ends;
    const subject = (direction === 'egress' ? srcPod : dstPod)!; // the endpoint step passed: a pod
    const address = direction === 'egress' ? ends.dst : ends.src;
    const remote: ClusterPeerTarget = {
      address,
      pod: direction === 'egress' ? dstPod : srcPod,
      namespaceLabels: (ns) => this.index.namespaceLabels(ns),
      node: address && this.index.nodeByIP(address),
      nodeLabels: (node) => this.index.nodeLabels(node),
      dstName: direction === 'egress' ? flow.dstName : undefined,
    };
    return evaluateTier({
      policies: this.clusterPolicies,
      tier,
      direction,
      subject,
      subjectNamespaceLabels: this.index.namespaceLabels(subject.namespace),
      remote,
      flow,
      dstPod,
      initContainerPorts: this.options.initContainerPorts,
    });
  }

  /** Every rule of the isolating policies that allows the flow, and (with `detail`) every miss. */
  private rules(direction: Direction, ends: Ends, isolating: readonly NetworkPolicy[], detail: boolean): RuleOutcomes {
    const { flow } = ends;
    const peerPod = direction === 'egress' ? ends.dstPod : ends.srcPod;
    const address = direction === 'egress' ? ends.dst : ends.src;
    const isNode = address !== undefined && this.index.nodeByIP(address) !== undefined;
    // Named ports always resolve on the destination pod, for both directions (§2.5).
    const resolve = (name: string, protocol: PolicyProtocol): number[] | null => namedPortNumbers(ends.dstPod, name, protocol, this.options.initContainerPorts);
    const out: RuleOutcomes = { allowedBy: [], rejected: [] };
    for (const policy of isolating) {
      if (!detail && out.allowedBy.length > 0) break;
      const name = policyKey(policy);
      const rules = policy[direction];
      if (rules.length === 0) out.rejected.push(onlyIsolates(name, direction));
      const target: PeerTarget = {
        policyNamespace: policy.namespace,
        address,
        pod: peerPod,
        isNode,
        namespaceLabels: (ns) => this.index.namespaceLabels(ns),
        ipBlockMatchesPods: this.options.ipBlockMatchesPods,
      };
      rules.forEach((rule, ruleIndex) => {
        // First matching peer and port; null = the list is empty (matches all); -1 = no match.
        const peerIndex = rule.peers.length === 0 ? null : rule.peers.findIndex((p) => peerMiss(p, target) === undefined);
        const portIndex = rule.ports.length === 0 ? null : rule.ports.findIndex((p) => portMiss(p, flow, resolve) === undefined);
        recordRule(out, { policy: name, direction, ruleIndex, rule, peerIndex, portIndex }, detail ? { target, flow, resolve, destination: ends.dstPod } : undefined);
      });
    }
    return out;
  }
}
