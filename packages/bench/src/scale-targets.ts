/**
 * The scale targets (issue 17): at 100k pods / 20k policies an image ≤ 32 MiB, a cold
 * compile ≤ 2 s, a peak RSS ≤ 400 MB, native ≤ 25 ns and JS ≤ 50 ns per verdict on the mixed
 * trace; at L native ≤ 15 ns and JS ≤ 30 ns (mixed trace; the realistic trace reported beside);
 * the live image's verdicts within 1.1× of the compiled image's once compacted (the image as
 * built reported beside, not a target). Figures from the scaling sweep's last point and the L
 * scenario; loading a saved image (≤ 10 ms) is timed by bench:image-load, not here.
 */
import type { ScalingSweep } from './scaling.js';
import type { ScenarioResult } from './scenario.js';
import { check, type TargetCheck } from './target-check.js';

const MiB = 2 ** 20;
const r2 = (x: number): number => Math.round(x * 100) / 100;

export function scaleTargets(scenarios: readonly ScenarioResult[], scaling: readonly ScalingSweep[], noL: string): TargetCheck[] {
  const big = scaling.find((s) => s.vary === 'both')?.points.find((p) => p.pods >= 100_000 && p.policies >= 20_000);
  const noBig = 'not measured: needs the full scaling sweep to 100k pods / 20k policies';
  const L = scenarios.find((s) => s.id === 'L');
  const fastest = (kind: string, engines = L?.engines ?? []): number | undefined => {
    const ns = engines.filter((e) => e.kind === kind && e.batch >= 256).map((e) => e.nsPerVerdict);
    return ns.length ? Math.min(...ns) : undefined;
  };
  /** Compiled ÷ live median rate at the same batch (the larger batch both have), per kernel; `live`: 'live' as built, 'live-compacted' after compact(). */
  const liveGap = (live: 'live' | 'live-compacted', kernel: 'js' | 'native'): number | null => {
    const rows = (L?.engines ?? []).filter((e) => e.kind === `${live}-${kernel}-batch`).sort((a, b) => b.batch - a.batch);
    for (const l of rows) {
      const c = L?.engines.find((e) => e.kind === `${kernel}-batch` && e.batch === l.batch);
      if (c) return r2(c.verdictsPerSecond.median / l.verdictsPerSecond.median);
    }
    return null;
  };
  const noLive = L ? 'not measured: no live image in this run' : noL;
  const realistic = L?.realistic?.engines;
  const noRealistic = L ? 'not measured: no realistic trace in this run' : noL;
  const at = '100k pods / 20k policies';
  return [
    check('scale-image', `image, ${at}`, '≤ 32 MiB', 'MiB', big && r2(big.imageBytes / MiB), (x) => x <= 32, 32, false, noBig),
    check('scale-compile', `cold compile, ${at}`, '≤ 2 s', 'ms', big?.coldCompileMs, (x) => x <= 2000, 2000, false, noBig),
    check(
      'scale-rss',
      `peak RSS of the cold compile process, ${at}`,
      '≤ 400 MB',
      'MB',
      big?.maxRssBytes && Math.round(big.maxRssBytes / 1e6),
      (x) => x <= 400,
      400,
      false,
      noBig,
    ),
    check('scale-native', `native batch, ${at}, mixed trace`, '≤ 25 ns/verdict', 'ns', big?.nsPerVerdict.native, (x) => x <= 25, 25, false, noBig),
    check('scale-js', `JS batch, ${at}, mixed trace`, '≤ 50 ns/verdict', 'ns', big?.nsPerVerdict.jsBatch, (x) => x <= 50, 50, false, noBig),
    check('L-native-ns', 'native batch ≥ 256, L cluster, mixed trace', '≤ 15 ns/verdict', 'ns', fastest('native-batch'), (x) => x <= 15, 15, false, noL),
    check('L-js-ns', 'JS batch ≥ 256, L cluster, mixed trace', '≤ 30 ns/verdict', 'ns', fastest('js-batch'), (x) => x <= 30, 30, false, noL),
    info('L-native-ns-realistic', 'native batch ≥ 256, L cluster, realistic trace', 'ns', fastest('native-batch', realistic), noRealistic),
    info('L-js-ns-realistic', 'JS batch ≥ 256, L cluster, realistic trace', 'ns', fastest('js-batch', realistic), noRealistic),
    check(
      'live-js',
      'compiled ÷ live image (compacted), JS batch, L cluster, mixed trace',
      '≤ 1.1×',
      '×',
      liveGap('live-compacted', 'js'),
      (x) => x <= 1.1,
      1.1,
      false,
      noLive,
    ),
    check(
      'live-native',
      'compiled ÷ live image (compacted), native batch, L cluster, mixed trace',
      '≤ 1.1×',
      '×',
      liveGap('live-compacted', 'native'),
      (x) => x <= 1.1,
      1.1,
      false,
      noLive,
    ),
    info('live-js-built', 'compiled ÷ live image as built (before compaction), JS batch, L cluster, mixed trace', '×', liveGap('live', 'js'), noLive),
    info(
      'live-native-built',
      'compiled ÷ live image as built (before compaction), native batch, L cluster, mixed trace',
      '×',
      liveGap('live', 'native'),
      noLive,
    ),
    {
      id: 'L-image-load',
      what: 'loading a saved image, L cluster',
      target: '≤ 10 ms',
      measured: null,
      unit: 'ms',
      met: null,
      note: 'not measured by pnpm bench: pnpm --filter @netpol/bench run bench:image-load (fresh processes)',
    },
  ];
}

/** A figure reported beside the targets that is not one (met: null, target "report"). */
function info(id: string, what: string, unit: string, measured: number | null | undefined, missing: string): TargetCheck {
  const ok = measured !== null && measured !== undefined && Number.isFinite(measured);
  return { id, what, target: 'report', measured: ok ? measured : null, unit, met: null, note: ok ? 'information, not a target' : missing };
}
