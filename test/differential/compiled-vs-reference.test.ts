// The compiled dataplane never disagrees with the reference evaluator: verdicts, per
// direction decisions, and explanations, on random clusters built to collide, under every
// combination of evaluation options. Replay a failure with FC_SEED=<seed>.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { CompiledDataplane, type EvaluationOptions, type Flow } from '@netpol/core';
import { evaluationOptionsArbitrary, scenarioArbitrary } from '../../packages/core/src/fuzz/arbitraries.js';
import { compareEngines } from '../../packages/core/src/fuzz/differential.js';
import { clusterToYaml, flowToJson } from '../../packages/core/src/fuzz/to-yaml.js';
import { encodeBatch, runs } from '../helpers.js';

const compiled = (c: Parameters<typeof compareEngines>[0], o: EvaluationOptions) => new CompiledDataplane(c, o);

function report(d: NonNullable<ReturnType<typeof compareEngines>>, cluster: Parameters<typeof clusterToYaml>[0]): string {
  return `${d.kind} disagreement on ${JSON.stringify(flowToJson(d.flow))}\nreference: ${JSON.stringify(d.reference)}\ncompiled:  ${JSON.stringify(d.engine)}\n---\n${clusterToYaml(cluster)}`;
}

describe('compiled = reference', () => {
  test('default options', () => {
    fc.assert(
      fc.property(scenarioArbitrary(), ({ cluster, flows }) => {
        const d = compareEngines(cluster, flows, compiled);
        if (d) throw new Error(report(d, cluster));
      }),
      { numRuns: runs(400) },
    );
  });

  test('every option combination', () => {
    fc.assert(
      fc.property(scenarioArbitrary(), evaluationOptionsArbitrary, ({ cluster, flows }, options) => {
        const d = compareEngines(cluster, flows, compiled, options);
        if (d) throw new Error(`options ${JSON.stringify(options)}\n${report(d, cluster)}`);
      }),
      { numRuns: runs(300) },
    );
  });

  test('the batch kernel writes the bytes the single-flow path computes', () => {
    fc.assert(
      fc.property(scenarioArbitrary(), evaluationOptionsArbitrary, ({ cluster, flows }, options) => {
        const dp = new CompiledDataplane(cluster, options);
        const ok = flows.filter((f) => f.src.family === f.dst.family || options.ipv4MappedAsIPv4);
        const n = ok.length;
        const batch = encodeBatch(ok);
        const expected = ok.map((f: Flow) => (f.src.family === f.dst.family ? dp.verdictCode(f) : -1));
        const out = new Uint8Array(n);
        dp.verdictBatch(batch, out);
        ok.forEach((f, i) => {
          if (expected[i]! >= 0 && (f.port !== undefined || f.icmpType !== undefined || (f.protocol !== 6 && f.protocol !== 17 && f.protocol !== 132)))
            expect(out[i]).toBe(expected[i]);
        });
      }),
      { numRuns: runs(150) },
    );
  });

  test('IPv4-only batches take the fast loop and agree with it', () => {
    fc.assert(
      fc.property(scenarioArbitrary({ ipv6: false }), ({ cluster, flows }) => {
        const dp = new CompiledDataplane(cluster);
        const v4 = flows.filter(
          (f) => f.src.family === 4 && f.dst.family === 4 && !f.established && (f.port !== undefined || ![6, 17, 132].includes(f.protocol)),
        );
        const n = v4.length;
        const batch = {
          count: n,
          src: Uint32Array.from(v4, (f) => Number(f.src.value)),
          dst: Uint32Array.from(v4, (f) => Number(f.dst.value)),
          protocol: Uint8Array.from(v4, (f) => f.protocol),
          port: Uint16Array.from(v4, (f) => f.port ?? f.icmpType ?? 0),
        };
        const out = new Uint8Array(n);
        dp.verdictBatch(batch, out);
        v4.forEach((f, i) => expect(out[i]).toBe(dp.verdictCode(f)));
      }),
      { numRuns: runs(200) },
    );
  });
});
