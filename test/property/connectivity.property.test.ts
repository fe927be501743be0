// connectivity() against the reference evaluator: for random clusters (workloads without pods,
// pods with and without addresses, tiers) under random evaluation options, at workload and pod
// level, the set reported for every pair of in-cluster endpoints holds (protocol, port) iff the
// reference allows it for every pod pair of the two endpoints (a pod without an address judged
// as one, two addressed pods on their common family), and the set reported between an endpoint
// and an external block never holds what the reference denies at an address of the block that
// is no pod's or node's. Replay with FC_SEED=<seed>.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { ReferenceEvaluator, type Cluster, type EvaluationOptions, type FlowEnd, type Pod } from '@netpol/core';
import { connectivity, type Endpoint } from '../../packages/core/src/analysis/connectivity.js';
import type { ConnectionSet } from '../../packages/core/src/analysis/connection-set.js';
import { clusterArbitrary, evaluationOptionsArbitrary, interestingL4, interestingPorts } from '../../packages/core/src/fuzz/arbitraries.js';
import { clusterToYaml } from '../../packages/core/src/fuzz/to-yaml.js';
import type { IPAddress } from '../../packages/core/src/ip/address.js';
import { PROTOCOL_NUMBERS } from '../../packages/core/src/model/protocol.js';
import { runs } from '../helpers.js';

const { TCP, UDP, SCTP, ICMP } = PROTOCOL_NUMBERS;

function contains(c: ConnectionSet, protocol: number, port: number | undefined): boolean {
  const ranges = protocol === TCP ? c.tcp : protocol === UDP ? c.udp : protocol === SCTP ? c.sctp : undefined;
  if (!ranges) return c.otherProtocols;
  return ranges.some((r) => port! >= r.start && port! <= r.end);
}

function samplesOf(cluster: Cluster): { protocol: number; port?: number }[] {
  const ports = interestingPorts(cluster).filter((p) => p >= 1 && p <= 65535);
  return [
    ...interestingL4(cluster).containers,
    ...[TCP, UDP, SCTP].flatMap((protocol) => [1, 65535, ...ports].map((port) => ({ protocol, port }))),
    { protocol: ICMP },
  ];
}

/** The ends a pod pair is judged on: IPv4 when both have one, else IPv6; a pod without an address as itself. */
function ends(a: Pod, b: Pod): [FlowEnd, FlowEnd] | undefined {
  const at = (p: Pod, family: number): IPAddress | undefined => p.ips.find((ip) => ip.family === family);
  const one = (p: Pod): FlowEnd => ({ pod: p, address: at(p, 4) ?? at(p, 6)! });
  if (a.ips.length === 0 || b.ips.length === 0) return [a.ips.length === 0 ? { pod: a } : one(a), b.ips.length === 0 ? { pod: b } : one(b)];
  for (const family of [4, 6]) {
    const x = at(a, family);
    const y = at(b, family);
    if (x && y)
      return [
        { pod: a, address: x },
        { pod: b, address: y },
      ];
  }
  return undefined;
}

function disagreement(cluster: Cluster, options: EvaluationOptions, level: 'workload' | 'pod'): string | undefined {
  const ref = new ReferenceEvaluator(cluster, options);
  const report = connectivity(cluster, { ...options, level });
  const samples = samplesOf(cluster);
  const groups = report.endpoints.filter((e) => e.group);
  const hosts = new Set([...cluster.pods.flatMap((p) => p.ips), ...cluster.nodes.flatMap((n) => n.ips)].map((ip) => `${ip.family}/${ip.value}`));
  for (const src of groups) {
    for (const dst of groups) {
      if (src === dst) continue;
      const set = report.between(src, dst);
      for (const { protocol, port } of samples) {
        const want = src.group!.pods.every((p) =>
          dst.group!.pods.every((q) => {
            const pair = ends(p, q);
            return pair !== undefined && ref.verdictBetween(pair[0], pair[1], protocol, port).allowed;
          }),
        );
        if (contains(set, protocol, port) !== want)
          return `${src.name} -> ${dst.name} ${protocol}/${port ?? '-'}: reported ${JSON.stringify(set)}, reference ${want}`;
      }
    }
  }
  const externals = report.endpoints.filter((e) => e.block);
  const probe = (block: NonNullable<Endpoint['block']>): IPAddress[] =>
    block.ranges
      .flatMap((r) => [r.first, r.last, (r.first + r.last) / 2n])
      .map((value) => ({ family: block.family, value }))
      .filter((ip) => !hosts.has(`${ip.family}/${ip.value}`));
  for (const g of groups) {
    for (const x of externals) {
      for (const [src, dst] of [
        [x, g],
        [g, x],
      ] as const) {
        let set: ConnectionSet;
        try {
          set = report.between(src.name, dst.name); // by name: the block of that side
        } catch {
          continue; // a block of the other side only
        }
        for (const address of probe(x.block!)) {
          for (const pod of g.group!.pods) {
            const own: FlowEnd = pod.ips.length === 0 ? { pod } : { pod, address: pod.ips.find((ip) => ip.family === address.family)! };
            if (own.address === undefined && pod.ips.length > 0) continue; // no address of that family: nothing is reported allowed
            for (const { protocol, port } of samples) {
              if (!contains(set, protocol, port)) continue;
              const v = src === x ? ref.verdictBetween({ address }, own, protocol, port) : ref.verdictBetween(own, { address }, protocol, port);
              if (!v.allowed) return `${src.name} -> ${dst.name} ${protocol}/${port ?? '-'} at ${address.value}: reported allowed, reference denies`;
            }
          }
        }
      }
    }
  }
  return undefined;
}

describe('connectivity() agrees with the reference evaluator', () => {
  for (const level of ['workload', 'pod'] as const) {
    test(`${level} level`, () => {
      fc.assert(
        fc.property(clusterArbitrary({ maxWorkloads: 3 }), evaluationOptionsArbitrary, (cluster, options) => {
          const problem = disagreement(cluster, options, level);
          if (problem) expect.fail(`${problem}\noptions ${JSON.stringify(options)}\n${clusterToYaml(cluster)}`);
        }),
        { numRuns: runs(40) },
      );
    }, 120_000);
  }
});
