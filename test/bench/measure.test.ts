// The bench's timing core, without timing anything: percentile math on known values, and the
// order in which interleaved tasks run (a fake clock drives the loop, so no duration is asserted).
import { describe, expect, test } from 'vitest';
import { LoadTracker, foreignCores } from '../../packages/bench/src/machine-load.js';
import { median, percentile, timeInterleaved } from '../../packages/bench/src/measure.js';

describe('percentile (nearest rank)', () => {
  const oneToHundred = Array.from({ length: 100 }, (_, i) => i + 1);

  test('p5, p50 and p95 of 1..100 are 5, 50 and 95; p0 is the smallest and p100 the largest', () => {
    expect(percentile(oneToHundred, 0.05)).toBe(5);
    expect(percentile(oneToHundred, 0.5)).toBe(50);
    expect(percentile(oneToHundred, 0.95)).toBe(95);
    expect(percentile(oneToHundred, 0)).toBe(1);
    expect(percentile(oneToHundred, 1)).toBe(100);
  });

  test('small sets: one value is every percentile; of 1..10, p5 is 1 and p95 is 10', () => {
    expect(percentile([7], 0.05)).toBe(7);
    expect(percentile([7], 0.95)).toBe(7);
    const ten = Array.from({ length: 10 }, (_, i) => i + 1);
    expect(percentile(ten, 0.05)).toBe(1);
    expect(percentile(ten, 0.5)).toBe(5);
    expect(percentile(ten, 0.95)).toBe(10);
  });

  test('no values: NaN; median averages the two middle values', () => {
    expect(percentile([], 0.5)).toBeNaN();
    expect(median([])).toBeNaN();
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([3, 1, 2])).toBe(2);
  });
});

/** A clock that advances `step` ms per reading: the loop's control flow without real time. */
const fakeClock = (step: number): (() => number) => {
  let t = 0;
  return () => (t += step);
};

describe('timeInterleaved', () => {
  test('tasks run in rounds, A B C A B C ..., after a warm-up of each in turn', () => {
    const log: string[] = [];
    const tasks = ['A', 'B', 'C'].map((name) => ({ name, batch: 1, fn: () => log.push(name) }));
    const timings = timeInterleaved(tasks, { timeMs: 4, warmupMs: 0, rounds: 4, iterations: 4 }, fakeClock(1));
    // Collapse runs of the same task: warm-up A B C, then four rounds of A B C.
    const runs = log.filter((x, i) => i === 0 || log[i - 1] !== x);
    expect(runs).toEqual(['A', 'B', 'C', ...Array.from({ length: 4 }, () => ['A', 'B', 'C']).flat()]);
    expect(timings.map((t) => t.rounds)).toEqual([4, 4, 4]);
    expect(timings.every((t) => t.roundMedians.length === 4)).toBe(true);
    // At least `iterations` samples each, spread over the rounds.
    expect(timings.every((t) => t.samples >= 4)).toBe(true);
  });

  test('rates are batch ÷ sample time: p5 ≤ median ≤ p95, and ns per op is 1e9 ÷ the median rate', () => {
    // Each clock reading advances 0.5 ms: a sample of one call spans 0.5 ms, 4096 ops → 8.192 M/s.
    const [t] = timeInterleaved([{ name: 'x', batch: 4096, fn: () => {} }], { timeMs: 20, warmupMs: 0, rounds: 2 }, fakeClock(0.5));
    expect(t!.callsPerSample).toBe(1);
    expect(t!.perSecond.median).toBeCloseTo(8_192_000, 0);
    expect(t!.perSecond.p5).toBeLessThanOrEqual(t!.perSecond.median);
    expect(t!.perSecond.p95).toBeGreaterThanOrEqual(t!.perSecond.median);
    expect(t!.nsPerOp).toBeCloseTo(1e9 / t!.perSecond.median, 6);
  });

  test('a fast task is timed several calls per sample, so the clock is read once per ~20 µs', () => {
    // 0.001 ms (1 µs) per reading: a call "takes" about 1 µs, so about 20 calls make a sample.
    let calls = 0;
    const [t] = timeInterleaved([{ name: 'fast', batch: 16, fn: () => void calls++ }], { timeMs: 1, warmupMs: 0.05, rounds: 1 }, fakeClock(0.001));
    expect(t!.callsPerSample).toBeGreaterThan(1);
    expect(calls).toBeGreaterThan(t!.samples);
  });
});

describe('load figures', () => {
  test('foreign cores: the machine busy time minus our own, over the wall time; null off Linux or over too short a span', () => {
    expect(foreignCores({ machine: 10, own: 1, wall: 0 }, { machine: 12, own: 1.5, wall: 1 })).toBe(1.5);
    expect(foreignCores({ machine: 10, own: 1, wall: 0 }, { machine: 10.5, own: 1.9, wall: 1 })).toBe(0);
    expect(foreignCores({ machine: null, own: 1, wall: 0 }, { machine: null, own: 2, wall: 1 })).toBeNull();
    expect(foreignCores({ machine: 10, own: 1, wall: 0 }, { machine: 11, own: 1, wall: 0.01 })).toBeNull();
  });

  test('a tracker reports the load average range it read', () => {
    const l = new LoadTracker();
    l.start();
    l.stop();
    const f = l.figures();
    expect(f.min).toBeLessThanOrEqual(f.max);
    expect(f.min).toBeGreaterThanOrEqual(0);
  });
});
