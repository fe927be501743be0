// The redundancy checks' promise (policy-changes-nothing, shadowed-rule): removing everything
// they report, all at once, changes no verdict. Checked on random clusters built to collide, with
// cluster-scoped tiers and workloads (reference verdicts on random flows, and diffClusters at pod
// level over every endpoint pair and external block), and on synthetic clusters. Replay a
// failure with FC_SEED=<seed>.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { diffClusters, ReferenceEvaluator, type Cluster, type NetworkPolicy } from '@netpol/core';
import { syntheticCluster } from '@netpol/core/internal';
import { clusterArbitrary, flowArbitrary } from '../../packages/core/src/fuzz/arbitraries.js';
import { clusterToYaml } from '../../packages/core/src/fuzz/to-yaml.js';
import { lintContext } from '../../packages/core/src/lint/context.js';
import { ruleCoverage, type Coverage } from '../../packages/core/src/lint/checks/rule-coverage.js';
import { RuleScope } from '../../packages/core/src/lint/checks/rule-remotes.js';
import { runs } from '../helpers.js';

const coverageOf = (c: Cluster): Coverage => {
  const ctx = lintContext(c);
  return ruleCoverage(new RuleScope(ctx.cluster, ctx.endpoints));
};

/** The cluster without the reported policies and rules. */
function without(c: Cluster, cov: Coverage): Cluster {
  const gone = new Set<NetworkPolicy>(cov.policies.map((p) => p.policy));
  const policies = c.policies
    .filter((p) => !gone.has(p))
    .map((p) => {
      const drop = cov.rules.filter((r) => r.policy === p);
      if (drop.length === 0) return p;
      const keep = (d: 'ingress' | 'egress') => p[d].filter((_, i) => !drop.some((r) => r.direction === d && r.ruleIndex === i));
      return { ...p, ingress: keep('ingress'), egress: keep('egress') };
    });
  return { ...c, policies };
}

/**
 * Both sides of a diff get one more policy, selecting no pod (so it changes no verdict), whose
 * rules name every ipBlock of the original cluster and all of IPv4 and IPv6: both sides then cut
 * the address space into the same external blocks. Otherwise removing a rule with an ipBlock
 * changes the cut, and the diff lists a block's connections as added or removed though no
 * verdict moved (a block made only of a pod's own address, the IPv6 block when the only IPv6
 * ipBlock goes).
 */
function withInert(c: Cluster, original: Cluster): Cluster {
  const whole = (family: 4 | 6) => ({ kind: 'ipBlock' as const, ipBlock: { cidr: { family, prefix: 0, base: 0n }, except: [] } });
  const blocks = (d: 'ingress' | 'egress') => [
    whole(4),
    whole(6),
    ...original.policies.flatMap((p) => p[d].flatMap((r) => r.peers.filter((x) => x.kind === 'ipBlock'))),
  ];
  const inert: NetworkPolicy = {
    namespace: 'lint-property',
    name: 'inert',
    podSelector: { matchLabels: { inert: 'yes' }, matchExpressions: [] },
    affects: { ingress: true, egress: true },
    ingress: [{ ports: [], peers: blocks('ingress') }],
    egress: [{ ports: [], peers: blocks('egress') }],
  };
  return { ...c, policies: [...c.policies, inert] };
}

const found = (cov: Coverage): number => cov.policies.length + cov.rules.length;

describe('removing what policy-changes-nothing and shadowed-rule report changes no verdict', () => {
  test('random clusters: reference verdicts on random flows, and the pod-level connectivity diff', () => {
    let reported = 0;
    fc.assert(
      fc.property(
        clusterArbitrary({ maxClusterPolicies: 3, maxWorkloads: 3 }).chain((c) =>
          fc.tuple(fc.constant(c), fc.array(flowArbitrary(c), { minLength: 40, maxLength: 40 })),
        ),
        ([c, flows]) => {
          const cov = coverageOf(c);
          if (found(cov) === 0) return;
          reported += found(cov);
          const reduced = without(c, cov);
          const [before, after] = [new ReferenceEvaluator(c), new ReferenceEvaluator(reduced)];
          for (const f of flows) {
            const [a, b] = [before.verdict(f), after.verdict(f)];
            if (a.allowed !== b.allowed)
              expect.fail(
                `${JSON.stringify(cov.policies.map((p) => p.policy.name))} ${JSON.stringify(cov.rules.map((r) => [r.policy.name, r.direction, r.ruleIndex]))}\n${clusterToYaml(c)}`,
              );
          }
          const changes = diffClusters(withInert(c, c), withInert(reduced, c), { level: 'pod' }).changes;
          if (changes.length > 0)
            expect.fail(
              `${changes.map((x) => `${x.kind} ${x.src.name} => ${x.dst.name}`).join('\n')}\nreported: ${JSON.stringify(cov.policies.map((p) => p.policy.name))} ${JSON.stringify(cov.rules.map((r) => [r.policy.name, r.direction, r.ruleIndex]))}\n${clusterToYaml(c)}`,
            );
        },
      ),
      { numRuns: runs(150) },
    );
    // Not vacuous: random clusters do have redundant policies and rules.
    expect(reported).toBeGreaterThan(0);
  });

  test('synthetic clusters (pods, workload manifests, cluster-scoped tiers): the connectivity diff is empty', () => {
    for (const shape of [
      { pods: 300, policies: 60, seed: 3 },
      { pods: 300, policies: 60, seed: 4, workloads: 'manifests' as const },
      { pods: 300, policies: 60, seed: 5, clusterPolicies: 6 },
    ]) {
      const c = syntheticCluster(shape);
      const cov = coverageOf(c);
      expect(found(cov)).toBeGreaterThan(0);
      expect(diffClusters(withInert(c, c), withInert(without(c, cov), c), { level: 'pod' }).changes).toEqual([]);
    }
  });
});
