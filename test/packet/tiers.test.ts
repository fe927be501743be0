// The packet path on a cluster with cluster-scoped tiers: a packet opening a connection gets
// the verdict byte the single-flow path gives its flow (Admin and Baseline decision codes
// included); packets carry no destination name, so they are judged as name class 0 and a
// domainNames Accept never lets one through; a denial names the cluster-scoped policy whose
// rule denied.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { CompiledDataplane, formatIP, PacketFilter, type Cluster, type Flow } from '@netpol/core';
import { clusterArbitrary, flowArbitrary } from '../../packages/core/src/fuzz/arbitraries.js';
import { anp, cnp, domainsPeer, inNamespaces, namespace, networksPeer, podOf, podsPeer, rule, tcp as tcpPort } from '../semantics/tier-fixtures.js';
import { icmp, ipv4, ipv6, sctp, tcp, udp } from './build.js';
import { runs } from '../helpers.js';

const PROTO = { ICMP: 1, TCP: 6, UDP: 17, ICMPv6: 58, SCTP: 132 } as const;

/** The packet that opens `flow` (SYN, first datagram, echo request or the ICMP type given). */
function packetOf(flow: Flow): Uint8Array {
  const l4 =
    flow.protocol === PROTO.TCP
      ? tcp(40000, flow.port!)
      : flow.protocol === PROTO.UDP
        ? udp(40000, flow.port!)
        : flow.protocol === PROTO.SCTP
          ? sctp(40000, flow.port!)
          : flow.protocol === PROTO.ICMP || flow.protocol === PROTO.ICMPv6
            ? icmp(flow.icmpType ?? (flow.protocol === PROTO.ICMP ? 8 : 128))
            : [1, 2, 3, 4];
  const o = { src: formatIP(flow.src), dst: formatIP(flow.dst), protocol: flow.protocol };
  return flow.src.family === 4 ? ipv4(o, l4) : ipv6(o, l4);
}

const world: Cluster = {
  namespaces: [namespace('prod')],
  pods: [podOf('prod', 'web', '10.0.0.1', { labels: { app: 'web' } }), podOf('prod', 'db', '10.0.0.2', { labels: { app: 'db' } })],
  nodes: [],
  policies: [],
  clusterPolicies: [
    anp('guard', 10, inNamespaces(), { egress: [rule('Deny', [podsPeer({}, { app: 'db' })], [tcpPort(5432)], 'no-db')] }),
    cnp('example', 'Admin', 5, inNamespaces(), { egress: [rule('Accept', [domainsPeer('example.com')])] }),
    cnp('default-deny', 'Baseline', 1, inNamespaces(), { egress: [rule('Deny', [networksPeer('0.0.0.0/0')])] }),
  ],
};

describe('packets on a tiered cluster', () => {
  const dp = new CompiledDataplane(world, { native: 'off' });
  const at = (src: string, dst: string, port: number): Flow => ({
    src: { family: 4, value: BigInt(src.split('.').reduce((a, b) => a * 256 + Number(b), 0)) },
    dst: { family: 4, value: BigInt(dst.split('.').reduce((a, b) => a * 256 + Number(b), 0)) },
    protocol: PROTO.TCP,
    port,
  });

  test('an Admin deny drops the packet and names its policy', () => {
    const filter = new PacketFilter(dp);
    const r = filter.packet(packetOf(at('10.0.0.1', '10.0.0.2', 5432)), 1);
    expect(r).toMatchObject({
      allowed: false,
      state: 'new',
      egress: 'admin-denied',
      denial: { direction: 'egress', policies: ['anp/guard'], egressPolicies: ['anp/guard'], egressPod: 'prod/web' },
    });
  });

  test('a Baseline deny drops the packet and names its policy', () => {
    const r = new PacketFilter(dp).packet(packetOf(at('10.0.0.1', '8.8.8.8', 443)), 1);
    expect(r).toMatchObject({ allowed: false, egress: 'baseline-denied', denial: { direction: 'egress', policies: ['cnp/default-deny'] } });
  });

  test('a packet has no name: the domainNames Accept a named flow gets never applies to it', () => {
    const flow = at('10.0.0.1', '8.8.8.8', 443);
    expect(dp.verdict({ ...flow, dstName: 'example.com' })).toMatchObject({ allowed: true, egress: 'admin-allowed' });
    const filter = new PacketFilter(dp);
    expect(filter.packetCode(packetOf(flow), 1) & 0xff).toBe(dp.verdictCode(flow));
    expect(filter.result(filter.packetCode(packetOf(flow), 2))).toMatchObject({ allowed: false, egress: 'baseline-denied' });
  });

  test('fuzzed tiered clusters: every opening packet gets the verdict byte of its flow without a name', () => {
    let tiered = 0;
    fc.assert(
      fc.property(clusterArbitrary({ maxClusterPolicies: 4 }), fc.integer(), (cluster, seed) => {
        const compiled = new CompiledDataplane(cluster, { native: 'off' });
        const filter = new PacketFilter(compiled);
        const flows = (fc.sample(flowArbitrary(cluster), { numRuns: 40, seed }) as Flow[]).filter(
          (f) =>
            f.src.family === f.dst.family &&
            !f.established &&
            (f.protocol === PROTO.ICMP || f.protocol === PROTO.ICMPv6 ? f.icmpType !== undefined : f.port !== undefined),
        );
        for (const f of flows) {
          const { dstName: _, ...unnamed } = f;
          const want = compiled.verdictCode(unnamed);
          filter.flush(); // every packet opens a connection
          const got = filter.packetCode(packetOf(f), 1) & 0xff;
          if (got !== want) throw new Error(`packet ${got} vs flow ${want}: ${JSON.stringify(unnamed, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))}`);
          if (((want >> 1) & 7) >= 4 || ((want >> 4) & 7) >= 4) tiered++;
        }
      }),
      { numRuns: runs(100) },
    );
    expect(tiered).toBeGreaterThan(100);
  });
});
