// With cluster-scoped policies, every engine answers as the reference evaluator: the compiled
// dataplane (JS kernel) gives the same verdicts (deciding tier per direction) and the same
// explanations (steps, every Pass, the deciding rule, ties) under every option combination;
// the C++ kernel gives the same verdicts; the batch kernels write, flow for flow, the bytes
// the single-flow path computes, destination-name classes included. The clusters carry
// Admin/Baseline CNPs, ANPs and the BANP with Pass chains, tied priorities, every peer kind
// (unknown peers too) and named ports; flows carry ICMP and destination names. The live
// dataplane's side (from manifests, and through apply) is explain-parity.property.test.ts's.
// Replay a failure with FC_SEED=<seed>.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { CompiledDataplane, nativeStatus, type Cluster, type EvaluationOptions, type Flow } from '@netpol/core';
import { evaluationOptionsArbitrary, scenarioArbitrary } from '../../packages/core/src/fuzz/arbitraries.js';
import { compareEngines, type Disagreement, type NamedEngineMaker } from '../../packages/core/src/fuzz/differential.js';
import { flowToJson } from '../../packages/core/src/fuzz/to-yaml.js';
import { encodeBatch, runs } from '../helpers.js';

const tiered = scenarioArbitrary({ maxClusterPolicies: 4, unknownPeers: true });
const native = nativeStatus().active;

const compiled: NamedEngineMaker = { name: 'compiled', make: (c, o) => new CompiledDataplane(c, { ...o, native: 'off' }) };
/** Every verdict through the C++ kernel (a batch of one); explanations from the compiled image. */
const nativeEngine: NamedEngineMaker = {
  name: 'native',
  make: (c, o) => {
    const dp = new CompiledDataplane(c, { ...o, native: 'require' });
    return { index: dp.index, verdict: (f: Flow) => dp.verdictNative(f), explain: (f: Flow) => dp.explain(f) };
  },
};
const ENGINES = [compiled, ...(native ? [nativeEngine] : [])];

const show = (v: unknown) => JSON.stringify(v, (_, x) => (typeof x === 'bigint' ? x.toString() : x));
function report(d: Disagreement, cluster: Cluster, options: EvaluationOptions): string {
  return `${d.engineName}: ${d.kind} disagreement on ${show(flowToJson(d.flow))} under ${show(options)}\nreference: ${show(d.reference)}\n${d.engineName}: ${show(d.engine)}\ncluster-scoped policies: ${show(cluster.clusterPolicies)}`;
}

describe(`tiers: ${ENGINES.map((e) => e.name).join(', ')} = reference`, () => {
  test('default options: verdicts and explanations', () => {
    let flows = 0;
    fc.assert(
      fc.property(tiered, ({ cluster, flows: batch }) => {
        const d = compareEngines(cluster, batch, ENGINES);
        if (d) throw new Error(report(d, cluster, {}));
        flows += batch.length;
      }),
      { numRuns: runs(300) },
    );
    expect(flows).toBeGreaterThan(1000);
  });

  test('every option combination', () => {
    fc.assert(
      fc.property(tiered, evaluationOptionsArbitrary, ({ cluster, flows }, options) => {
        const d = compareEngines(cluster, flows, ENGINES, options);
        if (d) throw new Error(report(d, cluster, options));
      }),
      { numRuns: runs(120) },
    );
  });

  test('the batch kernels write the bytes the single-flow path computes, name classes included', () => {
    let named = 0;
    fc.assert(
      fc.property(tiered, evaluationOptionsArbitrary, ({ cluster, flows }, options) => {
        const dp = new CompiledDataplane(cluster, { ...options, native: 'off' });
        const ok = flows.filter((f) => f.src.family === f.dst.family);
        const batch = { ...encodeBatch(ok), nameClass: Uint16Array.from(ok, (f) => (f.dstName === undefined ? 0 : dp.nameClass(f.dstName))) };
        named += batch.nameClass.filter((n) => n > 0).length;
        const expected = ok.map((f) => dp.verdictCode(f));
        const js = new Uint8Array(ok.length);
        dp.verdictBatchJS(batch, js);
        expect([...js]).toEqual(expected);
        if (native) {
          const out = new Uint8Array(ok.length);
          new CompiledDataplane(cluster, { ...options, native: 'require' }).verdictBatchNative(batch, out);
          expect([...out]).toEqual(expected);
        }
      }),
      { numRuns: runs(200) },
    );
    // Destination names that some domainNames peer matches do reach the kernels.
    expect(named).toBeGreaterThan(20);
  });
});
