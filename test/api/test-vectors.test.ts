// Test vectors for other dataplanes (testVectors, testVectorFiles): reproducible from a seed,
// manifests that load back to the cluster the verdicts are about, verdicts that are the
// reference's on the reloaded cluster, portable clusters (nothing depends on pod addresses), and
// truth tables in cyclonus's layout.
import { describe, expect, test } from 'vitest';
import {
  CompiledDataplane,
  loadText,
  loadTextOrThrow,
  parseFlow,
  ReferenceEvaluator,
  testVectorCases,
  TestVectorError,
  testVectorFiles,
  testVectors,
  truthTableText,
  type Cluster,
  type EvaluationOptions,
  type Flow,
} from '@netpol/core';
import { cidrContains, parseIP } from '@netpol/core';
import { cyclonusTable } from '../../packages/core/src/fuzz/truth-table.js';
import { vectorPorts } from '../../packages/core/src/fuzz/test-vectors.js';

const files = (seed: number, runs: number, tiers = 0) =>
  testVectors({ seed, runs, maxClusterPolicies: tiers }).map((c) => testVectorFiles(c, { options: { seed, runs, maxClusterPolicies: tiers } }));

describe('reproducible from a seed', () => {
  test('the same seed and options give byte-identical files; case i does not depend on how many follow', () => {
    const a = files(11, 4, 2);
    const b = files(11, 4, 2);
    expect(b).toEqual(a);
    // Case 2 of a longer run is case 2 of a shorter one, but for the run count meta.json records.
    const longer = files(11, 6, 2);
    const strip = (f: Record<string, string>) => ({ ...f, 'meta.json': '', 'README.md': '' });
    expect(strip(longer[1]!)).toEqual(strip(a[1]!));
    // Another seed draws other clusters.
    expect(files(12, 4, 2).map((f) => f['cluster.yaml'])).not.toEqual(a.map((f) => f['cluster.yaml']));
  });
});

describe('round trip', () => {
  const cases = testVectors({ seed: 3, runs: 40, maxClusterPolicies: 3, maxPods: 8 });

  test('the manifests load, without error, to the cluster the verdicts are about', () => {
    for (const c of cases) {
      const loaded = loadText(c.manifests);
      expect(loaded.issues.filter((i) => i.severity === 'error')).toEqual([]);
      expect(loaded.cluster).toEqual(c.cluster);
    }
  });

  test("every flow's expected verdict is the reference's on the reloaded cluster", () => {
    let flows = 0;
    let denied = 0;
    for (const c of cases) {
      const reference = new ReferenceEvaluator(loadTextOrThrow(c.manifests));
      for (const f of c.flows) {
        const parsed = parseFlow(f, reference.index);
        expect(parsed.ok).toBe(true);
        if (!parsed.ok) continue;
        const v = reference.verdict(parsed.flow);
        expect({ allowed: f.allowed, egress: f.egress, ingress: f.ingress }).toEqual(v);
        flows++;
        if (!f.allowed) denied++;
      }
    }
    // The set is not trivial: both verdicts occur, and often.
    expect(flows).toBeGreaterThan(2000);
    expect(denied).toBeGreaterThan(flows / 20);
    expect(denied).toBeLessThan(flows);
  });

  test('the flows are every ordered pod pair and each pod to and from each external address, per port spec', () => {
    for (const c of cases) {
      const p = c.pods.length;
      const e = c.externals.length;
      expect(c.flows.length).toBe(c.ports.length * (p * p + 2 * p * e));
      expect(new Set(c.flows.map((f) => `${f.protocol}/${f.port} ${f.src} ${f.dst}`)).size).toBe(c.flows.length);
    }
  });

  test('cluster-scoped policies are drawn when asked, and their decisions are in the vectors', () => {
    const decided = cases.flatMap((c) => c.flows.filter((f) => f.decidedBy !== undefined));
    expect(cases.some((c) => (c.cluster.clusterPolicies?.length ?? 0) > 0)).toBe(true);
    expect(decided.length).toBeGreaterThan(50);
    // Each says which rule decided.
    for (const f of decided) {
      const direction = f.egress.startsWith(f.decidedBy!) ? f.why.egress : f.why.ingress;
      expect(direction.policy).toMatch(/^(cnp|anp|banp)\//);
    }
  });
});

describe('portable clusters', () => {
  const cases = testVectors({ seed: 5, runs: 60, maxClusterPolicies: 2 });
  const PRIVATE = ['10.0.0.1', '10.244.1.7', '172.16.3.4', '172.31.255.254', '192.168.0.10', '192.168.255.1'].map((a) => parseIP(a)!);

  test('pods are Running with addresses of their own; no Nodes', () => {
    for (const c of cases) {
      expect(c.cluster.nodes).toEqual([]);
      expect(c.cluster.pods.every((p) => p.phase === 'Running' && !p.hostNetwork && p.ips.length === 1 && p.ports.every((x) => !x.init))).toBe(true);
      const ips = c.cluster.pods.map((p) => p.ips[0]!.value);
      expect(new Set(ips).size).toBe(ips.length);
      expect(c.pods.length).toBe(c.cluster.pods.length);
    }
  });

  test('no ipBlock or networks peer matches a private address, so verdicts between pods hold whatever their real addresses', () => {
    let blocks = 0;
    for (const c of cases) {
      for (const p of c.cluster.policies) {
        for (const r of [...p.ingress, ...p.egress]) {
          for (const peer of r.peers) {
            if (peer.kind !== 'ipBlock') continue;
            blocks++;
            for (const a of PRIVATE) {
              const matched = cidrContains(peer.ipBlock.cidr, a) && !peer.ipBlock.except.some((e) => cidrContains(e, a));
              expect(matched).toBe(false);
            }
          }
        }
      }
      for (const p of c.cluster.clusterPolicies ?? [])
        for (const r of [...p.ingress, ...p.egress])
          for (const peer of r.peers) if (peer.kind === 'networks') for (const a of PRIVATE) expect(peer.networks.some((n) => cidrContains(n, a))).toBe(false);
    }
    expect(blocks).toBeGreaterThan(60);
  });

  test('blocks moved off the private ranges are probed: external addresses inside them are allowed by them', () => {
    const byBlock = cases.flatMap((c) => c.flows.filter((f) => f.allowed && [f.src, f.dst].some((e) => c.externals.includes(e) && e !== '8.8.8.8')));
    expect(byBlock.filter((f) => f.why.egress.reason === 'rule' || f.why.ingress.reason === 'rule').length).toBeGreaterThan(20);
  });

  test('moving every pod to other addresses of the private ranges changes no verdict between pods', () => {
    for (const c of cases.slice(0, 20)) {
      const moved: Cluster = { ...c.cluster, pods: c.cluster.pods.map((p, i) => ({ ...p, ips: [parseIP(`172.20.${i >> 8}.${i & 255}`)!] })) };
      const before = new ReferenceEvaluator(c.cluster);
      const after = new ReferenceEvaluator(moved);
      for (const f of c.flows) {
        if (!c.pods.includes(f.src) || !c.pods.includes(f.dst)) continue;
        const x = parseFlow(f, before.index);
        const y = parseFlow(f, after.index);
        if (!x.ok || !y.ok) throw new Error('unparsable flow');
        expect(after.verdict(y.flow)).toEqual(before.verdict(x.flow));
      }
    }
  });

  test('external addresses are public', () => {
    for (const c of cases) for (const e of c.externals) expect(PRIVATE.length && /^(10\.|172\.(1[6-9]|2\d|3[01])\.|192\.168\.)/.test(e)).toBe(false);
  });
});

describe('a given cluster', () => {
  const YAML = `
apiVersion: v1
kind: Namespace
metadata: { name: x, labels: { kubernetes.io/metadata.name: x } }
---
apiVersion: v1
kind: Namespace
metadata: { name: z, labels: { kubernetes.io/metadata.name: z } }
---
apiVersion: v1
kind: Pod
metadata: { name: a, namespace: x, labels: { pod: a } }
spec: { containers: [{ name: c, image: i, ports: [{ name: web, containerPort: 8080 }] }] }
status: { phase: Running, podIP: 10.1.0.1 }
---
apiVersion: v1
kind: Pod
metadata: { name: b, namespace: z, labels: { pod: b } }
spec: { containers: [{ name: c, image: i }] }
status: { phase: Running, podIP: 10.1.0.2 }
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: web-from-z, namespace: x }
spec:
  podSelector: {}
  ingress:
    - from: [{ namespaceSelector: { matchLabels: { kubernetes.io/metadata.name: z } } }]
      ports: [{ port: web }]
    - from: [{ ipBlock: { cidr: 203.0.113.0/24 } }]
`;
  const cluster = loadTextOrThrow(YAML);

  test('is one case on the cluster as given, its named ports resolved into the port set', () => {
    const [c, ...rest] = testVectors({ cluster });
    expect(rest).toEqual([]);
    expect(c!.cluster).toBe(cluster);
    expect(c!.pods).toEqual(['x/a', 'z/b']);
    // 8080 is what the named port `web` resolves to on x/a; 203.0.113.1 is inside the ipBlock.
    expect(c!.ports).toEqual(['TCP/80', 'TCP/81', 'TCP/8080', 'UDP/53']);
    expect(c!.externals).toEqual(['8.8.8.8', '203.0.113.1']);
    const verdict = (src: string, dst: string, port: number) => c!.flows.find((f) => f.src === src && f.dst === dst && f.port === port)!;
    expect(verdict('z/b', 'x/a', 8080)).toMatchObject({ allowed: true, why: { ingress: { reason: 'rule', policy: 'x/web-from-z', rule: 0 } } });
    expect(verdict('z/b', 'x/a', 80)).toMatchObject({ allowed: false, why: { ingress: { reason: 'no-rule-matched', isolatedBy: ['x/web-from-z'] } } });
    expect(verdict('203.0.113.1', 'x/a', 81)).toMatchObject({ allowed: true, why: { ingress: { reason: 'rule', policy: 'x/web-from-z', rule: 1 } } });
    expect(verdict('8.8.8.8', 'x/a', 81).allowed).toBe(false);
  });

  test('its truth table, in cyclonus layout', () => {
    const [c] = testVectors({ cluster });
    const text = truthTableText(c!);
    const tables = text.split('\n\n');
    expect(tables[0]).toBe('# expected connectivity per protocol/port (rows: from, columns: to): . allowed, X blocked, - not a flow');
    expect(tables[3]).toBe(
      [
        '+-------------+-----+-----+---------+-------------+',
        '|  TCP/8080   | X/A | Z/B | 8.8.8.8 | 203.0.113.1 |',
        '+-------------+-----+-----+---------+-------------+',
        '| x/a         | .   | .   | .       | .           |',
        '| z/b         | .   | .   | .       | .           |',
        '| 8.8.8.8     | X   | .   | -       | -           |',
        '| 203.0.113.1 | .   | .   | -       | -           |',
        '+-------------+-----+-----+---------+-------------+',
      ].join('\n'),
    );
  });

  test('bounds: options out of range and cases over maxFlows are refused before any verdict', () => {
    expect(() => testVectors({ cluster, runs: 2 })).toThrow(TestVectorError);
    expect(() => testVectors({ seed: 1, maxPods: 51 })).toThrow(/maxPods must be an integer from 1 to 50/);
    expect(() => testVectors({ seed: 1, maxClusterPolicies: 11 })).toThrow(TestVectorError);
    expect(() => testVectors({ seed: 1, runs: 10_001 })).toThrow(TestVectorError);
    expect(() => testVectors({ seed: 1.5 })).toThrow(TestVectorError);
    expect(() => testVectors({ cluster, ports: [] })).toThrow(TestVectorError);
    expect(() => testVectors({ cluster, ports: [{ protocol: 6, port: 70_000 }] })).toThrow('ports[0]: TCP needs a port 0-65535, not 70000');
    expect(() => testVectors({ cluster, ports: [{ protocol: 6 }] })).toThrow('ports[0]: TCP needs a port 0-65535, not undefined');
    expect(() => testVectors({ cluster, ports: [{ protocol: 1, port: 8 }] })).toThrow('ports[0]: ICMP has no ports, but port 8 is given');
    expect(() => testVectors({ cluster, ports: [{ protocol: 256 }] })).toThrow('ports[0]: protocol must be a protocol number 0-255, not 256');
    // A misspelt option is a TypeError naming the one meant, not a default silently kept.
    expect(() => testVectors({ seed: 1, maxPod: 3 } as never)).toThrow(TypeError);
    expect(() => testVectors({ seed: 1, maxPod: 3 } as never)).toThrow(/maxPods/);
    expect(() => testVectors({ seed: '1' } as never)).toThrow(TypeError);
    // 2 pods, 2 externals: 2² + 2·2·2 = 12 flows per port spec, 4 specs.
    expect(() => testVectors({ cluster, maxFlows: 47 })).toThrow(/make 48 flows, more than the limit of 47/);
    expect(testVectors({ cluster, maxFlows: 48 })[0]!.flows).toHaveLength(48);
  });
});

describe('families and endpoints', () => {
  const DUAL = `
apiVersion: v1
kind: Pod
metadata: { name: four, labels: { app: a } }
spec: { containers: [{ name: c, image: i }] }
status: { phase: Running, podIPs: [{ ip: 10.1.0.1 }] }
---
apiVersion: v1
kind: Pod
metadata: { name: six, labels: { app: a } }
spec: { containers: [{ name: c, image: i }] }
status: { phase: Running, podIPs: [{ ip: "fd00::6" }] }
---
apiVersion: v1
kind: Pod
metadata: { name: dual, labels: { app: a } }
spec: { containers: [{ name: c, image: i }] }
status: { phase: Running, podIPs: [{ ip: 10.1.0.2 }, { ip: "fd00::7" }] }
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: out }
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress: [{ to: [{ ipBlock: { cidr: "2001:db8::/64" } }] }]
`;

  test('a pair without an address family in common is no flow; the bound counts exactly what is made', () => {
    const cluster = loadTextOrThrow(DUAL);
    const [c] = testVectors({ cluster });
    expect(c!.externals).toEqual(['8.8.8.8', '2001:db8::1']);
    const pairs = new Set(c!.flows.filter((f) => f.port === 80).map((f) => `${f.src} ${f.dst}`));
    expect(pairs.has('default/four default/six')).toBe(false);
    expect(pairs.has('default/four 2001:db8::1')).toBe(false);
    expect(pairs.has('default/six default/dual')).toBe(true);
    expect(pairs.has('2001:db8::1 default/dual')).toBe(true);
    // four-four, four-dual, dual-four, dual-dual, six-six, six-dual, dual-six, and 2 x (2 pods x v4 + 2 pods x v6)
    expect(pairs.size).toBe(7 + 8);
    const n = c!.flows.length;
    expect(testVectors({ cluster, maxFlows: n })[0]!.flows).toHaveLength(n);
    expect(() => testVectors({ cluster, maxFlows: n - 1 })).toThrow(TestVectorError);
    // Every flow replays (the family is picked as netpol verdict picks it).
    const reference = new ReferenceEvaluator(cluster);
    for (const f of c!.flows) expect(parseFlow(f, reference.index).ok).toBe(true);
  });

  test('a cluster with no pod to probe (workloads only) is refused', () => {
    const cluster = loadTextOrThrow(`
apiVersion: apps/v1
kind: Deployment
metadata: { name: web }
spec:
  selector: { matchLabels: { app: web } }
  template: { metadata: { labels: { app: web } }, spec: { containers: [{ name: c, image: i }] } }
`);
    expect(() => testVectors({ cluster })).toThrow(/no pod to probe/);
  });
});

describe('cyclonus layout', () => {
  test("tablewriter's: borders, header upper-case and centred (the odd space right), cells left-aligned", () => {
    expect(cyclonusTable('TCP/80', ['x/a', 'x/bb'], ['x/a', 'x/bb'], (i, j) => (i === j ? '.' : 'X'))).toEqual([
      '+--------+-----+------+',
      '| TCP/80 | X/A | X/BB |',
      '+--------+-----+------+',
      '| x/a    | .   | X    |',
      '| x/bb   | X   | .    |',
      '+--------+-----+------+',
    ]);
    expect(cyclonusTable('UDP/2', ['a/longer-name'], ['a/b'], () => '.')[1]).toBe('|     UDP/2     | A/B |');
  });
});

describe('port set', () => {
  test("derived from the policies' numbers, range ends and one past, and named ports as resolved; bounded", () => {
    const cluster = loadTextOrThrow(`
apiVersion: v1
kind: Pod
metadata: { name: a, labels: { app: a } }
spec: { containers: [{ name: c, image: i, ports: [{ name: dns, containerPort: 5353, protocol: UDP }] }] }
status: { phase: Running, podIP: 10.1.0.1 }
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: p }
spec:
  podSelector: {}
  egress:
    - ports: [{ port: 443 }, { port: 1000, endPort: 1010 }, { port: dns, protocol: UDP }, { port: 9, protocol: SCTP }]
`);
    expect(vectorPorts(cluster).map((s) => `${s.protocol}/${s.port}`)).toEqual([
      '6/80',
      '6/81',
      '6/443',
      '6/1000',
      '6/1010',
      '6/1011',
      '17/53',
      '17/5353',
      '132/9',
    ]);
  });
});

describe('cross-check', () => {
  test('an engine that disagrees with the reference is reported with the flow', () => {
    // Right except that it lets every flow to port 81 in.
    const broken = (c: Cluster, o: EvaluationOptions) => {
      const real = new CompiledDataplane(c, o);
      return {
        index: real.index,
        verdict: (f: Flow) => (f.port === 81 ? { allowed: true, egress: 'not-isolated' as const, ingress: 'not-isolated' as const } : real.verdict(f)),
        explain: (f: Flow) => real.explain(f),
      };
    };
    const runs = [...testVectorCases({ seed: 9, runs: 30, crossCheck: [{ name: 'broken', make: broken }] })];
    const found = runs.filter((c) => c.disagreement);
    expect(found.length).toBeGreaterThan(0);
    for (const c of found) expect(c.disagreement).toMatchObject({ kind: 'verdict', engineName: 'broken', flow: { port: 81 } });
    // The compiled dataplane agrees everywhere.
    expect(
      testVectors({ seed: 9, runs: 30, crossCheck: [{ name: 'compiled', make: (c, o) => new CompiledDataplane(c, o) }] }).filter((c) => c.disagreement),
    ).toEqual([]);
  });
});
