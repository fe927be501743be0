// The update benchmark (`updates` part): a tiny run completes with sane figures, the changes
// it makes are valid and keep pod addresses unique inside the pod ranges, and its
// correctness check aborts on a planted mismatch. No timing assertions (see bench.test.ts).
import { spawnSync, execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { LiveDataplane } from '@netpol/core';
import { clusterObjects, Random } from '@netpol/core/internal';
import { describe, expect, test } from 'vitest';
import { VerdictMismatchError } from '../../packages/bench/src/engines.js';
import { benchCluster } from '../../packages/bench/src/generators.js';
import { checkFlows, flowsAround } from '../../packages/bench/src/update-check.js';
import { ClusterModel, roundTrip } from '../../packages/bench/src/update-model.js';
import { rawObject } from '../../packages/bench/src/update-objects.js';
import { UpdatePlanner } from '../../packages/bench/src/update-ops.js';
import { ControllerLoad } from '../../packages/bench/src/controller-load.js';
import { renderUpdates, updateTargets } from '../../packages/bench/src/update-report.js';
import { OP_KINDS, runUpdates, updatesSpec, type UpdatesOverrides } from '../../packages/bench/src/updates.js';

const tiny: UpdatesOverrides = {
  podOps: 4,
  otherOps: 2,
  warmupOps: 1,
  checkEvery: 2,
  recompiles: 1,
  stream: { durationMs: 20, batchesPerUpdate: [0, 50], minUpdates: 2, traceCount: 1 << 14 },
  finalTraceCount: 4096,
  referenceSample: 200,
};

describe('update benchmark', () => {
  test('a tiny run on S completes with every kind of change, checked', () => {
    const [r] = runUpdates([updatesSpec('S', 'S', true, tiny)]);
    expect(r).toBeDefined();
    expect(r!.size.pods).toBeGreaterThanOrEqual(100);
    expect(r!.ops.map((o) => o.kind)).toEqual([...OP_KINDS]);
    for (const o of r!.ops) {
      expect(o.ops).toBe(o.kind.startsWith('pod-') ? 4 : 2);
      expect(o.us.p50).toBeGreaterThan(0);
      expect(o.us.p50).toBeLessThanOrEqual(o.us.p99);
      expect(o.us.p99).toBeLessThanOrEqual(o.us.max);
      expect(o.checks).toBe(o.kind.startsWith('pod-') ? 2 : 1);
      expect(o.rebuilds).toBeGreaterThanOrEqual(0);
    }
    // Changes that concern pods are checked on flows (a policy may select no pod: none then).
    expect(r!.ops.filter((o) => o.kind.startsWith('pod-')).every((o) => o.checkedFlows > 0)).toBe(true);
    expect(r!.stream.map((s) => s.batchesPerUpdate)).toEqual([null, 50]);
    expect(r!.stream[0]!.updates).toBe(0);
    expect(r!.stream[1]!.updates).toBeGreaterThanOrEqual(2);
    expect(r!.stream[1]!.updateUs!.p50).toBeGreaterThan(0);
    // The quick defaults run pod add and policy add again under a controller-like allocation load.
    expect(r!.loaded?.ops.map((o) => o.kind)).toEqual(['pod-add', 'policy-add']);
    expect(r!.loaded!.decodedBytesPerApply).toBeGreaterThan(0);
    expect(r!.loaded!.ops[0]!.checks).toBe(2);
    for (const o of [...r!.ops, ...r!.loaded!.ops]) expect(o.load.min).toBeLessThanOrEqual(o.load.max);
    expect(renderUpdates([r!])).toMatch(/under a controller-like allocation load/);
    // Every change published exactly one generation: warm-ups, recorded ones (steady and under load) and the stream's.
    const recorded = [...r!.ops, ...r!.loaded!.ops].reduce((a, o) => a + o.ops + o.warmup, 0);
    expect(r!.generations).toBe(recorded + r!.stream[1]!.updates);
    expect(r!.verification).toMatchObject({ ok: true, finalTraceFlows: 4096, referenceSample: 200 });
    expect(r!.fullRecompileMs.runs).toHaveLength(1);
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
    expect(renderUpdates([r!])).toMatch(/pod add \(replica of a deployment\)/);
    // No L cluster: every target is "not measured", none is an error.
    const targets = updateTargets([r!], true);
    expect(targets).toHaveLength(9);
    expect(targets.filter((t) => t.id.endsWith('-steady')).map((t) => t.target)).toEqual(['p99 ≤ 60 µs', 'p99 ≤ 1 ms']);
    expect(targets.every((t) => t.met === null && t.measured === null)).toBe(true);
    expect(updateTargets([{ ...r!, id: 'L' }], false).every((t) => t.met !== null && t.measured !== null)).toBe(true);
  });

  test('a planted wrong expectation aborts the run', () => {
    expect(() => runUpdates([updatesSpec('S', 'S', true, { ...tiny, injectMismatch: true })])).toThrow(VerdictMismatchError);
    expect(() => runUpdates([updatesSpec('S', 'S', true, { ...tiny, injectMismatch: true, kinds: ['policy-remove'] })])).toThrow(
      /updates S: after policy-remove #0 .*: the live generation disagrees with the reference evaluator/,
    );
  });

  test('the controller load decodes the events asked for, deterministically, and keeps its cache bounded', () => {
    const objects = clusterObjects(benchCluster('S'));
    const a = new ControllerLoad(objects, { eventsPerTick: 5, cachedObjects: 50, seed: 3 });
    const b = new ControllerLoad(objects, { eventsPerTick: 5, cachedObjects: 50, seed: 3 });
    for (let i = 0; i < 10; i++) {
      a.tick();
      b.tick();
    }
    expect(a.events).toBe(50);
    expect(a.decodedBytes).toBeGreaterThan(50 * 100);
    expect(b.decodedBytes).toBe(a.decodedBytes);
    expect(() => new ControllerLoad([], { eventsPerTick: 1, cachedObjects: 1 })).toThrow(RangeError);
  });

  test('without a controller load there is no loaded run', () => {
    const [r] = runUpdates([updatesSpec('S', 'S', true, { ...tiny, kinds: ['pod-remove'], controllerLoad: undefined })]);
    expect(r!.loaded).toBeNull();
    expect(r!.ops.map((o) => o.kind)).toEqual(['pod-remove']);
  });

  test('the changes are valid objects; new pods get unique addresses in the pod ranges', () => {
    const c = benchCluster('S');
    const model = new ClusterModel(roundTrip(c, clusterObjects(c)));
    const planner = new UpdatePlanner(model, [], 3);
    const subnets = new Set([...model.pods.values()].map((p) => Number(p.ips[0]!.value) >>> 8));
    for (let i = 0; i < 300; i++) {
      const p = planner.plan((['pod-add', 'pod-add-new-labels', 'pod-relabel', 'pod-remove', 'namespace-labels'] as const)[i % 5]!);
      model.apply(p.change); // loads the object alone and throws if it is invalid
    }
    const ips = [...model.pods.values()].flatMap((p) => p.ips.filter((ip) => ip.family === 4).map((ip) => ip.value));
    expect(new Set(ips).size).toBe(ips.length);
    for (const ip of ips) expect(subnets.has(Number(ip) >>> 8)).toBe(true);
    expect(model.pods.size).toBe(c.pods.length + 60);
  });

  test('the check tells a stale generation from the published one', () => {
    const c = benchCluster('S');
    const objects = clusterObjects(c);
    const model = new ClusterModel(roundTrip(c, objects));
    const live = new LiveDataplane(objects.map((o, i) => rawObject(o, i)));
    const stale = live.snapshot(); // pinned: keeps the generation before the change
    const p = new UpdatePlanner(model, [], 5).plan('pod-remove');
    expect(live.apply([p.change]).applied).toBe(true);
    model.apply(p.change);
    // Every flow has the removed pod's address at one end: its decision there is now not-applicable.
    const flows = flowsAround(model, p.subjects, 8, new Random(1));
    expect(flows).toHaveLength(8);
    expect(() => checkFlows('x', live.current, model, flows)).not.toThrow();
    expect(() => checkFlows('x', stale, model, flows)).toThrow(VerdictMismatchError);
    stale.release();
  });

  test('the standalone runner exits 1 on a mismatch and 2 on bad usage', () => {
    const root = join(import.meta.dirname, '../..');
    const tsc = createRequire(join(root, 'packages/bench/package.json')).resolve('typescript/bin/tsc');
    execFileSync(process.execPath, [tsc, '-p', join(root, 'packages/bench/tsconfig.json')], { stdio: 'pipe' });
    const cli = join(root, 'packages/bench/dist/updates-cli.js');
    const r = spawnSync(process.execPath, [cli, '--size', 'S', '--quick', '--ops', '2', '--other-ops', '1', '--kinds', 'pod-add', '--self-test-mismatch'], {
      encoding: 'utf8',
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/VERDICT MISMATCH, benchmark aborted: updates S: after pod-add #0/);
    expect(spawnSync(process.execPath, [cli, '--size', 'Q'], { encoding: 'utf8' }).status).toBe(2);
  });
});
