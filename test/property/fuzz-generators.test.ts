// The fuzz generators themselves: what they produce is valid, survives the trip through
// manifests and flow records, and really contains the collisions they exist to create.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  ClusterIndex,
  loadText,
  parseFlow,
  ReferenceEvaluator,
  type CIDR,
  type Cluster,
  type EvaluationOptions,
  type Flow,
  type IPBlock,
  type Pod,
} from '@netpol/core';
import { bitsOf, ipKey } from '../../packages/core/src/ip/address.js';
import { isStrictSubset } from '../../packages/core/src/ip/cidr.js';
import { hasPorts } from '../../packages/core/src/model/protocol.js';
import {
  clusterArbitrary,
  clusterCIDRs,
  flowArbitrary,
  NAMESPACE_NAME_LABEL,
  scenarioArbitrary,
  type Scenario,
} from '../../packages/core/src/fuzz/arbitraries.js';
import { clusterToYaml, flowToJson } from '../../packages/core/src/fuzz/to-yaml.js';

const FLIPPED: EvaluationOptions = {
  ipBlockMatchesPods: false,
  allowIngressFromLocalNode: false,
  allowEgressToLocalNode: true,
  initContainerPorts: false,
  ipv4MappedAsIPv4: true,
  allowICMPv6NeighborDiscovery: true,
};

/** Warnings a generated cluster may legitimately draw; anything else means the YAML is off. */
const EXPECTED_WARNINGS = new Set(['shared-pod-ip', 'shared-node-ip', 'rules-ignored']);

/** The explanation, or the error it throws (ipv4MappedAsIPv4 can make a flow mix families). */
function outcome(ev: ReferenceEvaluator, f: Flow): unknown {
  try {
    return ev.explain(f);
  } catch (e) {
    return { threw: String(e) };
  }
}

const isLive = (p: Pod): boolean => !p.hostNetwork && p.phase !== 'Succeeded' && p.phase !== 'Failed';

/** Every model invariant the loader guarantees, as a list of violations (empty = fine). */
function invariantViolations(c: Cluster): string[] {
  const bad: string[] = [];
  const nsNames = new Set(c.namespaces.map((n) => n.name));
  if (nsNames.size !== c.namespaces.length) bad.push('duplicate namespace');
  for (const ns of c.namespaces) if (ns.labels[NAMESPACE_NAME_LABEL] !== ns.name) bad.push(`namespace ${ns.name} lacks its name label`);
  const nodeNames = new Set(c.nodes.map((n) => n.name));
  if (nodeNames.size !== c.nodes.length) bad.push('duplicate node');
  const nodeIPs = new Map(c.nodes.map((n) => [n.name, new Set(n.ips.map(ipKey))]));
  const podKeys = new Set<string>();
  for (const p of c.pods) {
    const key = `${p.namespace}/${p.name}`;
    if (podKeys.has(key)) bad.push(`duplicate pod ${key}`);
    podKeys.add(key);
    if (!nsNames.has(p.namespace)) bad.push(`pod ${key} in unknown namespace`);
    if (p.ips.filter((x) => x.family === 4).length > 1 || p.ips.filter((x) => x.family === 6).length > 1) bad.push(`pod ${key} has two IPs of one family`);
    if (p.nodeName !== undefined && !nodeNames.has(p.nodeName)) bad.push(`pod ${key} on unknown node`);
    if (p.hostNetwork && (p.nodeName === undefined || !p.ips.every((x) => nodeIPs.get(p.nodeName!)?.has(ipKey(x)))))
      bad.push(`hostNetwork pod ${key} does not use its node's IPs`);
    const firstInit = p.ports.findIndex((x) => x.init);
    if (firstInit >= 0 && p.ports.slice(firstInit).some((x) => !x.init)) bad.push(`pod ${key} lists a regular port after an init port`);
    for (const cp of p.ports) if (cp.port < 1 || cp.port > 65535) bad.push(`pod ${key} port ${cp.port}`);
  }
  const policyKeys = new Set<string>();
  for (const p of c.policies) {
    const key = `${p.namespace}/${p.name}`;
    if (policyKeys.has(key)) bad.push(`duplicate policy ${key}`);
    policyKeys.add(key);
    if (!nsNames.has(p.namespace)) bad.push(`policy ${key} in unknown namespace`);
    if (!p.affects.ingress && !p.affects.egress) bad.push(`policy ${key} affects nothing`);
    for (const r of [...p.ingress, ...p.egress]) {
      for (const port of r.ports) {
        if (typeof port.port === 'number' && (port.port < 1 || port.port > 65535)) bad.push(`policy ${key} port ${port.port}`);
        if (port.endPort !== undefined && (typeof port.port !== 'number' || port.endPort < port.port || port.endPort > 65535))
          bad.push(`policy ${key} endPort ${port.endPort}`);
      }
      for (const peer of r.peers) {
        if (peer.kind === 'selector') {
          if (!peer.podSelector && !peer.namespaceSelector) bad.push(`policy ${key} has an empty peer`);
          for (const s of [peer.podSelector, peer.namespaceSelector]) {
            for (const e of s?.matchExpressions ?? []) {
              const needs = e.operator === 'In' || e.operator === 'NotIn';
              if (needs !== e.values.length > 0) bad.push(`policy ${key} expression ${e.operator} with ${e.values.length} values`);
            }
          }
          continue;
        }
        const { cidr, except } = peer.ipBlock;
        for (const x of [cidr, ...except]) {
          const host = BigInt(bitsOf(x.family) - x.prefix);
          if ((x.base >> host) << host !== x.base) bad.push(`policy ${key} CIDR base not masked`);
          if (x.family === 6 && x.base >> 32n === 0xffffn) bad.push(`policy ${key} IPv4-mapped IPv6 CIDR`);
        }
        for (const e of except) if (!isStrictSubset(e, cidr)) bad.push(`policy ${key} except is not a strict subset`);
      }
    }
  }
  return bad;
}

function flowViolations(f: Flow): string[] {
  const bad: string[] = [];
  if (f.src.family !== f.dst.family) bad.push('mixed families');
  if (hasPorts(f.protocol) !== (f.port !== undefined)) bad.push(`protocol ${f.protocol} with port ${f.port}`);
  if (f.port !== undefined && (f.port < 0 || f.port > 65535)) bad.push(`port ${f.port}`);
  if (f.icmpType !== undefined && (f.protocol !== 58 || f.icmpType < 128 || f.icmpType > 137)) bad.push(`icmpType ${f.icmpType}`);
  return bad;
}

describe('generated values are valid model values', () => {
  test('clusters satisfy the model invariants and flows are well formed', () => {
    fc.assert(
      fc.property(scenarioArbitrary(), ({ cluster, flows }) => {
        expect(invariantViolations(cluster)).toEqual([]);
        expect(flows.length).toBeGreaterThanOrEqual(1);
        expect(flows.length).toBeLessThanOrEqual(20);
        expect(flows.flatMap(flowViolations)).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  test('options are honoured: IPv4 only, size limits', () => {
    fc.assert(
      fc.property(scenarioArbitrary({ ipv6: false, maxPods: 2, maxPolicies: 1, maxNodes: 1, maxNamespaces: 1 }), ({ cluster, flows }) => {
        expect(cluster.pods.length).toBeLessThanOrEqual(2);
        expect(cluster.policies.length).toBeLessThanOrEqual(1);
        expect(cluster.nodes.length).toBeLessThanOrEqual(1);
        expect(cluster.namespaces).toHaveLength(1);
        const families = [
          ...cluster.pods.flatMap((p) => p.ips),
          ...cluster.nodes.flatMap((n) => n.ips),
          ...clusterCIDRs(cluster),
          ...flows.map((f) => f.src),
        ].map((x) => x.family);
        expect(families.every((f) => f === 4)).toBe(true);
      }),
      { numRuns: 100 },
    );
  });

  test('flowArbitrary options: established percentage, IPv4 only', () => {
    fc.assert(
      fc.property(
        clusterArbitrary().chain((c) =>
          fc.tuple(
            fc.constant(c),
            fc.array(flowArbitrary(c, { establishedPercent: 0, ipv6: false }), { minLength: 5 }),
            fc.array(flowArbitrary(c, { establishedPercent: 100 }), { minLength: 5 }),
          ),
        ),
        ([, never, always]) => {
          expect(never.filter((f) => f.established)).toEqual([]);
          expect(never.filter((f) => f.src.family !== 4 || f.dst.family !== 4)).toEqual([]);
          expect(always.filter((f) => f.established !== true)).toEqual([]);
        },
      ),
      { numRuns: 50 },
    );
  });

  test('clusterToYaml refuses what manifests cannot express', () => {
    const base: Cluster = { namespaces: [{ name: 'a', labels: { [NAMESPACE_NAME_LABEL]: 'a' } }], pods: [], nodes: [], policies: [] };
    const policy = { namespace: 'a', name: 'p', podSelector: { matchLabels: {}, matchExpressions: [] }, ingress: [], egress: [] };
    expect(() => clusterToYaml({ ...base, policies: [{ ...policy, affects: { ingress: false, egress: false } }] })).toThrow(/neither direction/);
    expect(() =>
      clusterToYaml({ ...base, policies: [{ ...policy, affects: { ingress: true, egress: false }, ingress: [{ ports: [], peers: [{ kind: 'selector' }] }] }] }),
    ).toThrow(/neither podSelector/);
    const mapped = { family: 6 as const, base: 0xffff0a000000n, prefix: 120 };
    expect(() =>
      clusterToYaml({
        ...base,
        policies: [
          {
            ...policy,
            affects: { ingress: true, egress: false },
            ingress: [{ ports: [], peers: [{ kind: 'ipBlock', ipBlock: { cidr: mapped, except: [] } }] }],
          },
        ],
      }),
    ).toThrow(/IPv4-mapped/);
  });
});

describe('round trips', () => {
  test('(a) clusterToYaml → loadText gives the same cluster and the same verdicts', () => {
    fc.assert(
      fc.property(scenarioArbitrary(), ({ cluster, flows }) => {
        const yaml = clusterToYaml(cluster);
        const loaded = loadText(yaml, { file: 'generated.yaml', strict: true });
        expect(loaded.issues.filter((i) => i.severity === 'error')).toEqual([]);
        expect(loaded.issues.filter((i) => !EXPECTED_WARNINGS.has(i.code))).toEqual([]);
        expect(loaded.cluster).toEqual(cluster);
        for (const options of [{}, FLIPPED]) {
          const direct = new ReferenceEvaluator(cluster, options);
          const viaYaml = new ReferenceEvaluator(loaded.cluster!, options);
          for (const f of flows) expect(outcome(viaYaml, f)).toEqual(outcome(direct, f));
        }
      }),
      { numRuns: 200 },
    );
  });

  test('(a) the expected warnings do show up (shared IPs, rules of an unaffected direction)', () => {
    const codes = new Set(fc.sample(clusterArbitrary(), { numRuns: 200, seed: 11 }).flatMap((c) => loadText(clusterToYaml(c)).issues.map((i) => i.code)));
    expect([...codes].sort()).toEqual(['rules-ignored', 'shared-node-ip', 'shared-pod-ip']);
  });

  test('(b) flowToJson → JSON text → parseFlow gives the same flow', () => {
    fc.assert(
      fc.property(scenarioArbitrary(), ({ cluster, flows }) => {
        const index = new ClusterIndex(cluster);
        for (const f of flows) {
          const parsed = parseFlow(JSON.parse(JSON.stringify(flowToJson(f))), index);
          expect(parsed).toEqual({ ok: true, flow: f });
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('(c) the generators produce the edge cases they are for', () => {
  const clusters = fc.sample(clusterArbitrary(), { numRuns: 200, seed: 42 });
  const count = (pred: (c: Cluster) => boolean): number => clusters.filter(pred).length;
  const policies = (c: Cluster) => c.policies;
  const rules = (c: Cluster) => c.policies.flatMap((p) => [...p.ingress, ...p.egress]);
  const ports = (c: Cluster) => rules(c).flatMap((r) => r.ports);
  const peers = (c: Cluster) => rules(c).flatMap((r) => r.peers);
  const ipBlocks = (c: Cluster) => peers(c).flatMap((p) => (p.kind === 'ipBlock' ? [p.ipBlock] : []));
  const selectors = (c: Cluster) => [
    ...c.policies.map((p) => p.podSelector),
    ...peers(c).flatMap((p) => (p.kind === 'selector' ? [p.podSelector, p.namespaceSelector].filter((s) => s !== undefined) : [])),
  ];

  test('pods: shared IPs, hostNetwork, dual-stack, phases, init ports', () => {
    const sharedLive = count((c) => {
      const keys = c.pods.filter(isLive).flatMap((p) => p.ips.map(ipKey));
      return new Set(keys).size < keys.length;
    });
    expect(sharedLive).toBeGreaterThanOrEqual(20);
    expect(count((c) => c.pods.some((p) => p.hostNetwork))).toBeGreaterThanOrEqual(10);
    expect(count((c) => c.pods.some((p) => !p.hostNetwork && new Set(p.ips.map((x) => x.family)).size === 2))).toBeGreaterThanOrEqual(20);
    expect(count((c) => c.pods.some((p) => p.ips.length === 0))).toBeGreaterThan(0);
    expect(
      count((c) => c.pods.some((p) => !p.hostNetwork && c.nodes.some((n) => n.ips.some((x) => p.ips.some((y) => ipKey(x) === ipKey(y)))))),
    ).toBeGreaterThan(0);
    for (const phase of ['Pending', 'Succeeded', 'Failed', 'Unknown'] as const) expect(count((c) => c.pods.some((p) => p.phase === phase))).toBeGreaterThan(0);
    expect(count((c) => c.pods.some((p) => p.ports.some((x) => x.init)))).toBeGreaterThan(0);
    expect(count((c) => c.nodes.some((n) => n.ips.some((x) => x.family === 6)))).toBeGreaterThan(0);
  });

  test('named ports resolve to different numbers or protocols on different pods', () => {
    const differing = count((c) => {
      const byName = new Map<string, Set<string>>();
      for (const p of c.pods) for (const cp of p.ports) if (cp.name) byName.set(cp.name, (byName.get(cp.name) ?? new Set()).add(`${cp.protocol}/${cp.port}`));
      return [...byName.values()].some((s) => s.size > 1);
    });
    expect(differing).toBeGreaterThanOrEqual(20);
  });

  test('selectors: every operator, matchLabels, empty selectors, namespace name label', () => {
    for (const op of ['In', 'NotIn', 'Exists', 'DoesNotExist'] as const) {
      expect(count((c) => selectors(c).some((s) => s.matchExpressions.some((e) => e.operator === op)))).toBeGreaterThanOrEqual(10);
    }
    expect(count((c) => selectors(c).some((s) => Object.keys(s.matchLabels).length > 0))).toBeGreaterThan(0);
    expect(count((c) => selectors(c).some((s) => Object.keys(s.matchLabels).length === 0 && s.matchExpressions.length === 0))).toBeGreaterThan(0);
    expect(
      count((c) =>
        peers(c).some(
          (p) =>
            p.kind === 'selector' &&
            p.namespaceSelector &&
            [...Object.keys(p.namespaceSelector.matchLabels), ...p.namespaceSelector.matchExpressions.map((e) => e.key)].includes(NAMESPACE_NAME_LABEL),
        ),
      ),
    ).toBeGreaterThan(0);
  });

  test('peers of every kind; ipBlocks with excepts, IPv6, /0, covering pod IPs', () => {
    expect(count((c) => peers(c).some((p) => p.kind === 'selector' && p.podSelector && !p.namespaceSelector))).toBeGreaterThan(0);
    expect(count((c) => peers(c).some((p) => p.kind === 'selector' && !p.podSelector && p.namespaceSelector))).toBeGreaterThan(0);
    expect(count((c) => peers(c).some((p) => p.kind === 'selector' && p.podSelector && p.namespaceSelector))).toBeGreaterThan(0);
    expect(count((c) => ipBlocks(c).some((b) => b.except.length === 2))).toBeGreaterThan(0);
    expect(count((c) => ipBlocks(c).some((b) => b.cidr.family === 6 && b.except.length > 0))).toBeGreaterThan(0);
    expect(count((c) => ipBlocks(c).some((b) => b.cidr.prefix === 0))).toBeGreaterThan(0);
    expect(count((c) => ipBlocks(c).some((b) => b.except.some((e) => e.prefix === bitsOf(e.family))))).toBeGreaterThan(0);
    // An except (or a cidr) that contains a pod IP: ipBlock and pod IPs collide.
    const covers = (c: Cluster, pick: (b: IPBlock) => readonly CIDR[]) =>
      ipBlocks(c).some((b) =>
        pick(b).some((x) =>
          c.pods.some((p) =>
            p.ips.some((a) => a.family === x.family && a.value >> BigInt(bitsOf(x.family) - x.prefix) === x.base >> BigInt(bitsOf(x.family) - x.prefix)),
          ),
        ),
      );
    expect(count((c) => covers(c, (b) => [b.cidr]))).toBeGreaterThanOrEqual(20);
    expect(count((c) => covers(c, (b) => b.except))).toBeGreaterThanOrEqual(10);
  });

  test('ports and rules: boundaries, ranges, named and unknown names, protocol-only, every protocol, empty lists', () => {
    for (const n of [1, 2, 65534, 65535]) expect(count((c) => ports(c).some((p) => p.port === n))).toBeGreaterThan(0);
    expect(count((c) => ports(c).some((p) => p.endPort !== undefined && p.endPort === p.port))).toBeGreaterThan(0);
    expect(count((c) => ports(c).some((p) => p.endPort !== undefined && p.endPort > (p.port as number)))).toBeGreaterThan(0);
    expect(count((c) => ports(c).some((p) => p.port === 'grpc'))).toBeGreaterThan(0);
    expect(count((c) => ports(c).some((p) => p.port === 'http' || p.port === 'dns' || p.port === 'metrics'))).toBeGreaterThan(0);
    expect(count((c) => ports(c).some((p) => p.port === undefined))).toBeGreaterThan(0);
    for (const proto of ['TCP', 'UDP', 'SCTP'] as const) expect(count((c) => ports(c).some((p) => p.protocol === proto))).toBeGreaterThan(0);
    expect(count((c) => rules(c).some((r) => r.peers.length === 0))).toBeGreaterThan(0);
    expect(count((c) => rules(c).some((r) => r.ports.length === 0))).toBeGreaterThan(0);
    for (const [ingress, egress] of [
      [true, false],
      [false, true],
      [true, true],
    ]) {
      expect(count((c) => policies(c).some((p) => p.affects.ingress === ingress && p.affects.egress === egress))).toBeGreaterThan(0);
    }
    expect(count((c) => policies(c).some((p) => (!p.affects.ingress && p.ingress.length > 0) || (!p.affects.egress && p.egress.length > 0)))).toBeGreaterThan(
      0,
    );
    expect(count((c) => policies(c).some((p) => p.affects.ingress && p.ingress.length === 0))).toBeGreaterThan(0);
  });

  test('flows: edge addresses and ports, every protocol, replies, ICMPv6 types, self flows', () => {
    const scenarios = fc.sample(scenarioArbitrary(), { numRuns: 200, seed: 7 });
    const flows = scenarios.flatMap((s) => s.flows);
    for (const proto of [6, 17, 132, 1, 58, 47]) expect(flows.some((f) => f.protocol === proto)).toBe(true);
    for (const port of [0, 1, 65535]) expect(flows.some((f) => f.port === port)).toBe(true);
    expect(flows.some((f) => f.established)).toBe(true);
    expect(flows.some((f) => f.icmpType !== undefined)).toBe(true);
    expect(flows.some((f) => f.src.family === 6)).toBe(true);
    expect(flows.filter((f) => ipKey(f.src) === ipKey(f.dst)).length).toBeGreaterThan(0);
    // Flows at the edge of a CIDR: first address minus one (just outside) is probed.
    const edge = scenarios.some((s) =>
      s.flows.some((f) => clusterCIDRs(s.cluster).some((c) => c.family === f.dst.family && c.base > 0n && f.dst.value === c.base - 1n)),
    );
    expect(edge).toBe(true);
  });

  test('verdicts: allowed and denied flows, every reason, rules matched via ipBlock and named ports', () => {
    const scenarios: Scenario[] = fc.sample(scenarioArbitrary(), { numRuns: 200, seed: 3 });
    let allowed = 0;
    let denied = 0;
    const reasons = new Set<string>();
    let deniedEgress = 0;
    let deniedIngress = 0;
    let viaIPBlockOnPod = 0;
    let viaNamedPort = 0;
    for (const { cluster, flows } of scenarios) {
      const ev = new ReferenceEvaluator(cluster);
      for (const f of flows) {
        const e = ev.explain(f);
        if (e.allowed) allowed++;
        else denied++;
        if (e.egress === 'denied') deniedEgress++;
        if (e.ingress === 'denied') deniedIngress++;
        for (const d of [e.egressDetail, e.ingressDetail]) {
          reasons.add(d.reason);
          for (const ref of d.allowedBy) {
            const policy = cluster.policies.find((p) => `${p.namespace}/${p.name}` === ref.policy)!;
            const rule = policy[ref.direction][ref.ruleIndex]!;
            const peerPod = d.direction === 'egress' ? ev.index.podByIP(f.dst) : ev.index.podByIP(f.src);
            if (ref.peerIndex !== null && rule.peers[ref.peerIndex]!.kind === 'ipBlock' && peerPod) viaIPBlockOnPod++;
            if (ref.portIndex !== null && typeof rule.ports[ref.portIndex]!.port === 'string') viaNamedPort++;
          }
        }
      }
    }
    const total = allowed + denied;
    expect(allowed / total).toBeGreaterThan(0.2);
    expect(denied / total).toBeGreaterThan(0.1);
    expect(deniedEgress).toBeGreaterThan(0);
    expect(deniedIngress).toBeGreaterThan(0);
    expect([...reasons].sort()).toEqual(['local-node', 'no-policy', 'no-rule-matched', 'not-a-pod', 'reply', 'rule', 'self']);
    expect(viaIPBlockOnPod).toBeGreaterThan(0);
    expect(viaNamedPort).toBeGreaterThan(0);
  });
});
