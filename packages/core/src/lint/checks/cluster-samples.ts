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
import type { ClusterRule, Direction, Pod } from '../../model/types.js';
import type { LintContext } from '../types.js';
import { clusterIndex } from './cluster-rules.js';

/** Flow evaluations one check may spend on samples before it gives up (and reports nothing). */
export const SAMPLE_BUDGET = 200_000;

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

/** The remote ends of both directions: pods for both, node and outside addresses for egress. */
function remotes(ctx: LintContext): { readonly pods: readonly Pod[]; readonly addresses: readonly IPAddress[] } {
  return ctx.memo('cluster-lint:remotes', () => {
    const networks = allNetworks(ctx);
    const index = clusterIndex(ctx);
    // Pods a peer cannot tell apart (namespace, labels, ports, which blocks hold their address)
    // count twice at most: once, and once more for when the first is the subject itself.
    const seen = new Map<string, number>();
    const pods = ctx.endpoints.filter((p) => {
      const inBlocks = networks.map((c) => (p.ips.some((ip) => cidrContains(c, ip)) ? '1' : '0')).join('');
      const key = JSON.stringify([p.namespace, p.labels, p.ports, p.ips.map((ip) => ip.family), inBlocks]);
      const n = seen.get(key) ?? 0;
      seen.set(key, n + 1);
      return n < 2;
    });
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

/** The subject's own end for a flow towards `remote`; undefined when the families differ. */
export function subjectEnd(subject: Pod, remote: FlowEnd): FlowEnd | undefined {
  return podEnd(subject, remote.address?.family);
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

/** The (protocol, port) pairs worth trying for `rules`, with ports resolved on `dstPod`. */
function portSamples(rules: readonly ClusterRule[], dstPod: Pod | undefined, family: 4 | 6): { protocol: number; port?: number }[] {
  const out = new Map<string, { protocol: number; port?: number }>();
  const add = (protocol: number, port?: number): void => void out.set(`${protocol}/${port ?? ''}`, { protocol, ...(port !== undefined && { port }) });
  for (const r of rules) {
    if (r.ports.length === 0) add(family === 4 ? PROTOCOL_NUMBERS.ICMP : PROTOCOL_NUMBERS.ICMPv6);
    for (const p of r.ports) {
      if (p.kind === 'range') {
        add(PROTOCOL_NUMBERS[p.protocol], p.start);
        add(PROTOCOL_NUMBERS[p.protocol], p.end);
      } else for (const c of dstPod?.ports ?? []) if (c.name === p.name) add(PROTOCOL_NUMBERS[c.protocol], c.port);
    }
  }
  // Rules without ports match any flow: one with a port, too, for rules of interest that need one.
  if (out.size === 0) add(PROTOCOL_NUMBERS.TCP, 1);
  return [...out.values()];
}

/**
 * Sample flows between `subject` and every remote end, in `direction` as the subject sees it,
 * for the ports `rules` name. Stops when `budget` runs out (check `budget.exhausted`).
 */
export function* sampleFlows(ctx: LintContext, subject: Pod, direction: Direction, rules: readonly ClusterRule[], budget: Budget): Generator<SampleFlow> {
  const { pods, addresses } = remotes(ctx);
  const ends: FlowEnd[] = [];
  for (const p of pods) {
    if (p === subject) continue; // a pod reaching itself is allowed before any tier
    const end = podEnd(p, subject.ips[0]?.family);
    if (end) ends.push(end);
  }
  if (direction === 'egress') {
    for (const a of addresses) if (subject.ips.length === 0 || subject.ips.some((ip) => ip.family === a.family)) ends.push({ address: a });
  }
  for (const end of ends) {
    const remote = { end, target: target(ctx, end) };
    const dstPod = direction === 'egress' ? remote.target.pod : subject;
    for (const flow of portSamples(rules, dstPod, end.address?.family ?? subject.ips[0]?.family ?? 4)) {
      if (!budget.take()) return;
      yield { remote, dstPod, ...flow };
    }
  }
}

/** One subject per group of pods the tiers cannot tell apart (namespace, labels, ports, address families, node). */
export function distinctSubjects(pods: readonly Pod[]): Pod[] {
  const seen = new Set<string>();
  return pods.filter((p) => {
    const key = JSON.stringify([p.namespace, p.labels, p.ports, p.ips.map((ip) => ip.family), p.nodeName ?? null]);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
