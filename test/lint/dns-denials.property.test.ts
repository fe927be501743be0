// egress-without-dns judges pods in groups (one namespace, the same egress policies; with
// cluster-scoped egress rules, the same labels): on random clusters with tiers and workloads, the
// pods it finds denied DNS are exactly the pods a flow-by-flow check with the reference
// evaluator finds, each pod judged on its own address (a template pod, or a pod whose address
// another pod claims, without one), with CoreDNS in the input and without it (the stand-in), and
// every denial is attributed to a policy. Replay a failure with FC_SEED=<seed>.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { parseIP, ReferenceEvaluator, type Cluster, type FlowEnd, type Pod } from '@netpol/core';
import { clusterArbitrary } from '../../packages/core/src/fuzz/arbitraries.js';
import { clusterToYaml } from '../../packages/core/src/fuzz/to-yaml.js';
import { lintContext } from '../../packages/core/src/lint/context.js';
import { dnsDenials, outsideAddresses } from '../../packages/core/src/lint/checks/egress-without-dns.js';
import { runs } from '../helpers.js';

const COREDNS: Pod = {
  namespace: 'kube-system',
  name: 'coredns',
  labels: { 'k8s-app': 'kube-dns' },
  ips: [parseIP('10.0.3.53')!],
  nodeName: undefined,
  hostNetwork: false,
  phase: 'Running',
  ports: [
    { name: 'dns', port: 53, protocol: 'UDP', init: false },
    { name: 'dns-tcp', port: 53, protocol: 'TCP', init: false },
  ],
};

const withDns = (c: Cluster): Cluster => ({
  ...c,
  namespaces: [...c.namespaces, { name: 'kube-system', labels: { 'kubernetes.io/metadata.name': 'kube-system' } }],
  pods: [...c.pods, COREDNS],
});

/** `namespace/name protocol` of every pod the reference says cannot reach DNS, flow by flow. */
function bruteForce(c: Cluster, endpoints: readonly Pod[]): string[] {
  const ref = new ReferenceEvaluator(c);
  const dns = endpoints.filter((p) => p.namespace === 'kube-system' && p.labels['k8s-app'] === 'kube-dns');
  const standIn: Pod = { ...COREDNS, ips: [] };
  const addresses = outsideAddresses(c, ref);
  const out: string[] = [];
  for (const pod of endpoints) {
    if (dns.includes(pod)) continue;
    for (const [name, protocol] of [
      ['UDP', 17],
      ['TCP', 6],
    ] as const) {
      // The pod at its own address, towards the DNS pod's (the same family), as real traffic is
      // judged; an address another pod claims (a Pending pod reusing a Running one's IP) is judged
      // as that pod's, so such a pod is judged on itself, as lint judges every pod.
      const reaches = (dst: FlowEnd): boolean => {
        const address = dst.address && pod.ips.find((ip) => ip.family === dst.address!.family && ref.index.podByIP(ip) === pod);
        const src: FlowEnd = address ? { pod, address } : { pod };
        return !['denied', 'admin-denied', 'baseline-denied'].includes(ref.verdictBetween(src, dst, protocol, 53).egress);
      };
      const ok = dns.length > 0 ? dns.every((d) => reaches({ pod: d, address: d.ips[0]! })) : reaches({ pod: standIn }) || addresses.some(reaches);
      if (!ok) out.push(`${pod.namespace}/${pod.name} ${name}`);
    }
  }
  return out.sort();
}

describe('egress-without-dns finds exactly the pods that cannot reach DNS', () => {
  test.each([
    ['with CoreDNS in the input', withDns],
    ['without (the stand-in)', (c: Cluster) => c],
  ])('%s', (_, shape) => {
    let denied = 0;
    fc.assert(
      fc.property(clusterArbitrary({ maxClusterPolicies: 3, maxWorkloads: 3 }), (generated) => {
        const c = shape(generated);
        const ctx = lintContext(c);
        const found = dnsDenials(ctx)
          .denials.flatMap((d) => d.pods.map((p) => `${p.namespace}/${p.name} ${d.protocol}`))
          .sort();
        for (const d of dnsDenials(ctx).denials) expect(d.at, 'every denial is attributed').toBeDefined();
        const expected = bruteForce(c, ctx.endpoints);
        if (JSON.stringify(found) !== JSON.stringify(expected)) expect.fail(`found ${found}\nexpected ${expected}\n${clusterToYaml(c)}`);
        denied += found.length;
      }),
      { numRuns: runs(200) },
    );
    expect(denied).toBeGreaterThan(0);
  });
});
