// Every flow of every example story gets the verdict the story calls for (the stories'
// expectations were derived by hand from docs/semantics.md, not from this code).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { CompiledDataplane, loadFiles, parseFlow, ReferenceEvaluator } from '@netpol/core';

const root = join(import.meta.dirname, '../../examples');
const scenarios = readdirSync(root, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .flatMap((story) =>
    readdirSync(join(root, story.name), { withFileTypes: true })
      .filter((d) => d.isDirectory() && existsSync(join(root, story.name, d.name, 'flows.jsonl')))
      .map((d) => ({ story: story.name, scenario: d.name })),
  );

test('the five stories of the foundation issue and the cluster-tiers story are present', () => {
  const stories = new Set(scenarios.map((s) => s.story));
  for (const s of ['secure-pod', 'production-db', 'three-tier', 'my-ns', 'account-service', 'cluster-tiers']) expect(stories).toContain(s);
});

describe.each(scenarios)('$story/$scenario', ({ story, scenario }) => {
  const loaded = loadFiles([join(root, story, 'cluster.yaml'), join(root, story, scenario)]);

  test('validates without errors or warnings', () => {
    expect(loaded.issues).toEqual([]);
    expect(loaded.cluster).toBeDefined();
  });

  const lines = readFileSync(join(root, story, scenario, 'flows.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '');
  const records = lines.map((l) => JSON.parse(l) as { src: string; dst: string; expect: 'allow' | 'deny'; why: string });

  test.each(records)('$src -> $dst $protocol/$port: $expect', (rec) => {
    const engine = new ReferenceEvaluator(loaded.cluster!);
    const parsed = parseFlow(rec, engine.index);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    const v = engine.verdict(parsed.flow);
    expect(v.allowed ? 'allow' : 'deny').toBe(rec.expect);
    // explain agrees with verdict, direction by direction
    const e = engine.explain(parsed.flow);
    expect([e.allowed, e.egress, e.ingress]).toEqual([v.allowed, v.egress, v.ingress]);
    // and the compiled dataplane tells the same story
    const compiled = new CompiledDataplane(loaded.cluster!);
    expect(compiled.verdict(parsed.flow)).toEqual(v);
    expect(compiled.explain(parsed.flow)).toEqual(e);
  });
});

test('production-db: exactly the flows the OR/AND trap changes differ', () => {
  const verdicts = (scenario: string) => {
    const c = loadFiles([join(root, 'production-db/cluster.yaml'), join(root, 'production-db', scenario)]).cluster!;
    const engine = new ReferenceEvaluator(c);
    return readFileSync(join(root, 'production-db', scenario, 'flows.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => {
        const p = parseFlow(JSON.parse(l), engine.index);
        if (!p.ok) throw new Error(p.error);
        return `${l.slice(0, 60)} ${engine.verdict(p.flow).allowed}`;
      });
  };
  const or = verdicts('or');
  const and = verdicts('and');
  const differing = or.filter((v, i) => v !== and[i]);
  expect(differing).toHaveLength(1);
  expect(differing[0]).toContain('production/frontend');
});
