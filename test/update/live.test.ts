// LiveDataplane: random sequences of applies, deletes, relabels and invalid objects
// (fast-check model-based testing). After every step the published generation answers
// exactly as a fresh compile of the same objects and as the reference evaluator; the same
// again with cluster-scoped policies (ClusterNetworkPolicy, ANP, BANP) among the objects, and
// namespaces and nodes relabelled, flows carrying destination names; and again with turns of the
// event loop between the changes, in which background compactions publish generations or are
// dropped by the next change.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  CompiledDataplane,
  LiveDataplane,
  loadObjects,
  NATIVE_MIN_BATCH,
  readText,
  ReferenceEvaluator,
  RetiredGenerationError,
  VerdictPool,
  type Flow,
  type RawObject,
} from '@netpol/core';
import { hasPorts } from '../../packages/core/src/model/protocol.js';
import { clusterArbitrary, flowArbitrary, type ClusterArbitraryOptions } from '../../packages/core/src/fuzz/arbitraries.js';
import { clusterPolicyKey } from '../../packages/core/src/model/types.js';
import { clusterToYaml } from '../../packages/core/src/fuzz/to-yaml.js';
import { encodeBatch, referenceVerdicts, runs } from '../helpers.js';

type Obj = Record<string, unknown>;
const meta = (o: Obj) => o['metadata'] as { name: string; namespace?: string; labels?: Record<string, string> };
const keyOf = (o: Obj) => `${o['kind'] as string}/${meta(o).namespace ?? ''}/${meta(o).name}`;

/** The model: the objects that should be live, by key. */
interface Model {
  objects: Map<string, Obj>;
}

const freshCluster = (objects: Iterable<Obj>) => {
  const r = loadObjects([...objects].map((value, i) => ({ file: 'model', document: i, value, locate: () => undefined }) as RawObject));
  expect(r.issues.filter((i) => i.severity === 'error')).toEqual([]);
  return r.cluster!;
};

class ApplyCommand implements fc.Command<Model, LiveDataplane> {
  constructor(readonly object: Obj) {}
  check = () => true;
  run(m: Model, live: LiveDataplane): void {
    const before = live.generation;
    const r = live.apply([{ op: 'apply', object: this.object }]);
    expect(r.issues.filter((i) => i.severity === 'error')).toEqual([]);
    expect(r.applied).toBe(true);
    expect(live.generation).toBe(before + 1);
    m.objects.set(keyOf(this.object), this.object);
  }
  toString = () => `apply ${keyOf(this.object)}`;
}

/** Several objects in one batch: one generation for all of them. */
class ApplyBatchCommand implements fc.Command<Model, LiveDataplane> {
  constructor(readonly objects: readonly Obj[]) {}
  check = () => this.objects.length > 0;
  run(m: Model, live: LiveDataplane): void {
    const before = live.generation;
    const r = live.apply(this.objects.map((object) => ({ op: 'apply' as const, object })));
    expect(r.issues.filter((i) => i.severity === 'error')).toEqual([]);
    expect(r.applied).toBe(true);
    expect(live.generation).toBe(before + 1);
    for (const o of this.objects) m.objects.set(keyOf(o), o);
  }
  toString = () => `apply ${this.objects.map(keyOf).join(', ')}`;
}

class DeleteCommand implements fc.Command<Model, LiveDataplane> {
  constructor(readonly pick: number) {}
  check = (m: Readonly<Model>) => m.objects.size > 0;
  run(m: Model, live: LiveDataplane): void {
    const key = [...m.objects.keys()][this.pick % m.objects.size]!;
    const [kind, namespace, name] = key.split('/') as [never, string, string];
    const r = live.apply([{ op: 'delete', kind, name, ...(namespace && { namespace }) }]);
    expect(r.applied).toBe(true);
    m.objects.delete(key);
  }
  toString = () => `delete #${this.pick}`;
}

/** New labels for a Pod, a Namespace (its name label kept, as the API server keeps it) or a Node. */
class RelabelCommand implements fc.Command<Model, LiveDataplane> {
  constructor(
    readonly pick: number,
    readonly labels: Record<string, string>,
    readonly kind: 'Pod' | 'Namespace' | 'Node' = 'Pod',
  ) {}
  check = (m: Readonly<Model>) => [...m.objects.values()].some((o) => o['kind'] === this.kind);
  run(m: Model, live: LiveDataplane): void {
    const objects = [...m.objects.values()].filter((o) => o['kind'] === this.kind);
    const object = objects[this.pick % objects.length]!;
    const labels = this.kind === 'Namespace' ? { ...this.labels, 'kubernetes.io/metadata.name': meta(object).name } : this.labels;
    const relabelled = { ...object, metadata: { ...meta(object), labels } };
    expect(live.apply([{ op: 'apply', object: relabelled }]).applied).toBe(true);
    m.objects.set(keyOf(relabelled), relabelled);
  }
  toString = () => `relabel ${this.kind} #${this.pick} ${JSON.stringify(this.labels)}`;
}

/** A batch with one good and one invalid object: nothing is applied, every error listed. */
class InvalidBatchCommand implements fc.Command<Model, LiveDataplane> {
  constructor(readonly good: Obj) {}
  check = () => true;
  run(_m: Model, live: LiveDataplane): void {
    const before = live.generation;
    const current = live.current;
    const probe = { src: { family: 4 as const, value: 0x0a000001n }, dst: { family: 4 as const, value: 0x0a000002n }, protocol: 6, port: 80 };
    const answer = current.verdict(probe);
    const bad = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'Bad', namespace: 'default' },
      spec: { podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/33' } }] }] },
    };
    const r = live.apply([
      { op: 'apply', object: this.good },
      { op: 'apply', object: bad },
    ]);
    expect(r.applied).toBe(false);
    expect(
      r.issues
        .filter((i) => i.severity === 'error')
        .map((i) => i.path)
        .sort(),
    ).toEqual(['metadata.name', 'spec.ingress[0].from[0].ipBlock.cidr']);
    expect(live.generation).toBe(before);
    expect(live.current.generation).toBe(current.generation);
    expect(current.verdict(probe)).toEqual(answer);
  }
  toString = () => `invalid batch with ${keyOf(this.good)}`;
}

class CheckCommand implements fc.Command<Model, LiveDataplane> {
  constructor(readonly seed: number) {}
  check = () => true;
  run(m: Model, live: LiveDataplane): void {
    const cluster = freshCluster(m.objects.values());
    // The live state holds exactly the model's objects...
    const names = (c: typeof cluster) =>
      [
        ...c.namespaces.map((n) => `ns/${n.name}`),
        ...c.nodes.map((n) => `node/${n.name}`),
        ...c.pods.map((p) => `pod/${p.namespace}/${p.name}/${JSON.stringify(p.labels)}`),
        ...c.policies.map((p) => `np/${p.namespace}/${p.name}`),
        ...(c.clusterPolicies ?? []).map((p) => `${clusterPolicyKey(p)}/${p.priority}`),
      ].sort();
    const liveCluster = live.cluster();
    expect(names(liveCluster)).toEqual(names(cluster));
    const compacted = live.compactionStatus.last?.generation === live.generation;
    if (compacted) checkedCompacted++;
    // ...and answers as a fresh compile and the reference, on flows biased to both.
    const fresh = new CompiledDataplane(cluster);
    const reference = new ReferenceEvaluator(cluster);
    const flows = [
      ...fc.sample(flowArbitrary(cluster), { numRuns: 30, seed: this.seed }),
      ...fc.sample(flowArbitrary(liveCluster), { numRuns: 10, seed: this.seed }),
    ] as Flow[];
    const judged: Flow[] = [];
    for (const [f, want] of referenceVerdicts(reference, flows)) {
      expect(live.current.verdict(f)).toEqual(want);
      expect(fresh.verdict(f)).toEqual(want);
      if (compacted && !want.allowed) deniedCompacted++;
      if (/admin|baseline/.test(want.egress + want.ingress)) tiered++;
      if (f.port !== undefined || f.icmpType !== undefined || !hasPorts(f.protocol)) judged.push(f);
    }
    // The batch path reads the same published copy, destination names as the generation's
    // name classes; repeated past NATIVE_MIN_BATCH so that the native kernel (when it is
    // loaded) answers it, reading the live copy with its per-index checks.
    const many = judged.length === 0 ? [] : Array.from({ length: Math.max(NATIVE_MIN_BATCH, judged.length) }, (_, i) => judged[i % judged.length]!);
    const batch = { ...encodeBatch(many), nameClass: Uint16Array.from(many, (f) => live.nameClass(f.dstName)) };
    const out = new Uint8Array(many.length);
    live.verdictBatch(batch, out);
    expect([...out]).toEqual(many.map((f) => live.verdictCode(f)));
  }
  toString = () => `check ${this.seed}`;
}

/** Flows the checks judged that an Admin or Baseline rule decided. */
let tiered = 0;

/** Manifests of a random cluster, as raw objects: the pool commands draw from. */
const poolArbitrary = (options: ClusterArbitraryOptions = {}) =>
  clusterArbitrary(options).map((c) => readText(clusterToYaml(c), 'pool.yaml').objects.map((o) => o.value as Obj));

const labelsArbitrary = fc.dictionary(fc.constantFrom('a', 'b', 'c'), fc.constantFrom('x', 'y'), { maxKeys: 2 });

/** Random command sequences over a pool of objects, each run from an empty LiveDataplane. */
function modelBased(options: ClusterArbitraryOptions, relabel: readonly ('Pod' | 'Namespace' | 'Node')[], dense: boolean, numRuns: number): void {
  fc.assert(
    fc.property(
      poolArbitrary(options).chain((pool) =>
        fc.tuple(
          fc.constant(pool),
          fc.commands(
            [
              fc.constantFrom(...pool).map((o) => new ApplyCommand(o)),
              fc.nat().map((n) => new DeleteCommand(n)),
              fc.tuple(fc.nat(), labelsArbitrary, fc.constantFrom(...relabel)).map(([n, l, kind]) => new RelabelCommand(n, l, kind)),
              fc.constantFrom(...pool).map((o) => new InvalidBatchCommand(o)),
              fc.integer().map((s) => new CheckCommand(s)),
              // Dense: clusters build up fast enough, and are checked often enough, for the
              // checks to find cluster-scoped policies with their subjects.
              ...(dense ? [fc.subarray(pool, { minLength: 1 }).map((os) => new ApplyBatchCommand(os)), fc.integer().map((s) => new CheckCommand(s))] : []),
            ],
            { maxCommands: 25 },
          ),
        ),
      ),
      ([, cmds]) => {
        fc.modelRun(() => ({ model: { objects: new Map() }, real: new LiveDataplane() }), cmds);
      },
    ),
    { numRuns },
  );
}

/** A command of the sync model run, for the async one. */
class AsyncOf implements fc.AsyncCommand<Model, LiveDataplane> {
  constructor(readonly command: fc.Command<Model, LiveDataplane>) {}
  check = (m: Readonly<Model>) => this.command.check(m);
  run = async (m: Model, live: LiveDataplane): Promise<void> => this.command.run(m, live);
  toString = () => this.command.toString();
}

/**
 * Turns of the event loop: a background compaction (quiet period 0, one step per turn) gets
 * scheduled, advances, publishes, or is dropped by the next change; then, with `seed`, a check.
 */
class TurnsCommand implements fc.AsyncCommand<Model, LiveDataplane> {
  constructor(
    readonly turns: number,
    readonly seed?: number,
  ) {}
  check = () => true;
  async run(m: Model, live: LiveDataplane): Promise<void> {
    for (let i = 0; i < this.turns; i++) await new Promise<void>((r) => setTimeout(r, 0));
    if (this.seed !== undefined) new CheckCommand(this.seed).run(m, live);
  }
  toString = () => `${this.turns} turns${this.seed === undefined ? '' : `, check ${this.seed}`}`;
}

/** Background compactions published during the compaction model runs; checks that read a compacted generation, and the denials they saw. */
let compactions = 0;
let checkedCompacted = 0;
let deniedCompacted = 0;

/** Random changes with event-loop turns between them (background compaction in auto mode, eager settings), checked as in modelBased. */
async function modelBasedWithCompaction(numRuns: number): Promise<void> {
  await fc.assert(
    fc.asyncProperty(
      poolArbitrary({ maxClusterPolicies: 3 }).chain((pool) =>
        fc.commands(
          [
            fc.constantFrom(...pool).map((o): fc.AsyncCommand<Model, LiveDataplane> => new AsyncOf(new ApplyCommand(o))),
            // Batches build clusters up fast enough for the checks after a compaction to find isolated pods.
            fc.subarray(pool, { minLength: 1 }).map((os) => new AsyncOf(new ApplyBatchCommand(os))),
            fc.subarray(pool, { minLength: 1 }).map((os) => new AsyncOf(new ApplyBatchCommand(os))),
            fc.nat().map((n) => new AsyncOf(new DeleteCommand(n))),
            fc.tuple(fc.nat(), labelsArbitrary).map(([n, l]) => new AsyncOf(new RelabelCommand(n, l))),
            fc.integer().map((seed) => new AsyncOf(new CheckCommand(seed))),
            fc.integer({ min: 1, max: 12 }).map((n) => new TurnsCommand(n)),
            fc.tuple(fc.integer({ min: 1, max: 12 }), fc.integer()).map(([n, seed]) => new TurnsCommand(n, seed)),
          ],
          { maxCommands: 30 },
        ),
      ),
      async (cmds) => {
        let live: LiveDataplane | undefined;
        const setup = () => {
          live = new LiveDataplane([], {
            compactionIdleMs: 0,
            compactionMinWaste: 0,
            compactionMinBytes: 0,
            compactionSliceMs: 0,
            onCompaction: () => void compactions++,
          });
          return { model: { objects: new Map<string, Obj>() }, real: live };
        };
        try {
          await fc.asyncModelRun(setup, cmds);
        } finally {
          live?.close();
        }
      },
    ),
    { numRuns },
  );
}

describe('LiveDataplane', () => {
  test('model-based: every step answers as a fresh compile and the reference', () => {
    modelBased({}, ['Pod'], false, runs(1000));
  });

  test('model-based with background compactions between the changes: every step answers as a fresh compile and the reference', async () => {
    compactions = checkedCompacted = deniedCompacted = 0;
    await modelBasedWithCompaction(runs(150));
    // The sequences let compactions publish (and drop some), and the checks read compacted generations that deny.
    expect(compactions).toBeGreaterThan(50);
    expect(checkedCompacted).toBeGreaterThan(20);
    expect(deniedCompacted).toBeGreaterThan(20);
  });

  test('model-based with cluster-scoped policies: applied, replaced and deleted among pods, namespaces and nodes relabelled', () => {
    tiered = 0;
    modelBased({ maxClusterPolicies: 4 }, ['Pod', 'Namespace', 'Node'], true, runs(300));
    // The sequences exercise the tiers: checked flows an Admin or Baseline rule decided.
    expect(tiered).toBeGreaterThan(60);
  });

  test('a batch applies as one generation; readers keep the one they hold', () => {
    const yaml = `apiVersion: v1\nkind: Pod\nmetadata: {name: db, namespace: a, labels: {app: db}}\nstatus: {podIP: 10.0.0.1}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: a, labels: {app: web}}\nstatus: {podIP: 10.0.0.2}\n`;
    const live = new LiveDataplane(readText(yaml, 'init.yaml').objects);
    expect(live.generation).toBe(1);
    const before = live.current;
    const deny = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'deny', namespace: 'a' },
      spec: { podSelector: { matchLabels: { app: 'db' } } },
    };
    const r = live.apply([
      { op: 'apply', object: deny },
      { op: 'delete', kind: 'Pod', namespace: 'a', name: 'web' },
    ]);
    expect(r).toMatchObject({ applied: true, generation: 2 });
    const flow = { src: { family: 4 as const, value: 0x0a000002n }, dst: { family: 4 as const, value: 0x0a000001n }, protocol: 6, port: 80 };
    expect(before.verdict(flow).allowed).toBe(true); // the old generation is intact
    // In the new one web is gone (10.0.0.2 is no pod any more) and db is isolated.
    expect(live.current.verdict(flow)).toEqual({ allowed: false, egress: 'not-applicable', ingress: 'denied' });
  });

  test('objects of other policy APIs: refused by default; with ignoreUnsupportedPolicies kept, named by every explanation, deletable', () => {
    const yaml = `apiVersion: v1\nkind: Pod\nmetadata: {name: db, namespace: a, labels: {app: db}}\nstatus: {podIP: 10.0.0.1}\n`;
    const cilium = { apiVersion: 'cilium.io/v2', kind: 'CiliumNetworkPolicy', metadata: { name: 'x', namespace: 'a' }, spec: { endpointSelector: {} } };
    const flow = { src: { family: 4 as const, value: 0x0a000002n }, dst: { family: 4 as const, value: 0x0a000001n }, protocol: 6, port: 80 };
    const strict = new LiveDataplane(readText(yaml, 'init.yaml').objects);
    const refused = strict.apply([{ op: 'apply', object: cilium }]);
    expect(refused.applied).toBe(false);
    expect(refused.issues.map((i) => i.code)).toContain('unsupported-policy');
    const live = new LiveDataplane(readText(yaml, 'init.yaml').objects, { ignoreUnsupportedPolicies: true });
    const r = live.apply([{ op: 'apply', object: cilium }]);
    expect(r).toMatchObject({ applied: true, generation: 2 });
    expect(r.issues.map((i) => i.code)).toEqual(['unsupported-policy']);
    expect(live.cluster().ignoredObjects).toEqual([{ apiVersion: 'cilium.io/v2', kind: 'CiliumNetworkPolicy', namespace: 'a', name: 'x' }]);
    expect(live.explain(flow)).toMatchObject({ allowed: true, ignoring: ['CiliumNetworkPolicy a/x'] });
    expect(live.explain(flow)).toEqual(new ReferenceEvaluator(live.cluster()).explain(flow));
    expect(live.apply([{ op: 'delete', kind: 'CiliumNetworkPolicy', namespace: 'a', name: 'x' }]).applied).toBe(true);
    expect(live.explain(flow).ignoring).toBeUndefined();
    expect(live.cluster().ignoredObjects).toBeUndefined();
  });

  test('deleting what does not exist is an error and changes nothing', () => {
    const live = new LiveDataplane();
    const r = live.apply([{ op: 'delete', kind: 'Pod', namespace: 'a', name: 'ghost' }]);
    expect(r).toMatchObject({ applied: false, generation: 1 });
    expect(r.issues[0]).toMatchObject({ code: 'not-found', severity: 'error', object: 'Pod a/ghost' });
  });

  test('snapshots stay intact across updates; an unpinned generation is retired, not reused silently', () => {
    const yaml = `apiVersion: v1\nkind: Pod\nmetadata: {name: db, namespace: a, labels: {app: db}}\nstatus: {podIP: 10.0.0.1}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: a, labels: {app: web}}\nstatus: {podIP: 10.0.0.2}\n`;
    const live = new LiveDataplane(readText(yaml, 'init.yaml').objects);
    const flow = { src: { family: 4 as const, value: 0x0a000002n }, dst: { family: 4 as const, value: 0x0a000001n }, protocol: 6, port: 80 };
    const plain = live.current;
    const web = (port: number) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web', namespace: 'a', labels: { app: 'web' } },
      spec: { containers: [{ name: 'c', image: 'x', ports: [{ containerPort: port }] }] },
      status: { podIP: '10.0.0.2' },
    });
    expect(live.apply([{ op: 'apply', object: web(1) }])).toMatchObject({ applied: true, strategy: 'incremental' });
    expect(plain.verdict(flow).allowed).toBe(true); // its copy is not reused yet...
    live.apply([{ op: 'apply', object: web(2) }]);
    expect(() => plain.verdict(flow)).toThrow(RetiredGenerationError); // ...now it is
    const pinned = live.snapshot();
    const deny = (name: string) => ({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name, namespace: 'a' },
      spec: { podSelector: { matchLabels: { app: 'db' } } },
    });
    for (let i = 0; i < 5; i++) expect(live.apply([{ op: 'apply', object: deny(`deny-${i}`) }])).toMatchObject({ applied: true, strategy: 'incremental' });
    expect(pinned.verdict(flow).allowed).toBe(true); // pinned before the policies: intact
    expect(live.verdict(flow).allowed).toBe(false);
    pinned.release();
    for (let i = 0; i < 3; i++) live.apply([{ op: 'delete', kind: 'NetworkPolicy', namespace: 'a', name: `deny-${i}` }]);
    expect(() => pinned.verdict(flow)).toThrow(RetiredGenerationError);
    expect(live.explain(flow).ingressDetail.isolatedBy).toEqual(['a/deny-3', 'a/deny-4']);
  });

  test('parallel batches on worker threads answer as the calling thread, whatever is applied meanwhile', async () => {
    const yaml = `apiVersion: v1\nkind: Pod\nmetadata: {name: db, namespace: a, labels: {app: db}}\nstatus: {podIP: 10.0.0.1}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: a, labels: {app: web}}\nstatus: {podIP: 10.0.0.2}\n`;
    const pool = await VerdictPool.create({ workers: 2 });
    try {
      const live = new LiveDataplane(readText(yaml, 'init.yaml').objects, { pool });
      const flows = Array.from({ length: 1000 }, (_, i) => ({
        src: { family: 4 as const, value: 0x0a000001n + BigInt(i % 3) },
        dst: { family: 4 as const, value: 0x0a000001n + BigInt((i >> 2) % 3) },
        protocol: 6,
        port: 80 + (i % 2),
      }));
      const batch = encodeBatch(flows);
      const before = flows.map((f) => live.verdictCode(f));
      const pending = live.verdictBatchParallel(batch);
      // Applied while the batch is in flight: the batch still reads the generation it started on.
      live.apply([
        {
          op: 'apply',
          object: { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'deny', namespace: 'a' }, spec: { podSelector: {} } },
        },
      ]);
      live.apply([{ op: 'delete', kind: 'Pod', namespace: 'a', name: 'web' }]);
      expect([...(await pending)]).toEqual(before);
      const after = flows.map((f) => live.verdictCode(f));
      expect(after).not.toEqual(before);
      expect([...(await live.verdictBatchParallel(batch))]).toEqual(after);
    } finally {
      await pool.close();
    }
  });

  test('after much churn the image is rebuilt from the objects, and says so', () => {
    // Each replaced policy gets a new id, so its subjects get new classes; the old ones stay unused.
    const policy = (i: number) => ({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'only-web', namespace: 'a' },
      spec: {
        podSelector: { matchLabels: { app: 'db' } },
        ingress: [{ from: [{ podSelector: { matchLabels: { app: 'web' } } }], ports: [{ port: 1000 + (i % 7) }] }],
      },
    });
    const yaml = `apiVersion: v1\nkind: Pod\nmetadata: {name: db, namespace: a, labels: {app: db}}\nstatus: {podIP: 10.0.0.1}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: a, labels: {app: web}}\nstatus: {podIP: 10.0.0.2}\n`;
    const live = new LiveDataplane(readText(yaml, 'init.yaml').objects, { rebuildAfterUnused: 8 });
    const results = Array.from({ length: 30 }, (_, i) => live.apply([{ op: 'apply', object: policy(i) }]));
    expect(results[0]!.strategy).toBe('incremental');
    const rebuilt = results.filter((r) => r.strategy === 'rebuild');
    expect(rebuilt.length).toBeGreaterThan(0);
    expect(rebuilt[0]!.reason).toMatch(/^\d+ of \d+ classes unused$/);
    // The last policy admits port 1000 + 29 % 7 = 1001 only.
    const flow = (port: number) => ({ src: { family: 4 as const, value: 0x0a000002n }, dst: { family: 4 as const, value: 0x0a000001n }, protocol: 6, port });
    for (const port of [1000, 1001, 1002]) expect(live.verdict(flow(port))).toEqual(new ReferenceEvaluator(live.cluster()).verdict(flow(port)));
    expect(live.verdict(flow(1001)).allowed).toBe(true);
    expect(live.verdict(flow(1002)).allowed).toBe(false);
  });
});
