// Suggestions never lie: on fuzzed clusters and flows, under every combination of evaluation
// options, each suggestion for a denied flow — applied to the manifests as a user would
// (test/explain/apply-suggestion.ts), then loaded again — makes its direction stop denying
// without making the other deny, per the reference evaluator; and the first suggestion of each
// denying direction, applied together, allow the flow. With cluster-scoped policies too (an
// Accept ahead of the Deny that decided). Replay a failure with FC_SEED=<seed>.
import fc from 'fast-check';
import { expect, test } from 'vitest';
import { loadText, ReferenceEvaluator, suggestChanges, type Cluster, type Direction, type Suggestion } from '@netpol/core';
import { isDenying } from '../../packages/core/src/model/flow.js';
import { evaluationOptionsArbitrary, scenarioArbitrary, type Scenario } from '../../packages/core/src/fuzz/arbitraries.js';
import { clusterToYaml, flowToJson } from '../../packages/core/src/fuzz/to-yaml.js';
import { applySuggestions } from '../explain/apply-suggestion.js';
import { runs } from '../helpers.js';

/** What the property exercised. */
interface Counts {
  denied: number;
  /** Denying directions, and those with at least one suggestion. */
  directions: number;
  suggested: number;
  checked: number;
  bases: Set<string>;
  kinds: Set<string>;
}

const otherDirection = (d: Direction): Direction => (d === 'egress' ? 'ingress' : 'egress');

function property(arbitrary: fc.Arbitrary<Scenario>): Counts {
  const counts: Counts = { denied: 0, directions: 0, suggested: 0, checked: 0, bases: new Set(), kinds: new Set() };
  fc.assert(
    fc.property(arbitrary, evaluationOptionsArbitrary, ({ cluster: drawn, flows }, options) => {
      const yaml = clusterToYaml(drawn);
      const cluster: Cluster = loadText(yaml).cluster!;
      const reference = new ReferenceEvaluator(cluster, options);
      for (const flow of flows) {
        let before;
        try {
          before = reference.verdict(flow);
        } catch {
          continue; // a mixed-family flow: explain refuses it too
        }
        const suggestions = suggestChanges(cluster, flow, options);
        const where = (what: string, s?: readonly Suggestion[]): string =>
          `${what} for ${JSON.stringify(flowToJson(flow))} under ${JSON.stringify(options)}\n${JSON.stringify(s ?? suggestions)}\n---\n${yaml}`;
        if (before.allowed) {
          if (suggestions.length > 0) throw new Error(where('suggestions for an allowed flow'));
          continue;
        }
        counts.denied++;
        const denying = (['egress', 'ingress'] as const).filter((d) => isDenying(before[d]));
        counts.directions += denying.length;
        for (const d of denying) if (suggestions.some((s) => s.direction === d)) counts.suggested++;
        for (const s of suggestions) {
          if (!denying.includes(s.direction)) throw new Error(where(`a suggestion for ${s.direction}, which does not deny`));
          const after = new ReferenceEvaluator(applySuggestions(cluster, s), options).verdict(flow);
          const o = otherDirection(s.direction);
          if (isDenying(after[s.direction])) throw new Error(where(`${s.direction} still ${after[s.direction]} after`, [s]));
          if (!isDenying(before[o]) && isDenying(after[o])) throw new Error(where(`${o} now ${after[o]} after`, [s]));
          counts.checked++;
          counts.bases.add(s.basis);
          for (const c of s.changes) counts.kinds.add(c.kind);
        }
        // The first of each denying direction, together, allow the flow.
        const firsts = denying.map((d) => suggestions.find((s) => s.direction === d));
        if (firsts.every((s) => s !== undefined)) {
          const together = new ReferenceEvaluator(applySuggestions(cluster, ...firsts), options).verdict(flow);
          if (!together.allowed) throw new Error(where('the first suggestions together do not allow the flow', firsts));
        }
      }
    }),
    // The tests below also assert which kinds of suggestion the sample produced: a fixed seed
    // keeps that sample the same from run to run (a random one missed set-label once in CI);
    // FC_SEED still replays any other.
    { numRuns: runs(40), ...(process.env['FC_SEED'] ? {} : { seed: 20261207 }) },
  );
  return counts;
}

test('NetworkPolicy: every suggestion, applied to the manifests, stops its direction denying; the first of each together allow the flow', () => {
  const c = property(scenarioArbitrary({ minFlows: 10 }));
  expect(c.checked).toBeGreaterThan(100);
  // Nearly every denying direction gets a suggestion (none only for what no rule can name: a node's address with ipBlocks excluding it).
  expect(c.suggested / c.directions).toBeGreaterThan(0.8);
  expect([...c.bases].sort()).toEqual(expect.arrayContaining(['isolation-only', 'peer', 'port']));
  expect([...c.kinds].sort()).toEqual(expect.arrayContaining(['add-peer', 'add-port', 'add-rule', 'set-label']));
});

test('with cluster-scoped policies: an Accept ahead of the deciding Deny, checked the same way', () => {
  const c = property(scenarioArbitrary({ minFlows: 10, maxClusterPolicies: 4 }));
  expect(c.checked).toBeGreaterThan(100);
  expect(c.bases.has('admin-deny') || c.bases.has('baseline-deny')).toBe(true);
  expect(c.kinds.has('insert-cluster-rule')).toBe(true);
});
