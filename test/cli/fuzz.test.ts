// netpol fuzz: agreement on random clusters and on the user's cluster, and a planted bug
// is found, shrunk and printed as a replayable case.
import { describe, expect, test } from 'vitest';
import { CompiledDataplane, loadText, parseFlow, ReferenceEvaluator, type Cluster, type ClusterRule, type EvaluationOptions, type Flow } from '@netpol/core';
import { run } from '../../packages/core/src/cli/run.js';
import { runFuzz } from '../../packages/core/src/cli/fuzz.js';
import { join } from 'node:path';

async function cli(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await run(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}
const ex = (p: string) => join(import.meta.dirname, '../../examples', p);

describe('netpol fuzz', () => {
  test('random clusters: no disagreement, seed and progress reported', async () => {
    const r = await cli('fuzz', '--seed', '123', '--runs', '60', '--flows', '20');
    expect(r.code).toBe(0);
    expect(r.out).toBe('ok: 60 runs, 1200 flows, 0 disagreements between compiled and reference (seed 123)');
    expect(r.err).toContain('seed 123');
    // Cluster-scoped policies are on by default.
    expect(r.err).toContain('random clusters (up to 4 cluster-scoped policies each)');
    expect(r.err).toContain('60/60 runs');
    // Progress says how much the tiers were exercised: flows an Admin/Baseline rule decided, Passes taken.
    const [, decided, passes] = r.err.match(/60\/60 runs, 1200 flows, \d+ cluster-scoped policies \((\d+) flows decided by one, (\d+) through a Pass\)/)!;
    expect(Number(decided)).toBeGreaterThan(50);
    expect(Number(passes)).toBeGreaterThan(5);
  });

  test("the user's cluster: flows biased to its addresses", async () => {
    const r = await cli('fuzz', '-f', ex('my-ns/cluster.yaml'), '-f', ex('my-ns/correct'), '--seed', '5', '--runs', '30', '--flows', '50');
    expect(r.code).toBe(0);
    expect(r.out).toContain('1500 flows, 0 disagreements');
  });

  test("the user's cluster with cluster-scoped policies: flows reach its tiers", async () => {
    const r = await cli(
      'fuzz',
      '-f',
      ex('cluster-tiers/cluster.yaml'),
      '-f',
      ex('cluster-tiers/guardrails/policies.yaml'),
      '--engine',
      'all',
      '--seed',
      '8',
      '--runs',
      '20',
      '--flows',
      '50',
    );
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^ok: 20 runs, 1000 flows, 0 disagreements between compiled( and native)? and reference \(seed 8\)$/);
    const [, decided, passes] = r.err.match(/20\/20 runs, 1000 flows, \d+ cluster-scoped policies \((\d+) flows decided by one, (\d+) through a Pass\)/)!;
    expect(Number(decided)).toBeGreaterThan(50);
    expect(Number(passes)).toBeGreaterThan(0);
  });

  test('bad arguments are usage errors', async () => {
    expect((await cli('fuzz', '--runs', '0')).code).toBe(2);
    expect((await cli('fuzz', '--seed', 'x')).code).toBe(2);
    expect((await cli('fuzz', '--engine', 'warp')).code).toBe(2);
  });

  test('a planted bug (UDP ingress always allowed) is shrunk to a case that replays', () => {
    // An engine that is right except that it lets every UDP flow in.
    const broken = (c: Cluster, o: EvaluationOptions) => {
      const real = new CompiledDataplane(c, o);
      const lie = (f: Flow) => f.protocol === 17;
      return {
        index: real.index,
        verdict: (f: Flow) => (lie(f) ? { allowed: true, egress: real.verdict(f).egress, ingress: 'allowed' as const } : real.verdict(f)),
        explain: (f: Flow) => real.explain(f),
      };
    };
    const out: string[] = [];
    const code = runFuzz(
      { engines: [{ name: 'broken', make: broken }], engineName: 'broken', options: {}, seed: 99, runs: 500, perRun: 20 },
      { out: (l) => out.push(l), err: () => {} },
    );
    expect(code).toBe(1);
    const text = out.join('\n');
    expect(text).toMatch(/^DISAGREEMENT \(verdict\) after \d+ runs; seed 99, shrunk \d+ time\(s\)/);
    // The printed case replays: load its manifests, and the reference denies its flow.
    const [, flowLine] = text.match(/# flow \(netpol verdict --flows\):\n(.*)\n/)!;
    const manifests = text.slice(text.indexOf('# cluster and policies:\n') + '# cluster and policies:\n'.length);
    const loaded = loadText(manifests);
    expect(loaded.issues.filter((i) => i.severity === 'error')).toEqual([]);
    const ref = new ReferenceEvaluator(loaded.cluster!);
    const flow = parseFlow(JSON.parse(flowLine!), ref.index);
    expect(flow.ok).toBe(true);
    if (flow.ok) {
      expect(flow.flow.protocol).toBe(17);
      expect(ref.verdict(flow.flow).ingress).not.toBe('allowed');
    }
    // Shrinking leaves a small case: one flow, few objects.
    expect(loaded.cluster!.pods.length + loaded.cluster!.policies.length).toBeLessThanOrEqual(4);
  });

  test('--tiers and --engine all are checked', async () => {
    expect((await cli('fuzz', '--tiers', 'x')).code).toBe(2);
    expect((await cli('fuzz', '--tiers', '-1')).code).toBe(2);
    const r = await cli('fuzz', '--tiers', '0', '--engine', 'all', '--seed', '3', '--runs', '5', '--flows', '10');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^ok: 5 runs, 50 flows, 0 disagreements between compiled( and native)? and reference \(seed 3\)$/);
  });

  test('a planted tier bug (Pass treated as Accept) is shrunk to a case that replays, its cluster-scoped policies in the manifests', () => {
    // The reference evaluator over a copy of the cluster whose Pass rules say Accept.
    const passAsAccept = (rules: readonly ClusterRule[]) => rules.map((r) => (r.action === 'Pass' ? { ...r, action: 'Accept' as const } : r));
    const broken = (c: Cluster, o: EvaluationOptions) =>
      new ReferenceEvaluator(
        { ...c, clusterPolicies: (c.clusterPolicies ?? []).map((p) => ({ ...p, ingress: passAsAccept(p.ingress), egress: passAsAccept(p.egress) })) },
        o,
      );
    const out: string[] = [];
    const err: string[] = [];
    const code = runFuzz(
      { engines: [{ name: 'broken', make: broken }], engineName: 'broken', options: {}, seed: 21, runs: 300, perRun: 20, tiers: 4 },
      { out: (l) => out.push(l), err: (l) => err.push(l) },
    );
    expect(code).toBe(1);
    expect(err.join('\n')).toContain('random clusters (up to 4 cluster-scoped policies each)');
    const text = out.join('\n');
    expect(text).toMatch(/^DISAGREEMENT \(verdict\) after \d+ runs; seed 21, shrunk \d+ time\(s\)/);
    expect(text).toContain('# broken says:');
    // The printed case replays: its manifests load (cluster-scoped policies included) and the
    // reference's explanation of its flow takes a Pass, which the broken engine accepted.
    const [, flowLine] = text.match(/# flow \(netpol verdict --flows\):\n(.*)\n/)!;
    const manifests = text.slice(text.indexOf('# cluster and policies:\n') + '# cluster and policies:\n'.length);
    const loaded = loadText(manifests);
    expect(loaded.issues.filter((i) => i.severity === 'error')).toEqual([]);
    expect(loaded.cluster!.clusterPolicies!.length).toBeGreaterThan(0);
    const ref = new ReferenceEvaluator(loaded.cluster!);
    const flow = parseFlow(JSON.parse(flowLine!), ref.index);
    expect(flow.ok).toBe(true);
    if (flow.ok) {
      const e = ref.explain(flow.flow);
      expect([...e.egressDetail.clusterRules, ...e.ingressDetail.clusterRules].map((r) => r.action)).toContain('Pass');
      expect(broken(loaded.cluster!, {}).verdict(flow.flow)).not.toEqual(ref.verdict(flow.flow));
    }
  });
});
