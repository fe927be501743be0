// The tier generators: what they draw is valid under the CRDs' rules, NetworkPolicy-only
// draws are unchanged by the option, and the flows reach every tier outcome the differential
// exists to compare (each decision, Pass chains into the next tier, ties, every peer kind
// matching, named ports, domain names, ICMP decided by a tier).
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { ClusterIndex, parseFlow, ReferenceEvaluator, type Cluster, type ClusterRuleRef, type Explanation } from '@netpol/core';
import { bitsOf } from '../../packages/core/src/ip/address.js';
import { clusterArbitrary, scenarioArbitrary, type Scenario } from '../../packages/core/src/fuzz/arbitraries.js';
import { flowToJson } from '../../packages/core/src/fuzz/to-yaml.js';

/** The CRD rules a generated cluster-scoped policy must satisfy, as a list of violations. */
function violations(c: Cluster): string[] {
  const bad: string[] = [];
  const policies = c.clusterPolicies ?? [];
  const names = new Set<string>();
  for (const p of policies) {
    const key = `${p.kind}/${p.name}`;
    if (names.has(key)) bad.push(`duplicate ${key}`);
    names.add(key);
    if (p.kind === 'BaselineAdminNetworkPolicy') {
      if (p.name !== 'default' || p.priority !== 1001 || p.tier !== 'Baseline') bad.push(`BANP ${p.name} ${p.priority} ${p.tier}`);
    } else if (p.priority < 0 || p.priority > 1000 || !Number.isInteger(p.priority)) bad.push(`${key} priority ${p.priority}`);
    if (p.kind === 'AdminNetworkPolicy' && p.tier !== 'Admin') bad.push(`${key} tier ${p.tier}`);
    for (const direction of ['ingress', 'egress'] as const) {
      for (const r of p[direction]) {
        if (r.peers.length === 0) bad.push(`${key} rule without peers`);
        if (p.kind === 'BaselineAdminNetworkPolicy' && r.action === 'Pass') bad.push(`${key} Pass`);
        for (const peer of r.peers) {
          if (direction === 'ingress' && peer.kind !== 'namespaces' && peer.kind !== 'pods') bad.push(`${key} ingress ${peer.kind} peer`);
          if (peer.kind === 'domainNames' && (r.action !== 'Accept' || p.kind === 'BaselineAdminNetworkPolicy')) bad.push(`${key} domainNames in ${r.action}`);
          if (peer.kind === 'networks') {
            if (peer.networks.length === 0) bad.push(`${key} empty networks`);
            for (const x of peer.networks) {
              const host = BigInt(bitsOf(x.family) - x.prefix);
              if ((x.base >> host) << host !== x.base) bad.push(`${key} CIDR base not masked`);
            }
          }
          if (peer.kind === 'unknown') bad.push(`${key} unknown peer`);
        }
        const byAddress = r.peers.some((x) => x.kind === 'nodes' || x.kind === 'networks' || x.kind === 'domainNames');
        for (const port of r.ports) {
          if (port.kind === 'named' && byAddress) bad.push(`${key} named port beside an address peer`);
          if (port.kind === 'range' && (port.start < 1 || port.end > 65535 || port.start > port.end)) bad.push(`${key} range ${port.start}-${port.end}`);
        }
      }
    }
  }
  if (policies.filter((p) => p.kind === 'BaselineAdminNetworkPolicy').length > 1) bad.push('two BANPs');
  return bad;
}

describe('tier generators', () => {
  test('cluster-scoped policies follow the CRDs', () => {
    fc.assert(
      fc.property(clusterArbitrary({ maxClusterPolicies: 5 }), (c) => {
        expect(violations(c)).toEqual([]);
        expect(c.clusterPolicies!.length).toBeGreaterThanOrEqual(1);
        expect(c.clusterPolicies!.filter((p) => p.kind !== 'BaselineAdminNetworkPolicy').length).toBeLessThanOrEqual(5);
        expect(c.nodes.every((n) => n.labels !== undefined)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  test('without the option, a seed draws the NetworkPolicy-only cluster it always drew', () => {
    const plain = fc.sample(clusterArbitrary(), { numRuns: 50, seed: 9 });
    const zero = fc.sample(clusterArbitrary({ maxClusterPolicies: 0 }), { numRuns: 50, seed: 9 });
    expect(zero).toEqual(plain);
    expect(plain.every((c) => c.clusterPolicies === undefined && c.nodes.every((n) => n.labels === undefined))).toBe(true);
    // The option adds the tiers on top of the same NetworkPolicy-only part.
    const tiered = fc.sample(clusterArbitrary({ maxClusterPolicies: 3 }), { numRuns: 50, seed: 9 });
    expect(tiered.map((c) => ({ ...c, clusterPolicies: undefined, nodes: c.nodes.map(({ labels: _, ...n }) => n) }))).toEqual(
      plain.map((c) => ({ ...c, clusterPolicies: undefined })),
    );
  });

  test('unknown peers (a lenient load of a newer CRD) only when asked for', () => {
    const unknowns = (cs: Cluster[]) =>
      cs.flatMap((c) => (c.clusterPolicies ?? []).flatMap((p) => [...p.ingress, ...p.egress]).flatMap((r) => r.peers)).filter((p) => p.kind === 'unknown')
        .length;
    expect(unknowns(fc.sample(clusterArbitrary({ maxClusterPolicies: 4 }), { numRuns: 100, seed: 2 }))).toBe(0);
    expect(unknowns(fc.sample(clusterArbitrary({ maxClusterPolicies: 4, unknownPeers: true }), { numRuns: 100, seed: 2 }))).toBeGreaterThan(5);
  });

  test('flows carry destination names only on clusters with cluster-scoped policies', () => {
    const plain = fc.sample(scenarioArbitrary(), { numRuns: 100, seed: 5 }).flatMap((s) => s.flows);
    expect(plain.some((f) => f.dstName !== undefined)).toBe(false);
    const tiered = fc.sample(scenarioArbitrary({ maxClusterPolicies: 3 }), { numRuns: 100, seed: 5 }).flatMap((s) => s.flows);
    expect(tiered.filter((f) => f.dstName !== undefined).length).toBeGreaterThan(tiered.length / 5);
  });

  test('flows with destination names survive flowToJson → JSON text → parseFlow (the fuzz reproducer)', () => {
    fc.assert(
      fc.property(scenarioArbitrary({ maxClusterPolicies: 3 }), ({ cluster, flows }) => {
        const index = new ClusterIndex(cluster);
        for (const f of flows) expect(parseFlow(JSON.parse(JSON.stringify(flowToJson(f))), index)).toEqual({ ok: true, flow: f });
      }),
      { numRuns: 100 },
    );
  });
});

describe('the flows reach every tier outcome', () => {
  const scenarios: Scenario[] = fc.sample(scenarioArbitrary({ maxClusterPolicies: 4 }), { numRuns: 600, seed: 13 });
  const seen = { decisions: new Set<string>(), steps: new Set<string>() };
  // Directions by what the tiers did (a fixed sample: the counts are deterministic).
  const counts = {
    passThenNetworkPolicy: 0,
    passThenBaseline: 0,
    passThenNothing: 0,
    ties: 0,
    namedPort: 0,
    domainName: 0,
    nodes: 0,
    networksOnPod: 0,
    icmpByTier: 0,
    anp: 0,
    banp: 0,
    cnpBaseline: 0,
  };
  for (const { cluster, flows } of scenarios) {
    const ev = new ReferenceEvaluator(cluster);
    const policies = new Map(
      (cluster.clusterPolicies ?? []).map((p) => [
        `${{ ClusterNetworkPolicy: 'cnp', AdminNetworkPolicy: 'anp', BaselineAdminNetworkPolicy: 'banp' }[p.kind]}/${p.name}`,
        p,
      ]),
    );
    const ruleOf = (r: ClusterRuleRef) => policies.get(r.policy)![r.direction][r.ruleIndex]!;
    for (const f of flows) {
      let e: Explanation;
      try {
        e = ev.explain(f);
      } catch {
        continue; // a mixed-family flow
      }
      for (const d of [e.egressDetail, e.ingressDetail]) {
        seen.decisions.add(d.decision);
        for (const s of d.steps) seen.steps.add(s.step);
        const pass = d.clusterRules.find((r) => r.action === 'Pass');
        if (pass?.tier === 'admin') {
          if (d.decision === 'allowed' || d.decision === 'denied') counts.passThenNetworkPolicy++;
          else if (d.decision.startsWith('baseline')) counts.passThenBaseline++;
          else if (d.decision === 'not-isolated') counts.passThenNothing++;
        }
        if (d.ties.length > 0) counts.ties++;
        for (const r of d.clusterRules) {
          const rule = ruleOf(r);
          const peer = rule.peers[r.peerIndex]!;
          if (r.portIndex !== null && rule.ports[r.portIndex]!.kind === 'named') counts.namedPort++;
          if (peer.kind === 'domainNames') counts.domainName++;
          if (peer.kind === 'nodes') counts.nodes++;
          if (peer.kind === 'networks' && ev.index.podByIP(d.direction === 'egress' ? f.dst : f.src)) counts.networksOnPod++;
          if (r.action !== 'Pass' && (f.protocol === 1 || f.protocol === 58)) counts.icmpByTier++;
          if (r.policy.startsWith('anp/')) counts.anp++;
          if (r.policy.startsWith('banp/')) counts.banp++;
          if (r.policy.startsWith('cnp/') && r.tier === 'baseline') counts.cnpBaseline++;
        }
      }
    }
  }

  test('every decision of the eight and every step kind', () => {
    expect([...seen.decisions].sort()).toEqual([
      'admin-allowed',
      'admin-denied',
      'allowed',
      'baseline-allowed',
      'baseline-denied',
      'denied',
      'not-applicable',
      'not-isolated',
    ]);
    expect([...seen.steps].sort()).toEqual(['admin', 'baseline', 'endpoint', 'icmpv6-nd', 'isolation', 'local-node', 'reply', 'rules', 'self']);
  });

  test('Pass chains: an Admin Pass handing on to NetworkPolicy, to Baseline, and to nothing', () => {
    expect(counts.passThenNetworkPolicy).toBeGreaterThanOrEqual(20);
    expect(counts.passThenBaseline).toBeGreaterThanOrEqual(5);
    expect(counts.passThenNothing).toBeGreaterThanOrEqual(20);
  });

  test('ties, every peer kind and port kind matching, ICMP decided by a tier, every policy kind deciding', () => {
    for (const [what, n] of Object.entries(counts)) expect(n, what).toBeGreaterThanOrEqual(5);
  });
});
