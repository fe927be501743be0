/**
 * Verdicts on flows that do not name one address at each end: a flow to a Service, judged
 * after kube-proxy's DNAT as one flow per backend (model/services.ts), and a flow between
 * endpoints that stand for several pods or for pods without an address (`ns/name[Kind]`, a
 * workload's template pod). Every pair is judged by the engine (`verdictBetween`); the flow is
 * allowed iff every pair is, and there is at least one (fail closed: a Service without
 * backends reaches nothing); `some` says whether any pair is.
 */
import { formatIP, type Family } from '../ip/address.js';
import type { Decision, Explanation } from '../model/flow.js';
import { MixedFamiliesError } from '../model/mixed-families.js';
import { PROTOCOL_NUMBERS } from '../model/protocol.js';
import {
  serviceKey,
  ServiceIndex,
  type BackendSource,
  type NamedEnd,
  type ServiceBackend,
  type ServiceMiss,
  type ServiceTarget,
  type ServiceVia,
} from '../model/services.js';
import type { PolicyProtocol, ServicePort, ServiceType } from '../model/types.js';
import type { BetweenEngine } from './engine.js';

/** The verdict on one (source, destination) pair of an expanded flow. */
export interface PairVerdict {
  readonly src: string;
  /** The destination: a backend's or an endpoint's pod (`ns/pod`, `ns/name[Kind]`) or an address. */
  readonly dst: string;
  /** The destination's address; absent for a pod without one. */
  readonly address?: string;
  /** The destination port after DNAT (absent for protocols without ports). */
  readonly port?: number;
  readonly allowed: boolean;
  /** Per-direction decisions, when the pair could be judged. */
  readonly egress?: Decision;
  readonly ingress?: Decision;
  /** Why the pair could not be judged (it counts as denied). */
  readonly error?: string;
}

/**
 * A flow to a Service port, judged after DNAT: every backend (for every source pod, when the
 * source is an endpoint of several) with its verdict.
 */
export interface ServiceVerdict {
  /** `namespace/name`. */
  readonly service: string;
  readonly type: ServiceType;
  readonly headless: boolean;
  readonly via: ServiceVia;
  /** The Service address the client connected to (absent when the flow named the Service). */
  readonly address?: string;
  /** The Service port hit; absent when the address is the Service's but no port of it matches. */
  readonly servicePort?: ServicePort;
  readonly backendSource: BackendSource;
  /** Every backend allows the flow, and there is at least one. */
  readonly allowed: boolean;
  /** At least one backend allows it. */
  readonly some: boolean;
  readonly backends: readonly PairVerdict[];
  /** What was left out and why (not-ready endpoints, pods without the named port, ...), and no-backend cases. */
  readonly notes: readonly string[];
}

/** A flow between endpoints (several pods, or pods without an address), judged pair by pair. */
export interface EndsVerdict {
  readonly allowed: boolean;
  readonly some: boolean;
  readonly pairs: readonly PairVerdict[];
}

/** A pair to judge: its ends, port, and the verdict's naming. */
interface Pair {
  readonly src: NamedEnd;
  readonly dst: NamedEnd;
  readonly port?: number;
  readonly unjudgeable?: string;
}

const PROTOCOL: Readonly<Record<PolicyProtocol, number>> = { TCP: PROTOCOL_NUMBERS.TCP, UDP: PROTOCOL_NUMBERS.UDP, SCTP: PROTOCOL_NUMBERS.SCTP };

function judge(engine: BetweenEngine, pair: Pair, protocol: number): PairVerdict {
  const base = {
    src: pair.src.name,
    dst: pair.dst.name,
    ...(pair.dst.end.address && { address: formatIP(pair.dst.end.address) }),
    ...(pair.port !== undefined && { port: pair.port }),
  };
  if (pair.unjudgeable) return { ...base, allowed: false, error: pair.unjudgeable };
  try {
    const v = engine.verdictBetween(pair.src.end, pair.dst.end, protocol, pair.port);
    return { ...base, allowed: v.allowed, egress: v.egress, ingress: v.ingress };
  } catch (e) {
    if (!(e instanceof MixedFamiliesError)) throw e;
    return { ...base, allowed: false, error: 'the two ends have no address family in common' };
  }
}

/** What explains pairs with an end without an address, when the judging engine cannot (a ReferenceEvaluator). */
export type PairExplainer = () => Pick<BetweenEngine, 'explainBetween'>;

function explainPair(engine: BetweenEngine, pair: Pair, protocol: number, explainer?: PairExplainer): Explanation | undefined {
  if (pair.unjudgeable) return undefined;
  const { src, dst } = pair;
  try {
    if (src.end.address && dst.end.address)
      return engine.explain({ src: src.end.address, dst: dst.end.address, protocol, ...(pair.port !== undefined && { port: pair.port }) });
    const by = engine.explainBetween ? engine : explainer?.();
    return by?.explainBetween?.(src.end, dst.end, protocol, pair.port);
  } catch (e) {
    if (!(e instanceof MixedFamiliesError)) throw e;
    return undefined;
  }
}

const summary = (pairs: readonly PairVerdict[]): { allowed: boolean; some: boolean } => ({
  allowed: pairs.length > 0 && pairs.every((p) => p.allowed),
  some: pairs.some((p) => p.allowed),
});

/** The family backends are taken in: the Service address's, else the first source address's, else the Service's first ClusterIP's. */
function familyOf(target: ServiceTarget | ServiceMiss, sources: readonly NamedEnd[]): Family | undefined {
  if (target.address) return target.address.family;
  const fromSource = sources.find((s) => s.end.address)?.end.address?.family;
  return fromSource ?? target.service.clusterIPs[0]?.family;
}

const asList = (src: NamedEnd | readonly NamedEnd[]): readonly NamedEnd[] => (Array.isArray(src) ? src : [src as NamedEnd]);

function backendEnd(b: ServiceBackend): NamedEnd {
  // With an address the address decides (as for any flow); without one, the pod.
  return { name: b.name, end: b.address ? { address: b.address } : { pod: b.pod! } };
}

/** The pairs of a Service flow, and the verdict's frame (everything but the per-pair verdicts). */
function servicePairs(
  services: ServiceIndex,
  sources: readonly NamedEnd[],
  target: ServiceTarget | ServiceMiss,
): { pairs: Pair[]; frame: Omit<ServiceVerdict, 'allowed' | 'some' | 'backends'> } {
  const { service } = target;
  const common = {
    service: serviceKey(service),
    type: service.type,
    headless: service.headless,
    via: target.via,
    ...(target.address && { address: formatIP(target.address) }),
  };
  if (!('port' in target)) {
    const note = `${common.address ?? 'the address'} is ${common.service}'s, which has no port of this protocol and number there: kube-proxy translates nothing and the connection reaches no backend`;
    return { pairs: [], frame: { ...common, backendSource: 'none', notes: [note] } };
  }
  const { port } = target;
  const found = services.backends(target, familyOf(target, sources));
  const notes = [...found.notes];
  if (service.headless)
    notes.push('headless: no virtual address and no DNAT; clients reach each backend directly (the Service name resolves to their addresses)');
  if (found.backends.length === 0 && service.type !== 'ExternalName') notes.push('no backend: the connection is refused (kube-proxy rejects it)');
  const pairs: Pair[] = [];
  for (const src of sources)
    for (const b of found.backends) pairs.push({ src, dst: backendEnd(b), port: b.port, ...(b.unjudgeable && { unjudgeable: b.unjudgeable }) });
  return { pairs, frame: { ...common, servicePort: port, backendSource: found.source, notes } };
}

/** A Service flow judged: its pairs (for explanations), their protocol, and the verdict. */
function judgeService(
  engine: BetweenEngine,
  src: NamedEnd | readonly NamedEnd[],
  target: ServiceTarget | ServiceMiss,
  services: ServiceIndex,
): { pairs: Pair[]; protocol: number; verdict: ServiceVerdict } {
  const { pairs, frame } = servicePairs(services, asList(src), target);
  const protocol = frame.servicePort ? PROTOCOL[frame.servicePort.protocol] : PROTOCOL_NUMBERS.TCP;
  const backends = pairs.map((p) => judge(engine, p, protocol));
  return { pairs, protocol, verdict: { ...frame, ...summary(backends), backends } };
}

/**
 * The verdict on a flow from `src` (one end, or every pod of an endpoint) to a Service port,
 * after DNAT: each backend judged with its target port. `target` comes from
 * `ServiceIndex.at` (an address and port) or names the Service and port (`via: 'name'`).
 *
 * @example
 * const services = new ServiceIndex(cluster);
 * const hit = services.at(parseIP('10.96.0.10')!, 6, 80);
 * if (hit && 'port' in hit) console.log(serviceVerdict(dataplane, { name: 'shop/web', end: { address: parseIP('10.244.1.5')! } }, hit));
 */
export function serviceVerdict(
  engine: BetweenEngine,
  src: NamedEnd | readonly NamedEnd[],
  target: ServiceTarget | ServiceMiss,
  services: ServiceIndex = new ServiceIndex(engine.index.cluster),
): ServiceVerdict {
  return judgeService(engine, src, target, services).verdict;
}

/**
 * serviceVerdict with each backend's explanation beside it: the engine's, or for a pair with an
 * end without an address, when the engine has no `explainBetween`, `explainer`'s; undefined
 * where neither can explain the pair.
 */
export function explainService(
  engine: BetweenEngine,
  src: NamedEnd | readonly NamedEnd[],
  target: ServiceTarget | ServiceMiss,
  services: ServiceIndex = new ServiceIndex(engine.index.cluster),
  explainer?: PairExplainer,
): { verdict: ServiceVerdict; explanations: (Explanation | undefined)[] } {
  const { pairs, protocol, verdict } = judgeService(engine, src, target, services);
  return { verdict, explanations: pairs.map((p) => explainPair(engine, p, protocol, explainer)) };
}

/** Every source end to every destination end. */
const endPairs = (src: readonly NamedEnd[], dst: readonly NamedEnd[], port?: number): Pair[] =>
  src.flatMap((s) => dst.map((d) => ({ src: s, dst: d, ...(port !== undefined && { port }) })));

/** The verdict on a flow between endpoints: every source end to every destination end. */
export function endsVerdict(engine: BetweenEngine, src: readonly NamedEnd[], dst: readonly NamedEnd[], protocol: number, port?: number): EndsVerdict {
  const pairs = endPairs(src, dst, port).map((p) => judge(engine, p, protocol));
  return { ...summary(pairs), pairs };
}

/** endsVerdict with each pair's explanation beside it (as explainService finds them). */
export function explainEnds(
  engine: BetweenEngine,
  src: readonly NamedEnd[],
  dst: readonly NamedEnd[],
  protocol: number,
  port?: number,
  explainer?: PairExplainer,
): { verdict: EndsVerdict; explanations: (Explanation | undefined)[] } {
  const pairs = endPairs(src, dst, port);
  const judged = pairs.map((p) => judge(engine, p, protocol));
  return { verdict: { ...summary(judged), pairs: judged }, explanations: pairs.map((p) => explainPair(engine, p, protocol, explainer)) };
}
