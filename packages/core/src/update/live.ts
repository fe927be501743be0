/**
 * A dataplane that follows changes: apply and delete Namespaces, Pods, Nodes,
 * NetworkPolicies and the cluster-scoped policies (ClusterNetworkPolicy, AdminNetworkPolicy,
 * BaselineAdminNetworkPolicy), one by one or as a batch, validated exactly as loading validates them.
 * A batch is all or nothing: any invalid object rejects the whole batch with every problem
 * and the dataplane stays as it was.
 *
 * Work per change is incremental (compile/live/compiler.ts): a pod of a known identity
 * rewrites its entries and trie leaves; new label sets, policies and namespace labels
 * compute only the rows and columns they bring; a cluster-scoped policy recomputes the tier
 * part of the image (its rows, columns and decisions, every entry's tier fields), never the
 * NetworkPolicy part. A full rebuild happens only when unused
 * classes outnumber used ones (after much churn), and the result says so.
 *
 * Generations (generations.ts): each accepted batch is published by bringing a spare copy
 * of the image up to date and switching to it in one assignment. Verdict calls on the live
 * dataplane always read one complete generation. `current` is the generation as an object:
 * it stays valid until its copy is reused (at the earliest after the next apply); `snapshot()`
 * pins one for as long as the caller needs it.
 */
import { LiveCompiler } from '../compile/live/compiler.js';
import { explainImage, type ImageProvenance } from '../dataplane/explain.js';
import { DATAPLANE_OPTIONS, type DataplaneOptions } from '../dataplane/image-dataplane.js';
import type { FlowBatch } from '../kernels/js-kernel.js';
import { PortClassCounter, portClassMessage, portCount } from '../load/capacity.js';
import { fastModel, type FastPathOptions } from '../load/fast-path.js';
import { fastPolicy } from '../load/fast-policy.js';
import { truncate, type Issue } from '../load/issues.js';
import { LOAD_OPTIONS, loadObjects, type LoadOptions } from '../load/load.js';
import { DEFAULT_MAX_INPUT_BYTES } from '../load/limits.js';
import { toPlainJSON } from '../load/plain.js';
import type { RawObject } from '../load/read.js';
import type { Explanation, Flow, Verdict } from '../model/flow.js';
import { CapacityError, LIMITS } from '../model/limits.js';
import { checkOptions, pickOptions, type OptionSpec } from '../model/check-options.js';
import {
  clusterPolicyKey,
  ignoredObjectKey,
  type Cluster,
  type ClusterPolicy,
  type ClusterPolicyKind,
  type IgnoredObject,
  type Namespace,
  type NetworkPolicy,
  type Node,
  type Pod,
} from '../model/types.js';
import type { VerdictPool } from '../parallel/pool.js';
import {
  BackgroundCompaction,
  DEFAULT_COMPACTION,
  type CompactionInfo,
  type CompactionMode,
  type CompactionSettings,
  type CompactionStatus,
} from './compaction.js';
import { Generations, type Copy } from './generations.js';

export type { CompactionInfo, CompactionMode, CompactionStatus } from './compaction.js';

/** The kinds a LiveDataplane takes changes of. */
export type ObjectKind = 'Namespace' | 'Pod' | 'Node' | 'NetworkPolicy' | ClusterPolicyKind;

/** One change for LiveDataplane.apply: an object to create or replace (as kubectl would send it), or one to delete. */
export type Change =
  /** Create or replace an object (as `kubectl apply` would store it). */
  | { readonly op: 'apply'; readonly object: unknown }
  /**
   * Remove an object; it must exist. `kind` may also be the kind of an object of another policy
   * API applied with `ignoreUnsupportedPolicies` (a CiliumNetworkPolicy, say).
   */
  | { readonly op: 'delete'; readonly kind: ObjectKind | (string & {}); readonly name: string; readonly namespace?: string };

/** What LiveDataplane.apply did: whether the batch was applied, the generation now served, and every problem. */
export interface UpdateResult {
  readonly applied: boolean;
  /** The generation now published (unchanged when the batch was rejected). */
  readonly generation: number;
  /** Every problem of the batch; warnings too when it was applied. */
  readonly issues: readonly Issue[];
  /**
   * 'incremental': only what the changes touch was recomputed; 'rebuild': the image was
   * compiled again from all objects (`reason` says why). Absent when nothing was applied.
   */
  readonly strategy?: 'incremental' | 'rebuild';
  readonly reason?: string;
}

export interface LiveOptions extends DataplaneOptions, LoadOptions {
  /** Worker threads for `verdictBatchParallel`; images are then SharedArrayBuffers the workers load. */
  readonly pool?: VerdictPool;
  /**
   * Rebuild from all objects once this many classes are unused and they outnumber the used
   * ones twice over (default 2048): churn leaves unused matrix rows and columns behind.
   */
  readonly rebuildAfterUnused?: number;
  /**
   * 'auto' (the default): once no change has come for `compactionIdleMs`, the published image
   * is at least `compactionMinBytes` and at least `compactionMinWaste` of it is room to grow and
   * unused classes, the image is compacted in the background (slices of `compactionSliceMs` on the event loop) and
   * published as a new generation; a change meanwhile drops the work. 'manual': only `compact()`.
   */
  readonly compaction?: CompactionMode;
  /** Quiet time before a background compaction, ms (default 1000); doubled after each one a change dropped, up to 32 times. */
  readonly compactionIdleMs?: number;
  /** The fraction (0 to 1) of the published image that must be room to grow and unused classes for a background compaction (default 0.25). */
  readonly compactionMinWaste?: number;
  /** Published images smaller than this (bytes, default 4 MiB) are never compacted in the background. */
  readonly compactionMinBytes?: number;
  /** Background compaction work per event-loop turn, ms (default 2). */
  readonly compactionSliceMs?: number;
  /** Called after each background compaction published its generation (from a timer callback). */
  readonly onCompaction?: (info: CompactionInfo) => void;
}

const isFunction = { expected: 'a function', is: (v: unknown) => typeof v === 'function' };

/** LiveOptions' keys and types: the dataplane's and the loader's, and its own (model/check-options.ts). */
const LIVE_OPTIONS: OptionSpec<LiveOptions> = {
  ...DATAPLANE_OPTIONS,
  ...LOAD_OPTIONS,
  pool: 'object',
  rebuildAfterUnused: 'number',
  compaction: ['auto', 'manual'],
  compactionIdleMs: 'number',
  compactionMinWaste: 'number',
  compactionMinBytes: 'number',
  compactionSliceMs: 'number',
  onCompaction: isFunction,
};

/** The background compaction settings of `options`; a RangeError for a value out of range. */
function compactionSettings(options: LiveOptions): CompactionSettings {
  const d = DEFAULT_COMPACTION;
  const settings = {
    mode: options.compaction ?? d.mode,
    idleMs: options.compactionIdleMs ?? d.idleMs,
    minWaste: options.compactionMinWaste ?? d.minWaste,
    minBytes: options.compactionMinBytes ?? d.minBytes,
    sliceMs: options.compactionSliceMs ?? d.sliceMs,
    onCompaction: options.onCompaction,
  };
  const check = (key: string, v: number, max: number): void => {
    if (!(v >= 0 && v <= max)) throw new RangeError(`LiveDataplane options: ${key} must be between 0 and ${max}, not ${v}`);
  };
  check('compactionIdleMs', settings.idleMs, 2 ** 31 - 1);
  check('compactionMinWaste', settings.minWaste, 1);
  check('compactionMinBytes', settings.minBytes, Number.MAX_SAFE_INTEGER);
  check('compactionSliceMs', settings.sliceMs, 60_000);
  return settings;
}

/**
 * The live compiler's state as explain reads it (dataplane/explain.ts): entries, policies and
 * rules by the compiler's ids, the cluster-scoped policies in evaluation order, and the name
 * classes of `names`, the generation explained (the compiler's own, right after a publish),
 * and the objects of other policy APIs left out by choice (`ignoring`).
 */
export function liveProvenance(c: LiveCompiler, names: { nameClass(name: string | undefined): number }, ignoring: readonly string[] = []): ImageProvenance {
  return {
    ignoring,
    ipBlockMatchesPods: c.options.ipBlockMatchesPods,
    entry: (e) => c.entryProvenance(e),
    policy: (id) => c.policy(id),
    rulesOf: (id, direction) => c.rulesOf(id, direction),
    rule: (id) => c.rule(id),
    namespaceLabels: (ns) => c.namespaceLabels(ns),
    isNodeAddress: (ip) => c.nodeOf(ip) !== undefined,
    tiers: {
      policies: c.clusterPolicies,
      initContainerPorts: c.options.initContainerPorts,
      nodeOf: (ip) => c.nodeOf(ip),
      nodeLabels: (node) => c.nodeLabels(node),
      nameClass: (name) => names.nameClass(name),
    },
  };
}

/** Thrown by a generation object whose copy was reused for a newer generation. */
export class RetiredGenerationError extends Error {
  constructor(generation: number) {
    super(`generation ${generation} was retired: take live.snapshot() to keep one across updates`);
    this.name = 'RetiredGenerationError';
  }
}

/** One published generation: verdicts from it while it lives. */
export class Generation {
  /** @internal Made by LiveDataplane. */
  constructor(
    private readonly copy: Copy,
    readonly generation: number,
    private readonly onRelease?: () => void,
  ) {}

  private get dp() {
    if (this.copy.generation !== this.generation) throw new RetiredGenerationError(this.generation);
    return this.copy.dataplane;
  }
  get image(): ArrayBuffer | SharedArrayBuffer {
    return this.dp.image;
  }
  /** The flow's verdict byte (bit 0 allowed, bits 1-3 the egress and bits 4-6 the ingress decision code), without allocating. */
  verdictCode(flow: Flow): number {
    return this.dp.verdictCode(flow);
  }
  /** The flow's verdict. Throws MixedFamiliesError for ends of different families. */
  verdict(flow: Flow): Verdict {
    return this.dp.verdict(flow);
  }
  /** Verdict bytes for every flow of `batch` into `out` (at least `batch.count` bytes), all from one generation. */
  verdictBatch(batch: FlowBatch, out: Uint8Array): void {
    this.dp.verdictBatch(batch, out);
  }
  /**
   * The class of a destination name (Flow.dstName) in this generation's image, for
   * FlowBatch.nameClass: 0 for no name. Classes change with the cluster-scoped policies, so
   * a batch's classes must come from the generation that answers it.
   */
  nameClass(name: string | undefined): number {
    return this.dp.nameClass(name);
  }
  /** Ends a snapshot's pin (no-op for `current`). */
  release(): void {
    this.onRelease?.();
  }
}

type Model = Namespace | Pod | Node | NetworkPolicy | ClusterPolicy;
/** A validated change; `ignored`: an object of another policy API kept only to be named in explanations. */
type Op = {
  readonly kind: ObjectKind | (string & {});
  readonly key: string;
  readonly model?: Model;
  readonly ignored?: IgnoredObject;
};

const NAMESPACED: Readonly<Record<ObjectKind, boolean>> = {
  Namespace: false,
  Node: false,
  Pod: true,
  NetworkPolicy: true,
  ClusterNetworkPolicy: false,
  AdminNetworkPolicy: false,
  BaselineAdminNetworkPolicy: false,
};

const keyOf = (kind: string, namespace: string | undefined, name: string): string => `${kind}/${namespace ?? ''}/${name}`;

function raw(value: Record<string, unknown>, index: number): RawObject {
  return { file: '<update>', document: index, value, locate: () => undefined };
}

const CLUSTER_KINDS: ReadonlySet<string> = new Set<ObjectKind>(['ClusterNetworkPolicy', 'AdminNetworkPolicy', 'BaselineAdminNetworkPolicy']);
const isClusterPolicy = (kind: string): boolean => CLUSTER_KINDS.has(kind);

/** The port ranges of a cluster-scoped policy's rules: each starts a port class, and so does the port after it. */
const clusterRanges = (p: ClusterPolicy) => [...p.ingress, ...p.egress].flatMap((r) => r.ports.flatMap((port) => (port.kind === 'range' ? [port] : [])));

/** Rebuild when unused classes outnumber used ones by this factor (and there are many). */
const GARBAGE_FACTOR = 2;

/**
 * A compiled dataplane that follows a changing cluster: `apply` takes batches of changes, validated
 * as loading validates, all or nothing, compiled incrementally and published as a new generation.
 * Verdicts come from the generation current at the call. Throws a TypeError for an unknown option.
 */
export class LiveDataplane {
  /** Keys (`Kind/namespace/name`) of the objects accepted, those of other policy APIs included. */
  private readonly objects = new Set<string>();
  /** Objects of other policy APIs applied with `ignoreUnsupportedPolicies`: verdicts ignore them, explanations say so. */
  private readonly ignored = new Map<string, IgnoredObject>();
  private readonly models = new Map<string, Model>();
  private compiler: LiveCompiler;
  private generations: Generations;
  private gen = 0;
  private readonly options: LiveOptions;
  private readonly fastOptions: FastPathOptions;
  private readonly compaction: BackgroundCompaction;

  /** Starts from validated objects (for example `readFiles(paths).objects`). */
  constructor(initial: readonly RawObject[] = [], options: LiveOptions = {}) {
    checkOptions('LiveDataplane options', options, LIVE_OPTIONS);
    const compaction = compactionSettings(options);
    this.options = options;
    this.fastOptions = { defaultNamespace: options.defaultNamespace ?? 'default', maxInputBytes: options.maxInputBytes ?? DEFAULT_MAX_INPUT_BYTES };
    const { ops, issues } = this.validate(initial.map((o) => ({ op: 'apply' as const, object: o.value })));
    const errors = issues.filter((i) => i.severity === 'error');
    if (errors.length > 0) throw new Error(`the initial objects are invalid:\n${errors.map((i) => i.message).join('\n')}`);
    this.record(ops);
    this.compiler = new LiveCompiler(this.modelCluster(), options);
    this.generations = new Generations(this.compiler.master, { native: options.native, pool: options.pool });
    this.publish();
    this.compaction = new BackgroundCompaction(
      {
        waste: () => {
          const w = this.compiler.waste();
          return w.wasted / w.bytes;
        },
        steps: () => this.compiler.compactSteps(this.options.pool !== undefined),
        publish: (image) => this.publishCompacted(image),
        publishedBytes: () => this.generations.current.buffer.byteLength,
      },
      compaction,
    );
  }

  get generation(): number {
    return this.gen;
  }

  /** The published generation (valid until its copy is reused; see `snapshot`). */
  get current(): Generation {
    const c = this.generations.current;
    return new Generation(c, c.generation);
  }

  /** The published generation, pinned: never reused until `release()`. */
  snapshot(): Generation {
    const gens = this.generations;
    const c = gens.current;
    c.pins++;
    let released = false;
    return new Generation(c, c.generation, () => {
      if (!released) (released = true), gens.unpin(c);
    });
  }

  /** The objects of the published generation, as a cluster model. */
  cluster(): Cluster {
    const ignored = [...this.ignored.values()];
    return { ...this.compiler.cluster(), ...(ignored.length > 0 && { ignoredObjects: ignored }) };
  }

  /** The flow's verdict byte (bit 0 allowed, bits 1-3 the egress and bits 4-6 the ingress decision code), without allocating. */
  verdictCode(flow: Flow): number {
    return this.generations.current.dataplane.verdictCode(flow);
  }

  /** The flow's verdict. Throws MixedFamiliesError for ends of different families. */
  verdict(flow: Flow): Verdict {
    return this.generations.current.dataplane.verdict(flow);
  }

  /** Verdict bytes for every flow of `batch` into `out` (at least `batch.count` bytes), all from one generation. */
  verdictBatch(batch: FlowBatch, out: Uint8Array): void {
    this.generations.current.dataplane.verdictBatch(batch, out);
  }

  /**
   * The class of a destination name in the published generation's image (FlowBatch.nameClass).
   * An apply may renumber classes: for a batch built across applies, take a `snapshot()` and
   * use its `nameClass` and `verdictBatch`.
   */
  nameClass(name: string | undefined): number {
    return this.generations.current.dataplane.nameClass(name);
  }

  /**
   * One batch spread across the pool's worker threads, against the generation current at the
   * call (pinned until every worker is done, whatever is applied meanwhile).
   */
  async verdictBatchParallel(batch: FlowBatch, out?: Uint8Array): Promise<Uint8Array> {
    const pool = this.options.pool;
    if (!pool) throw new Error('verdictBatchParallel needs a pool: new LiveDataplane(objects, { pool: await VerdictPool.create() })');
    const gens = this.generations;
    const c = gens.current;
    c.pins++;
    try {
      await c.registered;
      return await pool.verdictBatch(c.id, batch, out);
    } finally {
      gens.unpin(c); // after a rebuild meanwhile, the copy leaves the pool here
    }
  }

  /**
   * Why a flow gets its verdict: the decision steps answered from the live image's provenance
   * (the compiler's entries, policies and rules) and checked against the current generation's
   * kernel, like CompiledDataplane's (dataplane/explain.ts).
   */
  explain(flow: Flow): Explanation {
    const dp = this.generations.current.dataplane;
    const [s, d] = dp.entries(flow);
    return explainImage(dp.kernel, liveProvenance(this.compiler, dp, [...this.ignored.values()].map(ignoredObjectKey)), flow, s, d);
  }

  /**
   * Publishes the current state again as a compacted image (compile/live/compact.ts): the
   * same verdicts at a compiled image's density (rows and columns merged, unused classes and
   * room to grow dropped), as a new generation. The next apply publishes from the incremental
   * image again; call this when changes have gone quiet (an idle timer, say). Returns the
   * generation published.
   */
  compact(): number {
    const g = this.publishCompacted(this.compiler.compactImage(this.options.pool !== undefined));
    this.compaction.compacted();
    return g;
  }

  /** The state of background compaction (LiveOptions.compaction): counts, the last one's figures. */
  get compactionStatus(): CompactionStatus {
    return this.compaction.status;
  }

  /**
   * Stops background compaction for good (its timer and any work under way): nothing of this
   * dataplane runs after it on its own. Verdicts, applies and `compact()` keep working.
   */
  close(): void {
    this.compaction.close();
  }

  private publishCompacted(image: ArrayBuffer | SharedArrayBuffer): number {
    this.gen++;
    this.generations.publishImage(image, this.gen, this.compiler.nameClasses());
    return this.gen;
  }

  /** Applies a batch of changes, all or nothing. */
  apply(changes: readonly Change[]): UpdateResult {
    const { ops, issues } = this.validate(changes);
    if (issues.some((i) => i.severity === 'error')) return { applied: false, generation: this.gen, issues };
    // Limits that can be counted before changing anything: no split of a class to undo.
    const over = this.capacity(ops);
    if (over) return { applied: false, generation: this.gen, issues: [...issues, over] };
    let strategy: 'incremental' | 'rebuild' = 'incremental';
    let reason: string | undefined;
    try {
      for (const op of ops) this.change(op);
      this.compiler.commit();
    } catch (e) {
      // A table out of range found while changing (more than 65535 port sets, say): the
      // compiler is half changed, so it is rebuilt from the last accepted objects (record()
      // runs only on success) and that state is published again under the same generation
      // number: verdicts stay the previous generation's, never a half-applied batch's.
      this.rebuild();
      this.generations.publish(this.gen, this.compiler.nameClasses());
      this.compaction.changed();
      const code = e instanceof CapacityError ? e.code : 'apply-failed';
      return {
        applied: false,
        generation: this.gen,
        issues: [...issues, { code, severity: 'error', file: '<update>', path: '', message: (e as Error).message }],
      };
    }
    this.record(ops);
    const g = this.compiler.garbage();
    if (g.unused >= (this.options.rebuildAfterUnused ?? 2048) && g.unused > GARBAGE_FACTOR * (g.total - g.unused)) {
      strategy = 'rebuild';
      reason = `${g.unused} of ${g.total} classes unused`;
      this.rebuild();
    }
    this.publish();
    this.compaction.changed();
    return { applied: true, generation: this.gen, issues, strategy, ...(reason && { reason }) };
  }

  private change(op: Op): void {
    if (op.ignored || !(op.kind in NAMESPACED)) return; // another policy API's object: nothing to compile
    const c = this.compiler;
    const m = op.model;
    const [, ns = '', name = ''] = op.key.split('/');
    switch (op.kind) {
      case 'Namespace':
        return m ? c.setNamespace(m as Namespace) : c.deleteNamespace(name);
      case 'Node':
        return m ? c.setNode(m as Node) : c.deleteNode(name);
      case 'Pod':
        return m ? c.setPod(m as Pod) : c.deletePod(ns, name);
      case 'NetworkPolicy':
        return m ? c.setPolicy(m as NetworkPolicy) : c.deletePolicy(ns, name);
      default:
        return m ? c.setClusterPolicy(m as ClusterPolicy) : c.deleteClusterPolicy(clusterPolicyKey({ kind: op.kind as ClusterPolicyKind, name }));
    }
  }

  private rebuild(): void {
    this.compiler = new LiveCompiler(this.modelCluster(), this.options);
    this.generations.retire(); // its copies leave the pool once no reader holds them
    this.generations = new Generations(this.compiler.master, { native: this.options.native, pool: this.options.pool });
  }

  /**
   * A `capacity-exceeded` error for the first change that would take the port classes over
   * the image's limit (counting only the cuts the batch adds to the compiler's), or none.
   */
  private capacity(ops: readonly Op[]): Issue | undefined {
    const classes = this.compiler.portClasses();
    let ports = 0;
    for (const op of ops) {
      if (!op.model) continue;
      if (op.kind === 'NetworkPolicy') ports += portCount([op.model as NetworkPolicy], []);
      else if (op.kind === 'Pod') ports += (op.model as Pod).ports.length;
      else if (isClusterPolicy(op.kind)) ports += clusterRanges(op.model as ClusterPolicy).length;
    }
    if (classes.count + 2 * ports <= LIMITS.portClasses) return undefined; // cannot reach it
    const counter = new PortClassCounter(classes.count, classes.isCut);
    for (const op of ops) {
      if (op.kind === 'NetworkPolicy' && op.model) counter.addPolicy(op.model as NetworkPolicy);
      else if (op.kind === 'Pod' && op.model) counter.addPod(op.model as Pod);
      else if (isClusterPolicy(op.kind) && op.model) {
        for (const p of clusterRanges(op.model as ClusterPolicy)) {
          counter.add(p.protocol, p.start);
          counter.add(p.protocol, p.end + 1);
        }
      } else continue;
      if (counter.count > LIMITS.portClasses) {
        const m = op.model as Pod | NetworkPolicy | ClusterPolicy;
        const object = 'namespace' in m ? `${op.kind} ${m.namespace}/${m.name}` : `${op.kind} ${m.name}`;
        return { code: 'capacity-exceeded', severity: 'error', file: '<update>', object, path: 'spec', message: portClassMessage(counter.count) };
      }
    }
    return undefined;
  }

  private publish(): void {
    this.gen++;
    this.generations.publish(this.gen, this.compiler.nameClasses());
  }

  private modelCluster(): Cluster {
    const out = {
      namespaces: [] as Namespace[],
      pods: [] as Pod[],
      nodes: [] as Node[],
      policies: [] as NetworkPolicy[],
      clusterPolicies: [] as ClusterPolicy[],
    };
    for (const [key, m] of this.models) {
      const kind = key.slice(0, key.indexOf('/'));
      if (kind === 'Namespace') out.namespaces.push(m as Namespace);
      else if (kind === 'Pod') out.pods.push(m as Pod);
      else if (kind === 'Node') out.nodes.push(m as Node);
      else if (kind === 'NetworkPolicy') out.policies.push(m as NetworkPolicy);
      else out.clusterPolicies.push(m as ClusterPolicy);
    }
    return out;
  }

  /** Keeps the accepted objects (in the order a fresh load of them would list them). */
  private record(ops: readonly Op[]): void {
    for (const op of ops) {
      if (op.model || op.ignored) this.objects.add(op.key);
      else this.objects.delete(op.key);
      if (op.model) this.models.set(op.key, op.model);
      else this.models.delete(op.key);
      if (op.ignored) this.ignored.set(op.key, op.ignored);
      else this.ignored.delete(op.key);
    }
  }

  /** Validates each change as loading would; deletes must name an object that exists by then. */
  private validate(changes: readonly Change[]): { ops: Op[]; issues: Issue[] } {
    const issues: Issue[] = [];
    const ops: Op[] = [];
    const exists = new Map<string, boolean>();
    const has = (key: string): boolean => exists.get(key) ?? this.objects.has(key);
    changes.forEach((change, index) => {
      if (change.op === 'delete') {
        const defaultNs = change.namespace ?? this.options.defaultNamespace ?? 'default';
        // Another policy API's kind: cluster-scoped if held so, else namespaced.
        const known = change.kind in NAMESPACED;
        const ns = known
          ? NAMESPACED[change.kind as ObjectKind]
            ? defaultNs
            : undefined
          : change.namespace === undefined && has(keyOf(change.kind, undefined, change.name))
            ? undefined
            : defaultNs;
        const key = keyOf(change.kind, ns, change.name);
        if (!has(key)) {
          issues.push({
            code: 'not-found',
            severity: 'error',
            file: '<update>',
            document: index,
            object: `${change.kind} ${ns ? ns + '/' : ''}${change.name}`,
            path: '',
            message: `${change.kind.toLowerCase()} "${change.name}" not found`,
          });
          return;
        }
        exists.set(key, false);
        ops.push({ kind: change.kind, key });
        return;
      }
      const value = change.object;
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        issues.push({ code: 'not-an-object', severity: 'error', file: '<update>', document: index, path: '', message: 'expected a Kubernetes object' });
        return;
      }
      // A Pod, Namespace, Node or NetworkPolicy in its common valid form: its model straight away
      // (the lean paths, load/fast-path.ts and fast-policy.ts, which accept only what loading
      // takes with no issue, as loading has it).
      const fast = fastModel(value, this.fastOptions) ?? fastPolicy(value, this.fastOptions);
      if (fast) {
        const ns = fast.kind === 'Pod' || fast.kind === 'NetworkPolicy' ? fast.model.namespace : undefined;
        const key = keyOf(fast.kind, ns, fast.model.name);
        exists.set(key, true);
        ops.push({ kind: fast.kind, key, model: fast.model });
        return;
      }
      // Keep a JSON-only copy (null-prototype objects): what the caller holds may change later
      // or be no JSON value at all, in which case loadObjects reports why on the original.
      const copy = toPlainJSON(value, { maxBytes: this.options.maxInputBytes ?? DEFAULT_MAX_INPUT_BYTES }).value as Record<string, unknown> | undefined;
      // The same validation as loading, object by object: same codes, paths and messages.
      const one = loadObjects([raw(copy ?? (value as Record<string, unknown>), index)], pickOptions(this.options, LOAD_OPTIONS));
      const own = one.issues.filter((i) => i.code !== 'namespace-not-found');
      issues.push(...own);
      const c = one.cluster;
      if (!c || own.some((i) => i.severity === 'error')) return;
      if (!copy) return;
      const ignored = c.ignoredObjects?.[0];
      if (ignored) {
        const key = keyOf(ignored.kind, ignored.namespace, ignored.name);
        exists.set(key, true);
        ops.push({ kind: ignored.kind, key, ignored });
        return;
      }
      const kind = copy['kind'] as ObjectKind;
      const model =
        kind === 'Namespace'
          ? c.namespaces[0]
          : kind === 'Pod'
            ? c.pods[0]
            : kind === 'Node'
              ? c.nodes[0]
              : kind === 'NetworkPolicy'
                ? c.policies[0]
                : c.clusterPolicies?.[0];
      if (!model) {
        // A kind that evaluation does not use (loading warned), or one it reads that live updates do not follow (workloads, Services).
        if (!own.some((i) => i.code === 'skipped-kind'))
          issues.push({
            code: 'skipped-kind',
            severity: 'warning',
            file: '<update>',
            document: index,
            path: 'kind',
            message: `kind: ${truncate(String(kind))} is not followed by live updates (they apply Namespaces, Pods, Nodes and policies); skipped`,
          });
        return;
      }
      const ns = 'namespace' in model && kind !== 'Namespace' ? (model as { namespace: string }).namespace : undefined;
      const key = keyOf(kind, ns, model.name);
      exists.set(key, true);
      ops.push({ kind, key, model });
    });
    return { ops, issues };
  }
}
