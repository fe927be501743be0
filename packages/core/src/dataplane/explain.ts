/**
 * Explain for an image: the decision steps of model/decision.ts answered from the image's
 * provenance (who owns each entry, which policies isolate it, which peers it matches, each
 * rule's terms), then checked against the kernel's own answer for the same flow, direction by
 * direction, so a trace can never silently disagree with the datapath. compile()'s provenance
 * and the live compiler's both fit `ImageProvenance`.
 *
 * The Admin and Baseline tiers are answered by model/cluster-tier.ts over the provenance's
 * cluster-scoped policies (the rule that decided, every Pass, the ties), and checked against the
 * kernel's tier cells like the NetworkPolicy rules are against its matrices: a disagreement is
 * an internal error, never an explanation.
 */
import { IMAGE_FLAGS, HEADER } from '../compile/layout.js';
import { namedKey, type NamedPorts } from '../compile/pod-identity.js';
import { formatIP, unmapIPv4, type IPAddress } from '../ip/address.js';
import type { Kernel } from '../kernels/js-kernel.js';
import type { ClusterPeerTarget } from '../model/cluster-match.js';
import { evaluateTier, type TierOutcome } from '../model/cluster-tier.js';
import { decideDirection, isFlowWideStep } from '../model/decision.js';
import { describePort } from '../model/describe.js';
import type { DirectionExplanation, Explanation, Flow } from '../model/flow.js';
import { PROTOCOL_NUMBERS, protocolName } from '../model/protocol.js';
import { onlyIsolates, portMiss, recordRule, type NamedPortResolver, type PeerTarget, type RuleOutcomes } from '../model/rule-miss.js';
import {
  policyKey,
  type ClusterPolicy,
  type Direction,
  type Labels,
  type NetworkPolicy,
  type Pod,
  type PolicyPort,
  type Rule,
  type Tier,
} from '../model/types.js';
import { decodeVerdict, DECISIONS } from '../compile/verdict.js';
import { portArgument } from './image-dataplane.js';

/** What an image entry stands for (compile()'s Provenance entries, the live compiler's EntryProvenance). */
export interface EntryFacts {
  readonly pod: Pod | undefined;
  readonly identity:
    | { readonly namedPorts: NamedPorts; readonly selectorPeers: readonly number[]; readonly isolatedBy: Readonly<Record<Direction, readonly number[]>> }
    | undefined;
  /** The ipBlock peer ids containing the entry's address or prefix. */
  readonly ipPeers: readonly number[];
}

/** An image's provenance as explain reads it. Ids are the compiler's policy, rule and peer ids. */
export interface ImageProvenance {
  /** EvaluationOptions.ipBlockMatchesPods the image was compiled with (it names the why of an ipBlock miss). */
  readonly ipBlockMatchesPods: boolean;
  entry(entry: number): EntryFacts | undefined;
  policy(id: number): NetworkPolicy;
  /** Rule ids of a policy in a direction (empty when the policy does not affect it). */
  rulesOf(policy: number, direction: Direction): readonly number[];
  /** `index`: the rule's position in the policy's list; `peerIds[i]` is `rule.peers[i]`'s id. */
  rule(id: number): { readonly index: number; readonly rule: Rule; readonly peerIds: readonly number[] };
  namespaceLabels(namespace: string): Labels;
  isNodeAddress(ip: IPAddress): boolean;
  /**
   * Whether `port` (a rule's, named ports resolved through `owner`) admits port class `pc` by
   * the image's port classes, when the provenance keeps them: explain then checks the rule's
   * own terms against the classes port by port.
   */
  portAdmits?(port: PolicyPort, owner: NamedPorts | undefined, pc: number): boolean;
  /** The cluster-scoped side of the image; absent: it was compiled without cluster-scoped policies. */
  readonly tiers?: ImageTiers;
  /**
   * Objects of other policy APIs left out by explicit choice (ignoredObjectKey, as
   * `Explanation.ignoring` names them); absent or empty: none.
   */
  readonly ignoring?: readonly string[];
}

/** What explain reads to answer the Admin and Baseline tiers of an image. */
export interface ImageTiers {
  /** The cluster-scoped policies the image holds, in evaluation order (orderClusterPolicies). */
  readonly policies: readonly ClusterPolicy[];
  /** EvaluationOptions.initContainerPorts (cluster-scoped named ports resolve with it too). */
  readonly initContainerPorts: boolean;
  /** The Node owning an address (its addresses, its hostNetwork pods' IPs), if any. */
  nodeOf(ip: IPAddress): string | undefined;
  nodeLabels(node: string): Labels;
  /** The image's class of a destination name (Flow.dstName; 0: none, or no domainNames peer matches it). */
  nameClass(name: string | undefined): number;
}

const ND_FIRST = 133;
const ND_LAST = 137;

/**
 * A flow whose ends may lack an address (model/flow.ts `FlowEnd`: a pod without one, whose
 * entry compile() appended): what explainEntries judges.
 */
export type EndsFlow = Omit<Flow, 'src' | 'dst'> & { readonly src: IPAddress | undefined; readonly dst: IPAddress | undefined };

/** Explains `flow` between resolved entries `s` and `d` of `kernel`'s image. */
export function explainImage(kernel: Kernel, prov: ImageProvenance, flow: Flow, s: number, d: number): Explanation {
  const mapped = (kernel.views.header[HEADER.flags]! & IMAGE_FLAGS.ipv4MappedAsIPv4) !== 0;
  return explainEntries(kernel, prov, { ...flow, src: mapped ? unmapIPv4(flow.src) : flow.src, dst: mapped ? unmapIPv4(flow.dst) : flow.dst }, s, d);
}

/**
 * Explains a flow between entries `s` and `d` whose ends may have no address (verdictBetween's
 * ends, addresses already as the image reads them): an end without one is named by its pod.
 */
export function explainEntries(kernel: Kernel, prov: ImageProvenance, flow: EndsFlow, s: number, d: number): Explanation {
  const flags = kernel.views.header[HEADER.flags]!;
  const { src, dst } = flow;
  const portArg = portArgument(flow);
  const established = flow.established === true;
  const nameClass = prov.tiers?.nameClass(flow.dstName) ?? 0;
  const v = decodeVerdict(kernel.decide(s, d, flow.protocol, portArg, established, nameClass));
  const special = kernel.special(s, d, flow.protocol, portArg, established);
  const pc = kernel.portClass(flow.protocol, portArg);
  const ends = [known(prov, s), known(prov, d)] as const;
  const detail = (direction: Direction): DirectionExplanation => {
    const [local, remote] = direction === 'egress' ? ends : [ends[1], ends[0]];
    const isolating = local.identity?.isolatedBy[direction] ?? [];
    const e = decideDirection({
      direction,
      endpoint: local.pod ? `${local.pod.namespace}/${local.pod.name}` : null,
      reply: () => established,
      self: () => ends[0].pod !== undefined && ends[0].pod === ends[1].pod,
      neighborDiscovery: () =>
        (flags & IMAGE_FLAGS.allowICMPv6NeighborDiscovery) !== 0 &&
        flow.protocol === PROTOCOL_NUMBERS.ICMPv6 &&
        flow.icmpType !== undefined &&
        flow.icmpType >= ND_FIRST &&
        flow.icmpType <= ND_LAST,
      isolatedBy: () => isolating.map((p) => policyKey(prov.policy(p))),
      localNode: () => kernel.localNode(direction, s, d),
      rules: () => rules(prov, direction, isolating, flow, remote, ends[1], pc),
      ...(prov.tiers &&
        local.pod && {
          admin: () => tier(prov.tiers!, 'Admin', direction, prov, flow, local.pod!, remote, ends[1]),
          baseline: () => tier(prov.tiers!, 'Baseline', direction, prov, flow, local.pod!, remote, ends[1]),
        }),
    });
    // The steps, read from provenance, must say what the kernel's tables say.
    const kernelDecision = special ? 'allowed' : DECISIONS[direction === 'egress' ? kernel.egress(s, d, pc, nameClass) : kernel.ingress(s, d, pc)]!;
    if (e.decision !== kernelDecision || isFlowWideStep(e.steps[e.steps.length - 1]!.step) !== special) {
      throw new Error(
        `internal error: explain (${e.decision}, ${e.reason}) disagrees with the kernel (${kernelDecision}${special ? ', always allowed' : ''}) for ${direction} ${endText(src, ends[0])} -> ${endText(dst, ends[1])}`,
      );
    }
    return e;
  };
  const egressDetail = detail('egress');
  const ingressDetail = detail('ingress');
  return {
    ...v,
    src: endText(src, ends[0]),
    dst: endText(dst, ends[1]),
    protocol: protocolName(flow.protocol),
    ...(flow.port !== undefined && { port: flow.port }),
    egressDetail,
    ingressDetail,
    ...(prov.ignoring && prov.ignoring.length > 0 && { ignoring: prov.ignoring }),
  };
}

/** One tier for one direction, from the provenance's policies (model/cluster-tier.ts, as the reference). */
function tier(
  t: ImageTiers,
  which: Tier,
  direction: Direction,
  prov: ImageProvenance,
  flow: EndsFlow,
  subject: Pod,
  remote: EntryFacts,
  destination: EntryFacts,
): TierOutcome {
  const address = direction === 'egress' ? flow.dst : flow.src;
  const target: ClusterPeerTarget = {
    address,
    pod: remote.pod,
    namespaceLabels: (ns) => prov.namespaceLabels(ns),
    node: address && t.nodeOf(address),
    nodeLabels: (node) => t.nodeLabels(node),
    // Names are the destination's: only egress peers see them.
    dstName: direction === 'egress' ? flow.dstName : undefined,
  };
  return evaluateTier({
    policies: t.policies,
    tier: which,
    direction,
    subject,
    subjectNamespaceLabels: prov.namespaceLabels(subject.namespace),
    remote: target,
    flow,
    dstPod: destination.pod,
    initContainerPorts: t.initContainerPorts,
  });
}

/** An end as explanations name it: its address, or for a pod without one `namespace/name`. */
const endText = (address: IPAddress | undefined, e: EntryFacts): string => (address ? formatIP(address) : e.pod ? `${e.pod.namespace}/${e.pod.name}` : '');

function known(prov: ImageProvenance, entry: number): EntryFacts {
  const e = prov.entry(entry);
  if (!e) throw new Error(`internal error: the kernel resolved an address to entry ${entry}, which no address or prefix owns`);
  return e;
}

/** The rules step from provenance: peers by the peer ids the remote entry matches, ports by the rule's terms. */
function rules(
  prov: ImageProvenance,
  direction: Direction,
  isolating: readonly number[],
  flow: EndsFlow,
  remote: EntryFacts,
  destination: EntryFacts,
  pc: number,
): RuleOutcomes {
  const matched = new Set([...(remote.identity?.selectorPeers ?? []), ...remote.ipPeers]);
  const address = direction === 'egress' ? flow.dst : flow.src;
  // Named ports resolve on the destination (§2.5), through its identity's named-port profile.
  const owner = destination.identity?.namedPorts;
  const resolve: NamedPortResolver = (name, protocol) => (destination.pod ? (owner?.get(namedKey(name, protocol)) ?? []) : null);
  const portMatches = (p: PolicyPort): boolean => {
    const matches = portMiss(p, flow, resolve) === undefined;
    if (prov.portAdmits && prov.portAdmits(p, owner, pc) !== matches) {
      throw new Error(
        `internal error: port ${describePort(p)} ${matches ? 'matches' : 'misses'} ${protocolName(flow.protocol)}/${flow.port ?? '-'} by its terms but not by the image's port class ${pc}`,
      );
    }
    return matches;
  };
  const out: RuleOutcomes = { allowedBy: [], rejected: [] };
  for (const pi of isolating) {
    const policy = prov.policy(pi);
    const name = policyKey(policy);
    const ruleIds = prov.rulesOf(pi, direction);
    if (ruleIds.length === 0) out.rejected.push(onlyIsolates(name, direction));
    const target: PeerTarget = {
      policyNamespace: policy.namespace,
      address,
      pod: remote.pod,
      isNode: address !== undefined && prov.isNodeAddress(address),
      namespaceLabels: (ns) => prov.namespaceLabels(ns),
      ipBlockMatchesPods: prov.ipBlockMatchesPods,
    };
    for (const ruleId of ruleIds) {
      const { index: ruleIndex, rule, peerIds } = prov.rule(ruleId);
      const peerIndex = peerIds.length === 0 ? null : peerIds.findIndex((p) => matched.has(p));
      const portIndex = rule.ports.length === 0 ? null : rule.ports.findIndex(portMatches);
      recordRule(out, { policy: name, direction, ruleIndex, rule, peerIndex, portIndex }, { target, flow, resolve, destination: destination.pod });
    }
  }
  return out;
}
