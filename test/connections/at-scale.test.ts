// ImageConnections against the kernel's own verdicts (CompiledDataplane.verdictBetween, which
// the property tests check against the reference) where the fuzzed clusters do not go: images
// with more port classes than one bitset word holds, and a synthetic cluster of workload
// manifests with cluster-scoped policies, every pair of a sample of endpoints over every port a
// rule or container names (and its neighbours).
import { describe, expect, test } from 'vitest';
import { CompiledDataplane, compile, type Cluster, type FlowEnd } from '@netpol/core';
import { syntheticCluster } from '@netpol/core/internal';
import { ImageConnections } from '../../packages/core/src/analysis/pair-connections.js';
import type { ConnectionSet } from '../../packages/core/src/analysis/connection-set.js';
import { HEADER } from '../../packages/core/src/compile/layout.js';
import { interestingPorts } from '../../packages/core/src/fuzz/arbitraries.js';
import { templatePods } from '../../packages/core/src/model/endpoints.js';
import { cluster, ns, policy, sel, tcp, workload } from './builders.js';

const PROTOCOLS = [6, 17, 132] as const;

function holds(c: ConnectionSet, protocol: number, port: number | undefined): boolean {
  const ranges = protocol === 6 ? c.tcp : protocol === 17 ? c.udp : protocol === 132 ? c.sctp : undefined;
  return ranges ? ranges.some((r) => port! >= r.start && port! <= r.end) : c.otherProtocols;
}

/** Every pair of `ends`, every port of `ports` in each protocol and one protocol without ports: the set holds it iff the kernel allows it. */
function agree(c: Cluster, ends: readonly FlowEnd[], ports: readonly number[]): number {
  const dataplane = new CompiledDataplane(c);
  const conns = new ImageConnections(compile(c));
  let checked = 0;
  for (const src of ends) {
    for (const dst of ends) {
      const set = conns.between(src, dst);
      for (const protocol of PROTOCOLS) {
        for (const port of ports) {
          const allowed = dataplane.verdictBetween(src, dst, protocol, port).allowed;
          if (holds(set, protocol, port) !== allowed) expect.fail(`${protocol}/${port}: kernel ${allowed}, set ${JSON.stringify(set)}`);
          checked++;
        }
      }
      expect(holds(set, 1, undefined)).toBe(dataplane.verdictBetween(src, dst, 1).allowed);
    }
  }
  return checked;
}

describe('ImageConnections = the kernel', () => {
  test('more port classes than a bitset word holds', () => {
    const ports = Array.from({ length: 60 }, (_, i) => 1000 + 7 * i);
    const c = cluster({
      namespaces: [ns('a')],
      workloads: [
        workload('Deployment', 'a', 'client', { app: 'client' }),
        workload('Deployment', 'a', 'other', { app: 'other' }),
        workload('Deployment', 'a', 'server', { app: 'server' }, { ports: [tcp(1007, 'web'), tcp(4242, 'admin')] }),
      ],
      policies: [
        policy('a', 'server', sel({ app: 'server' }), {
          ingress: [
            {
              peers: [{ kind: 'selector', podSelector: sel({ app: 'client' }) }],
              ports: [
                ...ports.map((port, i) => ({ protocol: i % 2 ? ('UDP' as const) : ('TCP' as const), port, ...(i % 3 === 0 && { endPort: port + 3 }) })),
                { protocol: 'TCP' as const, port: 'admin' },
              ],
            },
            { peers: [{ kind: 'selector', podSelector: sel({ app: 'other' }) }], ports: [{ protocol: 'SCTP', port: 'web' }] },
          ],
        }),
      ],
    });
    expect(new Uint32Array(compile(c).image, 0, 48)[HEADER.portSetWords]).toBeGreaterThan(2);
    const probe = [1, 2, 999, 4242, 65535, ...ports.flatMap((p) => [p - 1, p, p + 1, p + 3, p + 4])];
    expect(
      agree(
        c,
        templatePods(c).map((pod) => ({ pod })),
        probe,
      ),
    ).toBeGreaterThan(2000);
  });

  test('a synthetic cluster of workload manifests with cluster-scoped policies', () => {
    const c = syntheticCluster({ pods: 400, policies: 40, clusterPolicies: 8, workloads: 'manifests', seed: 5 });
    const pods = templatePods(c);
    const sample = pods.filter((_, i) => i % Math.ceil(pods.length / 14) === 0).map((pod) => ({ pod }));
    // The rules' ports, and the workloads' container ports (named ports resolve to them).
    const ports = [...new Set([...interestingPorts(c), ...c.workloads!.flatMap((w) => w.ports.map((p) => p.port))])].filter((p) => p >= 1);
    expect(agree(c, sample, ports)).toBeGreaterThan(5000);
  });
});
