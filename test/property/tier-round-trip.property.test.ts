// Model → YAML → load gives the same model for clusters with cluster-scoped policies (CNPs of
// both tiers, ANPs, the BANP; every peer and port kind, Node labels), so generated tier clusters
// can be handed to anything that reads manifests; and clusterPolicyDoc refuses what no
// manifest can express.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { loadText, type Cluster, type ClusterPolicy } from '@netpol/core';
import { clusterArbitrary } from '../../packages/core/src/fuzz/arbitraries.js';
import { clusterPolicyDoc, clusterToYaml } from '../../packages/core/src/fuzz/to-yaml.js';

/** Warnings a generated cluster may draw: shared IPs, rules of an unaffected direction, equal priorities. */
const EXPECTED_WARNINGS = new Set(['shared-pod-ip', 'shared-node-ip', 'rules-ignored', 'priority-tie']);

/** Empty Node labels load as absent (a manifest cannot tell them apart). */
const normalised = (c: Cluster): Cluster => ({
  ...c,
  nodes: c.nodes.map(({ labels, ...n }) => (labels && Object.keys(labels).length > 0 ? { ...n, labels } : n)),
});

describe('cluster-scoped policies round-trip through manifests', () => {
  test('clusterToYaml → loadText (strict) gives the same cluster', () => {
    fc.assert(
      fc.property(clusterArbitrary({ maxClusterPolicies: 5 }), (cluster) => {
        const loaded = loadText(clusterToYaml(cluster), { file: 'generated.yaml', strict: true });
        expect(loaded.issues.filter((i) => i.severity === 'error')).toEqual([]);
        expect(loaded.issues.filter((i) => !EXPECTED_WARNINGS.has(i.code))).toEqual([]);
        expect(loaded.cluster).toEqual(normalised(cluster));
      }),
      { numRuns: 300 },
    );
  });

  test('the generated tier clusters exercise every kind, peer and port form', () => {
    const policies = fc.sample(clusterArbitrary({ maxClusterPolicies: 5 }), { numRuns: 100, seed: 3 }).flatMap((c) => c.clusterPolicies ?? []);
    const rules = policies.flatMap((p) => [...p.ingress, ...p.egress]);
    expect(new Set(policies.map((p) => p.kind))).toEqual(new Set(['ClusterNetworkPolicy', 'AdminNetworkPolicy', 'BaselineAdminNetworkPolicy']));
    expect(new Set(rules.flatMap((r) => r.peers.map((p) => p.kind)))).toEqual(new Set(['namespaces', 'pods', 'nodes', 'networks', 'domainNames']));
    const ports = rules.flatMap((r) => r.ports);
    expect(ports.some((p) => p.kind === 'named')).toBe(true);
    expect(ports.some((p) => p.kind === 'range' && p.start === p.end)).toBe(true);
    expect(ports.some((p) => p.kind === 'range' && p.start < p.end)).toBe(true);
  });

  test('a node label round-trips; an empty label map loads as absent', () => {
    const base: Cluster = {
      namespaces: [],
      pods: [],
      nodes: [
        { name: 'n1', ips: [], labels: { role: 'infra' } },
        { name: 'n2', ips: [], labels: {} },
      ],
      policies: [],
    };
    const loaded = loadText(clusterToYaml(base)).cluster!;
    expect(loaded.nodes).toEqual([
      { name: 'n1', ips: [], labels: { role: 'infra' } },
      { name: 'n2', ips: [] },
    ]);
  });

  test('clusterPolicyDoc refuses what manifests cannot express', () => {
    const any = { matchLabels: {}, matchExpressions: [] };
    const p: ClusterPolicy = {
      kind: 'ClusterNetworkPolicy',
      name: 'p',
      tier: 'Admin',
      priority: 1,
      subject: { kind: 'namespaces', namespaceSelector: any },
      ingress: [],
      egress: [],
    };
    expect(() => clusterPolicyDoc({ ...p, egress: [{ action: 'Deny', peers: [{ kind: 'unknown' }], ports: [] }] })).toThrow(/unknown peer/);
    expect(() =>
      clusterPolicyDoc({
        ...p,
        egress: [{ action: 'Deny', peers: [{ kind: 'namespaces', namespaceSelector: any }], ports: [{ kind: 'range', protocol: 'TCP', start: 9, end: 8 }] }],
      }),
    ).toThrow(/start > end/);
    expect(() => clusterPolicyDoc({ ...p, kind: 'BaselineAdminNetworkPolicy', tier: 'Baseline', priority: 1001 })).toThrow(/named default/);
    expect(() => clusterPolicyDoc({ ...p, kind: 'AdminNetworkPolicy', tier: 'Baseline' })).toThrow(/Admin tier/);
  });
});
