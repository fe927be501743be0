// One way to decide and explain: on fuzzed clusters, under every combination of evaluation
// options, the reference evaluator, the compiled dataplane and the live dataplane (built at
// once, and fed the same objects through apply) give each flow the same verdict bytes and the
// same explanation — the same decision steps per direction, the same allowing rules and the
// same rule-miss data (which peer failed and why, which port, what a named port resolved to).
// The compiled and live explanations come from their images' provenance, each checked against
// its own kernel. The same property runs again on clusters with cluster-scoped policies (Admin
// and Baseline tiers, Passes, ties): the tier steps and the rules taken must agree too.
// Replay a failure with FC_SEED=<seed>.
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { expect, test } from 'vitest';
import { CompiledDataplane, decodeVerdict, LiveDataplane, loadObjects, readText, ReferenceEvaluator, type Explanation, type Flow } from '@netpol/core';
import { evaluationOptionsArbitrary, scenarioArbitrary, type Scenario } from '../../packages/core/src/fuzz/arbitraries.js';
import { clusterToYaml, flowToJson } from '../../packages/core/src/fuzz/to-yaml.js';
import { runs } from '../helpers.js';

/** The explanation, or the error's message (every engine refuses a mixed-family flow alike). */
function attempt<T>(f: () => T): T | { error: string } {
  try {
    return f();
  } catch (e) {
    return { error: (e as Error).constructor.name };
  }
}

/** What the flows compared exercised. */
interface Counts {
  compared: number;
  peerMisses: number;
  portMisses: number;
  /** Peers missed because an except holds the address, and named ports that resolved to no number (with why). */
  inExcept: number;
  unresolved: number;
  /** Directions an Admin or Baseline rule decided. */
  decidedByTier: number;
}

/** The property on the scenarios `arbitrary` draws; returns what the flows exercised. */
function parity(arbitrary: fc.Arbitrary<Scenario>): Counts {
  const counts: Counts = { compared: 0, peerMisses: 0, portMisses: 0, inExcept: 0, unresolved: 0, decidedByTier: 0 };
  fc.assert(
    fc.property(arbitrary, evaluationOptionsArbitrary, ({ cluster, flows }, options) => {
      // Every engine from the same objects: the YAML the fuzzer prints, loaded once.
      const yaml = clusterToYaml(cluster);
      const objects = readText(yaml, 'fuzz.yaml').objects;
      const loaded = loadObjects(objects).cluster!;
      const reference = new ReferenceEvaluator(loaded, options);
      const compiled = new CompiledDataplane(loaded, { ...options, native: 'off' });
      const live = new LiveDataplane(objects, { ...options, native: 'off' });
      const applied = new LiveDataplane([], { ...options, native: 'off' });
      const r = applied.apply(objects.map((o) => ({ op: 'apply' as const, object: o.value })));
      expect(r.applied).toBe(true);
      for (const flow of flows) {
        const want = attempt(() => reference.explain(flow));
        const engines: [string, (f: Flow) => Explanation, (f: Flow) => number][] = [
          ['compiled', (f) => compiled.explain(f), (f) => compiled.verdictCode(f)],
          ['live', (f) => live.explain(f), (f) => live.verdictCode(f)],
          ['live-apply', (f) => applied.explain(f), (f) => applied.verdictCode(f)],
        ];
        for (const [name, explain, code] of engines) {
          const got = attempt(() => explain(flow));
          const byte = attempt(() => code(flow));
          const say = (what: string): string =>
            `${name}: ${what} differs on ${JSON.stringify(flowToJson(flow))} under ${JSON.stringify(options)}\n${JSON.stringify(want)}\n${JSON.stringify(got)}\n---\n${yaml}`;
          if (!isDeepStrictEqual(got, want)) throw new Error(say('explanation'));
          if ('error' in want) continue;
          if (typeof byte !== 'number') throw new Error(say(`verdict byte (${byte.error})`));
          const v = decodeVerdict(byte);
          if (!isDeepStrictEqual(v, reference.verdict(flow)) || v.allowed !== want.allowed || v.egress !== want.egress || v.ingress !== want.ingress)
            throw new Error(say('verdict byte'));
        }
        if (!('error' in want)) {
          counts.compared++;
          for (const m of [...want.egressDetail.rejected, ...want.ingressDetail.rejected]) {
            if (m.peers) counts.peerMisses++;
            if (m.ports) counts.portMisses++;
            counts.inExcept += m.peers?.misses.filter((x) => x.kind === 'in-except').length ?? 0;
            counts.unresolved += m.ports?.misses.filter((x) => x.kind === 'named' && x.unresolved).length ?? 0;
          }
          for (const d of [want.egress, want.ingress]) if (d.startsWith('admin') || d.startsWith('baseline')) counts.decidedByTier++;
        }
      }
    }),
    { numRuns: runs(100) },
  );
  return counts;
}

test('reference, compiled and live: the same verdict bytes, decision steps and rule-miss data per flow', () => {
  const counts = parity(scenarioArbitrary());
  // The clusters exercise what the test is about: flows compared, rules rejected with data.
  expect(counts.compared).toBeGreaterThan(300);
  expect(counts.peerMisses).toBeGreaterThan(20);
  expect(counts.portMisses).toBeGreaterThan(20);
  // The except and named-port whys (issue 16) are compared too, and occur.
  expect(counts.inExcept).toBeGreaterThan(0);
  expect(counts.unresolved).toBeGreaterThan(0);
});

test('with cluster-scoped policies: the same verdict bytes, tier steps, Passes, deciding rules and ties per flow', () => {
  const counts = parity(scenarioArbitrary({ maxClusterPolicies: 4 }));
  expect(counts.compared).toBeGreaterThan(300);
  expect(counts.decidedByTier).toBeGreaterThan(50);
});
