// The differential with tiers catches the bugs it exists for. Each engine here is the reference
// evaluator over a mutated copy of the cluster (no real code is touched): one treats every Pass
// as Accept, one never lets a Pass rule match (so the rest of the tier is evaluated after it),
// one takes equal-priority policies in reverse name order; and a wrapper around the compiled
// dataplane that forgets the Baseline tier's denials. compareEngines must report each
// within the budget, and the shrunk case must show the mutation at work: the reference's
// explanation for the flow takes the kind of rule the mutation changed.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  CompiledDataplane,
  ReferenceEvaluator,
  type Cluster,
  type ClusterPolicy,
  type ClusterRule,
  type EvaluationOptions,
  type Explanation,
  type Flow,
} from '@netpol/core';
import type { Engine } from '../../packages/core/src/analysis/engine.js';
import { scenarioArbitrary, type Scenario } from '../../packages/core/src/fuzz/arbitraries.js';
import { compareEngines, type Disagreement } from '../../packages/core/src/fuzz/differential.js';

const mapRules = (cluster: Cluster, f: (rules: readonly ClusterRule[]) => ClusterRule[]): Cluster => ({
  ...cluster,
  clusterPolicies: (cluster.clusterPolicies ?? []).map((p) => ({ ...p, ingress: f(p.ingress), egress: f(p.egress) })),
});

/** A reference evaluator that sees every Pass as Accept. */
const passAsAccept = (c: Cluster, o: EvaluationOptions) =>
  new ReferenceEvaluator(
    mapRules(c, (rules) => rules.map((r) => (r.action === 'Pass' ? { ...r, action: 'Accept' as const } : r))),
    o,
  );

/**
 * A reference evaluator for which no Pass rule ever matches (its peers become an empty
 * `networks` list), so after it the rest of the tier runs. The rules stay, so which policies
 * select a pod does not change: only a Pass that would have matched makes a difference.
 */
const passNeverMatches = (c: Cluster, o: EvaluationOptions) =>
  new ReferenceEvaluator(
    mapRules(c, (rules) => rules.map((r) => (r.action === 'Pass' ? { ...r, peers: [{ kind: 'networks' as const, networks: [] }] } : r))),
    o,
  );

/**
 * Equal priorities taken in reverse name order: each policy's priority is spread so that the
 * last name of a priority comes first (×1000 keeps every other order). The spread priorities
 * show in explanations, so this engine answers verdicts from the mutant and explanations
 * from the real reference: only a verdict that depends on the order of ties is caught.
 */
function reversedTies(c: Cluster, o: EvaluationOptions): Engine {
  const policies = c.clusterPolicies ?? [];
  const rank = (p: ClusterPolicy) => policies.filter((q) => q.tier === p.tier && q.priority === p.priority && q.name > p.name).length;
  const mutant = new ReferenceEvaluator({ ...c, clusterPolicies: policies.map((p) => ({ ...p, priority: p.priority * 1000 + rank(p) })) }, o);
  const real = new ReferenceEvaluator(c, o);
  return { index: real.index, verdict: (f: Flow) => mutant.verdict(f), explain: (f: Flow) => real.explain(f) };
}

/**
 * The compiled dataplane, but a direction the Baseline tier denies comes out not isolated (as if
 * the tier were skipped) and the verdict allowed unless the other direction denies.
 */
function baselineDenialsForgotten(c: Cluster, o: EvaluationOptions): Engine {
  const dp = new CompiledDataplane(c, { ...o, native: 'off' });
  const denying = new Set(['denied', 'admin-denied', 'baseline-denied']);
  return {
    index: dp.index,
    verdict: (f: Flow) => {
      const v = dp.verdict(f);
      const egress = v.egress === 'baseline-denied' ? 'not-isolated' : v.egress;
      const ingress = v.ingress === 'baseline-denied' ? 'not-isolated' : v.ingress;
      return { allowed: !denying.has(egress) && !denying.has(ingress), egress, ingress };
    },
    explain: (f: Flow) => dp.explain(f),
  };
}

const tiered = scenarioArbitrary({ maxClusterPolicies: 4 });

/** Runs the differential for `budget` clusters; returns the shrunk disagreement and its scenario. */
function hunt(
  make: (c: Cluster, o: EvaluationOptions) => Engine,
  budget: number,
  seed: number,
): { d: Disagreement; scenario: Scenario; runs: number } | undefined {
  const r = fc.check(
    fc.property(tiered, ({ cluster, flows }) => compareEngines(cluster, flows, [{ name: 'mutant', make }]) === undefined),
    { numRuns: budget, seed },
  );
  if (!r.failed) return undefined;
  const [scenario] = r.counterexample!;
  return { d: compareEngines(scenario.cluster, scenario.flows, [{ name: 'mutant', make }])!, scenario, runs: r.numRuns };
}

const reference = (s: Scenario, d: Disagreement): Explanation => new ReferenceEvaluator(s.cluster).explain(d.flow);
const actions = (e: Explanation) => [...e.egressDetail.clusterRules, ...e.ingressDetail.clusterRules].map((r) => r.action);

describe('planted bugs in a tier engine are caught by the differential', () => {
  // Several seeds: catching the bug must not depend on one lucky draw.
  test.each([1, 2, 3])('Pass treated as Accept (seed %i)', (seed) => {
    const found = hunt(passAsAccept, 300, seed);
    expect(found).toBeDefined();
    const { d, scenario } = found!;
    expect(d.engineName).toBe('mutant');
    // A Pass decided nothing: the verdict differs, not only the story.
    expect(d.kind).toBe('verdict');
    expect(actions(reference(scenario, d))).toContain('Pass');
    // Shrinking leaves a small case: few cluster-scoped policies.
    expect(scenario.cluster.clusterPolicies!.length).toBeLessThanOrEqual(3);
  });

  test.each([1, 2])('a Pass that does not stop the tier (seed %i)', (seed) => {
    const found = hunt(passNeverMatches, 500, seed);
    expect(found).toBeDefined();
    const { d, scenario } = found!;
    expect(actions(reference(scenario, d))).toContain('Pass');
  });

  test('a compiled engine that forgets Baseline denials', () => {
    const found = hunt(baselineDenialsForgotten, 300, 6);
    expect(found).toBeDefined();
    const { d, scenario } = found!;
    expect(d.kind).toBe('verdict');
    const e = reference(scenario, d);
    expect([e.egress, e.ingress]).toContain('baseline-denied');
    expect(e.allowed).toBe(false);
  });

  test('equal priorities in another order than the contract’s', () => {
    const found = hunt(reversedTies, 1000, 4);
    expect(found).toBeDefined();
    const { d, scenario } = found!;
    expect(d.kind).toBe('verdict');
    // The reference reports the ambiguity it resolved: the flow matches tied policies.
    const e = reference(scenario, d);
    expect([...e.egressDetail.ties, ...e.ingressDetail.ties].length).toBeGreaterThan(0);
  });
});
