// The bench's live image: the LiveDataplane as built and the generation compact() made of it,
// both checked byte for byte against the compiled image before any timing, and the targets
// "compiled ÷ live image" read from the compacted rows (the image as built only as information).
// No timing here: timing thresholds live in the benchmark (`pnpm bench`), never in tests.
import { CompiledDataplane, ReferenceEvaluator } from '@netpol/core';
import { describe, expect, test } from 'vitest';
import { VerdictMismatchError, compiledBatchEngines, liveBatchEngines, verifyEngines, type Engine } from '../../packages/bench/src/engines.js';
import { benchCluster, benchTrace } from '../../packages/bench/src/generators.js';
import { buildLiveImage } from '../../packages/bench/src/live-image.js';
import { scaleTargets } from '../../packages/bench/src/scale-targets.js';
import type { EngineResult, ScenarioResult } from '../../packages/bench/src/scenario.js';

describe('live image in the bench', () => {
  const cluster = benchCluster('M');
  const live = buildLiveImage(cluster);
  const dp = new CompiledDataplane(cluster);
  const ref = new ReferenceEvaluator(cluster);
  const trace = benchTrace(cluster, { count: 1 << 14, seed: 7 });
  const o = { jsBatches: [256], nativeBatches: [256] };

  test('the compacted generation is a dataplane of its own, smaller than the image as built', () => {
    expect(live.compacted).not.toBe(live.dataplane);
    expect(live.compaction.imageBytes).toBeGreaterThan(0);
    expect(live.compaction.imageBytes).toBeLessThan(live.imageBytes);
    expect(live.compaction.ms).toBeGreaterThanOrEqual(0);
    // compact() published one generation after the first.
    expect(live.live.generation).toBe(2);
  });

  test('both live images are checked against the compiled one, and their engines are told apart', () => {
    const engines = [...compiledBatchEngines(dp, trace, o), ...liveBatchEngines(live.dataplane, trace, o), ...liveBatchEngines(live.compacted, trace, o, true)];
    const v = verifyEngines('M', trace, ref, engines, 500);
    expect(v.fullTraceEngines).toEqual(expect.arrayContaining(['js-batch@256', 'live-js-batch@256', 'live-compacted-js-batch@256']));
    const compacted = engines.filter((e) => e.kind.startsWith('live-compacted-'));
    expect(compacted.map((e) => e.label)).toContain('live image (compacted) JS batch (batch 256)');
    // The first generation stays readable after compaction (pinned, never reused).
    const a = new Uint8Array(trace.count);
    const b = new Uint8Array(trace.count);
    live.dataplane.verdictBatchJS!(trace, a);
    live.compacted.verdictBatchJS!(trace, b);
    expect(Buffer.compare(a, b)).toBe(0);
  });

  test('a compacted engine that gets one verdict wrong aborts the check', () => {
    const [js] = liveBatchEngines(live.compacted, trace, o, true);
    const wrong: Engine = {
      ...js!,
      fill: (b, out) => {
        js!.fill!(b, out);
        out[0] = out[0]! ^ 1;
      },
    };
    expect(() => verifyEngines('M', trace, ref, [...compiledBatchEngines(dp, trace, o), wrong], 10)).toThrow(VerdictMismatchError);
  });
});

describe('live image targets', () => {
  const engine = (kind: EngineResult['kind'], batch: number, median: number): EngineResult =>
    ({ id: `${kind}@${batch}`, kind, batch, verdictsPerSecond: { p5: median, median, p95: median }, nsPerVerdict: 1e9 / median }) as EngineResult;
  const L = (engines: EngineResult[]): ScenarioResult => ({ id: 'L', engines, realistic: null }) as unknown as ScenarioResult;
  const byId = (s: ScenarioResult) => Object.fromEntries(scaleTargets([s], [], 'no L').map((t) => [t.id, t]));

  test('"compiled ÷ live image" is the compacted image\'s; the image as built is information only', () => {
    const t = byId(
      L([
        engine('js-batch', 4096, 40e6),
        engine('native-batch', 4096, 60e6),
        engine('live-js-batch', 4096, 20e6),
        engine('live-native-batch', 4096, 20e6),
        engine('live-compacted-js-batch', 4096, 40e6),
        engine('live-compacted-native-batch', 4096, 50e6),
      ]),
    );
    expect(t['live-js']).toMatchObject({ measured: 1, met: true });
    expect(t['live-native']).toMatchObject({ measured: 1.2, met: false });
    expect(t['live-js-built']).toMatchObject({ measured: 2, met: null, target: 'report' });
    expect(t['live-native-built']).toMatchObject({ measured: 3, met: null });
  });

  test('without compacted rows the target is not measured (never the image as built)', () => {
    const t = byId(L([engine('js-batch', 4096, 40e6), engine('live-js-batch', 4096, 40e6)]));
    expect(t['live-js']).toMatchObject({ measured: null, met: null });
    expect(t['live-js-built']).toMatchObject({ measured: 1, met: null });
  });
});
