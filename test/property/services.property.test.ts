// Service verdicts against an oracle written out from the rules (docs/services.md): for random
// clusters (pods with and without IPs, workloads whose template pods have no address, cluster-
// scoped tiers) and random Services over them (a selector on one label, ports with numeric or
// named target ports, TCP or UDP), the backends of a flow to the Service by its ClusterIP are
// the selected pods and template pods that have the target port (a name resolved on each pod,
// app containers before init containers), each at its number, each judged as the reference
// evaluator judges that pair; the Service flow is allowed iff every backend allows it and there
// is one. The compiled dataplane answers through CompiledDataplane.verdictBetween. A planted bug
// (backends judged at the Service port, not the target port) is caught. Replay with FC_SEED=<seed>.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { CompiledDataplane, ReferenceEvaluator, type Cluster, type FlowEnd, type Pod, type Service } from '@netpol/core';
import type { BetweenEngine } from '../../packages/core/src/analysis/engine.js';
import { serviceVerdict } from '../../packages/core/src/analysis/service-verdict.js';
import { clusterArbitrary, CONTAINER_PORTS, LABEL_KEYS, LABEL_VALUES, PORT_NAMES, UNKNOWN_PORT_NAME } from '../../packages/core/src/fuzz/arbitraries.js';
import { formatIP, parseIP } from '../../packages/core/src/ip/address.js';
import { isTerminal } from '../../packages/core/src/model/cluster-index.js';
import { templatePods } from '../../packages/core/src/model/endpoints.js';
import { ServiceIndex, type ServiceTarget } from '../../packages/core/src/model/services.js';
import { runs } from '../helpers.js';

interface ServiceShape {
  readonly ns: number;
  readonly key: string;
  readonly value: string;
  readonly ports: readonly { readonly port: number; readonly protocol: 'TCP' | 'UDP'; readonly target: number | string }[];
}

const serviceShape: fc.Arbitrary<ServiceShape> = fc.record({
  ns: fc.nat(2),
  key: fc.constantFrom(...LABEL_KEYS),
  value: fc.constantFrom(...LABEL_VALUES),
  ports: fc.uniqueArray(
    fc.record({
      port: fc.constantFrom(80, 443, 5000),
      protocol: fc.constantFrom('TCP' as const, 'UDP' as const),
      target: fc.oneof(fc.constantFrom(...CONTAINER_PORTS), fc.constantFrom(...PORT_NAMES, UNKNOWN_PORT_NAME)),
    }),
    { minLength: 1, maxLength: 2, selector: (p) => `${p.port}/${p.protocol}` },
  ),
});

function withService(cluster: Cluster, s: ServiceShape): Cluster {
  const service: Service = {
    namespace: cluster.namespaces[s.ns % cluster.namespaces.length]!.name,
    name: 'svc',
    type: 'ClusterIP',
    clusterIPs: [parseIP('10.96.0.10')!],
    headless: false,
    selector: { [s.key]: s.value },
    ports: s.ports.map((p, i) => ({ name: `p${i}`, protocol: p.protocol, port: p.port, targetPort: p.target })),
    externalIPs: [],
  };
  return { ...cluster, services: [service] };
}

/** The oracle's backends: selected live pods and template pods with the target port, at its number, by their IPv4 address or as address-less pods. */
function oracleBackends(cluster: Cluster, service: Service, port: Service['ports'][number]): { end: FlowEnd; port: number; pod: Pod }[] {
  const [[key, value]] = Object.entries(service.selector!) as [[string, string]];
  const out: { end: FlowEnd; port: number; pod: Pod }[] = [];
  for (const pod of [...cluster.pods.filter((p) => !isTerminal(p)), ...templatePods(cluster)]) {
    if (pod.namespace !== service.namespace || pod.labels[key] !== value) continue;
    let number: number | undefined;
    if (typeof port.targetPort === 'number') number = port.targetPort;
    else {
      const named = (init: boolean) => pod.ports.find((c) => c.name === port.targetPort && c.protocol === port.protocol && c.init === init);
      number = (named(false) ?? named(true))?.port;
    }
    if (number === undefined) continue;
    if (pod.ips.length === 0) {
      if (!pod.hostNetwork) out.push({ end: { pod }, port: number, pod });
      else out.push({ end: { pod }, port: -1, pod }); // unjudgeable: marked by port -1
      continue;
    }
    const v4 = pod.ips.find((ip) => ip.family === 4);
    if (v4) out.push({ end: { address: v4 }, port: number, pod });
  }
  return out;
}

const PROTOCOL = { TCP: 6, UDP: 17 } as const;

/** The engine as serviceVerdict uses it, optionally with the planted bug: every backend judged at the Service port. */
function engineOf(dp: CompiledDataplane, servicePort?: number): BetweenEngine {
  if (servicePort === undefined) return dp;
  return {
    index: dp.index,
    verdict: (f) => dp.verdict(f),
    explain: (f) => dp.explain(f),
    verdictBetween: (s, d, p) => dp.verdictBetween(s, d, p, servicePort),
  };
}

function check(cluster: Cluster, srcIndex: number, plantedBug: boolean): void {
  const service = cluster.services![0]!;
  const dp = new CompiledDataplane(cluster);
  const reference = new ReferenceEvaluator(cluster);
  const services = new ServiceIndex(cluster);
  // A source with an IPv4 address (the Service is IPv4-only) or without any address.
  const sources = [...cluster.pods.filter((p) => !isTerminal(p) && !p.hostNetwork), ...templatePods(cluster).filter((p) => !p.hostNetwork)].filter(
    (p) => p.ips.length === 0 || p.ips.some((ip) => ip.family === 4),
  );
  fc.pre(sources.length > 0);
  const srcPod = sources[srcIndex % sources.length]!;
  const v4 = srcPod.ips.find((ip) => ip.family === 4);
  const src: FlowEnd = v4 ? { address: v4 } : { pod: srcPod };
  for (const port of service.ports) {
    const hit = services.at(service.clusterIPs[0]!, PROTOCOL[port.protocol as 'TCP' | 'UDP'], port.port) as ServiceTarget;
    expect(hit.port).toBe(port);
    const got = serviceVerdict(engineOf(dp, plantedBug ? port.port : undefined), { name: 'src', end: src }, hit, services);
    const expected = oracleBackends(cluster, service, port).map((b) => {
      const dst = b.end.address ? formatIP(b.end.address) : undefined;
      if (b.port < 0) return { dst, port: undefined, allowed: false };
      const v = reference.verdictBetween(src, b.end, PROTOCOL[port.protocol as 'TCP' | 'UDP'], b.port);
      return { dst, port: b.port, allowed: v.allowed, egress: v.egress, ingress: v.ingress };
    });
    const actual = got.backends.map((b) => ({
      dst: b.address,
      port: b.error ? undefined : b.port,
      allowed: b.allowed,
      ...(b.egress && { egress: b.egress, ingress: b.ingress }),
    }));
    expect(actual).toEqual(expected);
    expect(got.allowed).toBe(expected.length > 0 && expected.every((e) => e.allowed));
    expect(got.some).toBe(expected.some((e) => e.allowed));
  }
}

const property = (plantedBug: boolean) =>
  fc.property(clusterArbitrary({ maxWorkloads: 4, maxPods: 6, maxClusterPolicies: 2 }), serviceShape, fc.nat(20), (cluster, shape, srcIndex) =>
    check(withService(cluster, shape), srcIndex, plantedBug),
  );

describe('Service verdicts against the oracle', () => {
  test('backends, their target ports and verdicts; allowed iff every backend allows', () => {
    fc.assert(property(false), { numRuns: runs(150), ...(process.env['FC_SEED'] && { seed: Number(process.env['FC_SEED']) }) });
  });

  test('a planted bug (backends judged at the Service port) is caught', () => {
    expect(() => fc.assert(property(true), { numRuns: runs(300), seed: 42 })).toThrow();
  });
});
