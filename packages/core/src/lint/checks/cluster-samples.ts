/**
 * Sample flows for the cluster-policy checks that evaluate rather than prove: for one subject
 * pod and direction, one remote end per kind of endpoint the input has (pods grouped by what a
 * peer can tell apart, node addresses, the first and last address of every `networks` block)
 * times the ports the rules of interest name. Two rules that match a common flow between these
 * ends match a common sample: ranges that overlap share the larger start, nested CIDRs the
 * inner one's first address, and named ports resolve on the destination pod.
 *
 * The number of samples is bounded by a budget per check: a check that runs out says nothing
 * rather than guess.
 */
import { ipKey, type IPAddress } from '../../ip/address.js';
import { cidrContains, type CIDR } from '../../ip/cidr.js';
import type { ClusterPeerTarget } from '../../model/cluster-match.js';
import type { FlowEnd } from '../../model/flow.js';
import { PROTOCOL_NUMBERS } from '../../model/protocol.js';
import type { ClusterRule, Direction, Labels, Pod, Selector } from '../../model/types.js';
import type { LintContext } from '../types.js';
import { clusterIndex } from './cluster-rules.js';

/** Flow evaluations one check may spend on samples before it gives up (and reports nothing). */
export const SAMPLE_BUDGET = 1_000_000;

/** A countdown shared by one check's calls. */
export class Budget {
  private left: number;
  constructor(total = SAMPLE_BUDGET) {
    this.left = total;
  }
  /** Spends one; false once the budget is gone. */
  take(): boolean {
    return this.left-- > 0;
  }
  get exhausted(): boolean {
    return this.left < 0;
  }
}

/** The other end of a sample flow, as a flow end and as cluster peers see it. */
export interface SampleRemote {
  readonly end: FlowEnd;
  readonly target: ClusterPeerTarget;
}

/** One sample flow for a subject pod. */
export interface SampleFlow {
  readonly remote: SampleRemote;
  /** The flow's destination pod (where named ports resolve). */
  readonly dstPod: Pod | undefined;
  readonly protocol: number;
  readonly port?: number;
}

/** Every `networks` block of every cluster-scoped policy. */
const allNetworks = (ctx: LintContext): readonly CIDR[] =>
  ctx.memo('cluster-lint:networks', () =>
    (ctx.cluster.clusterPolicies ?? []).flatMap((p) => p.egress.flatMap((r) => r.peers.flatMap((q) => (q.kind === 'networks' ? q.networks : [])))),
  );

const lastAddress = (c: CIDR): IPAddress => {
  const bits = c.family === 4 ? 32 : 128;
  return { family: c.family, value: c.base | ((1n << BigInt(bits - c.prefix)) - 1n) };
};

/** The label keys any cluster-scoped selector reads, of namespaces and of pods: all that tells pods apart to them. */
function selectorKeys(ctx: LintContext): { readonly namespace: ReadonlySet<string>; readonly pod: ReadonlySet<string> } {
  return ctx.memo('cluster-lint:selector-keys', () => {
    const namespace = new Set<string>();
    const pod = new Set<string>();
    const add = (into: Set<string>, s: Selector): void => {
      for (const k of Object.keys(s.matchLabels)) into.add(k);
      for (const r of s.matchExpressions) into.add(r.key);
    };
    for (const p of ctx.cluster.clusterPolicies ?? []) {
      for (const sel of [p.subject, ...p.ingress.flatMap((r) => r.peers), ...p.egress.flatMap((r) => r.peers)]) {
        if (sel.kind === 'namespaces' || sel.kind === 'pods') add(namespace, sel.namespaceSelector);
        if (sel.kind === 'pods') add(pod, sel.podSelector);
      }
    }
    return { namespace, pod };
  });
}

/**
 * What cluster-scoped policies can tell of a pod: its namespace's and its own labels restricted
 * to the keys their selectors read, its container ports (named ports), its address families.
 */
function podKey(ctx: LintContext, p: Pod): unknown[] {
  const keys = selectorKeys(ctx);
  const only = (labels: Labels, read: ReadonlySet<string>): [string, string][] =>
    Object.entries(labels)
      .filter(([k]) => read.has(k))
      .sort();
  return [only(clusterIndex(ctx).namespaceLabels(p.namespace), keys.namespace), only(p.labels, keys.pod), p.ports, p.ips.map((ip) => ip.family)];
}

/** The remote ends of both directions: pods for both, node and outside addresses for egress. */
function remotes(ctx: LintContext): { readonly pods: readonly (readonly Pod[])[]; readonly addresses: readonly IPAddress[] } {
  return ctx.memo('cluster-lint:remotes', () => {
    const networks = allNetworks(ctx);
    const index = clusterIndex(ctx);
    // Pods a peer cannot tell apart (podKey, and which blocks hold their address) are one
    // remote end; a group keeps a second pod for when the first is the subject itself.
    const groups = new Map<string, Pod[]>();
    for (const p of ctx.endpoints) {
      const inBlocks = networks.map((c) => (p.ips.some((ip) => cidrContains(c, ip)) ? '1' : '0')).join('');
      const key = JSON.stringify([...podKey(ctx, p), inBlocks]);
      const group = groups.get(key);
      if (!group) groups.set(key, [p]);
      else if (group.length < 2) group.push(p);
    }
    const pods = [...groups.values()];
    const addresses = new Map<number | string, IPAddress>();
    for (const { ip } of index.nodeAddresses()) addresses.set(ipKey(ip), ip);
    for (const c of networks) {
      for (const ip of [{ family: c.family, value: c.base }, lastAddress(c)]) if (!index.podByIP(ip)) addresses.set(ipKey(ip), ip);
    }
    return { pods, addresses: [...addresses.values()] };
  });
}

/** The end for pod `p` in a flow of `family` (any when undefined); undefined when it has no address of that family. */
function podEnd(p: Pod, family: 4 | 6 | undefined): FlowEnd | undefined {
  if (p.ips.length === 0) return { pod: p };
  const ip = family === undefined ? p.ips[0] : p.ips.find((a) => a.family === family);
  return ip && { pod: p, address: ip };
}

function target(ctx: LintContext, end: FlowEnd): ClusterPeerTarget {
  const index = clusterIndex(ctx);
  const pod = end.address ? index.podByIP(end.address) : end.pod;
  return {
    address: end.address,
    pod,
    namespaceLabels: (ns) => index.namespaceLabels(ns),
    node: end.address && index.nodeByIP(end.address),
    nodeLabels: (node) => index.nodeLabels(node),
    dstName: undefined,
  };
}

type PortSample = { readonly protocol: number; readonly port?: number };

/** What `rules` name: numbered (protocol, port) pairs, whether some rule has no ports, the named ports. */
function portsNamed(rules: readonly ClusterRule[]): {
  readonly numbered: readonly PortSample[];
  readonly portless: boolean;
  readonly names: ReadonlySet<string>;
} {
  const numbered = new Map<string, PortSample>();
  const names = new Set<string>();
  let portless = false;
  for (const r of rules) {
    if (r.ports.length === 0) portless = true;
    for (const p of r.ports) {
      if (p.kind === 'named') names.add(p.name);
      else for (const port of [p.start, p.end]) numbered.set(`${p.protocol}/${port}`, { protocol: PROTOCOL_NUMBERS[p.protocol], port });
    }
  }
  return { numbered: [...numbered.values()], portless, names };
}

/** The (protocol, port) pairs worth trying: those `named` lists, named ports resolved on `dstPod`, and ICMP for port-less rules. */
function portSamples(named: ReturnType<typeof portsNamed>, dstPod: Pod | undefined, family: 4 | 6): PortSample[] {
  const out = [...named.numbered];
  if (named.names.size > 0) {
    for (const c of dstPod?.ports ?? []) {
      const sample = { protocol: PROTOCOL_NUMBERS[c.protocol], port: c.port };
      if (c.name !== undefined && named.names.has(c.name) && !out.some((o) => o.protocol === sample.protocol && o.port === sample.port)) out.push(sample);
    }
  }
  if (named.portless) out.push({ protocol: family === 4 ? PROTOCOL_NUMBERS.ICMP : PROTOCOL_NUMBERS.ICMPv6 });
  // Rules without ports match any flow: one with a port, too, for rules of interest that need one.
  if (out.length === 0) out.push({ protocol: PROTOCOL_NUMBERS.TCP, port: 1 });
  return out;
}

/**
 * Sample flows between `subject` and every remote end, in `direction` as the subject sees it,
 * for the ports `rules` name. Stops when `budget` runs out (check `budget.exhausted`).
 */
export function* sampleFlows(ctx: LintContext, subject: Pod, direction: Direction, rules: readonly ClusterRule[], budget: Budget): Generator<SampleFlow> {
  const { pods, addresses } = remotes(ctx);
  const ends: FlowEnd[] = [];
  for (const group of pods) {
    // A pod reaching itself is allowed before any tier: its twin stands for the group.
    const p = group[0] === subject ? group[1] : group[0];
    if (!p) continue;
    const end = podEnd(p, subject.ips[0]?.family);
    if (end) ends.push(end);
  }
  if (direction === 'egress') {
    for (const a of addresses) if (subject.ips.length === 0 || subject.ips.some((ip) => ip.family === a.family)) ends.push({ address: a });
  }
  const named = portsNamed(rules);
  for (const end of ends) {
    const remote = { end, target: target(ctx, end) };
    const dstPod = direction === 'egress' ? remote.target.pod : subject;
    for (const flow of portSamples(named, dstPod, end.address?.family ?? subject.ips[0]?.family ?? 4)) {
      if (!budget.take()) return;
      yield { remote, dstPod, ...flow };
    }
  }
}

/**
 * One subject per group of pods the cluster-scoped tiers cannot tell apart (podKey). Only for
 * questions those tiers answer: NetworkPolicy tells pods apart by more (their namespace, node).
 */
export function distinctSubjects(ctx: LintContext, pods: readonly Pod[]): Pod[] {
  const seen = new Set<string>();
  return pods.filter((p) => {
    const key = JSON.stringify(podKey(ctx, p));
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
