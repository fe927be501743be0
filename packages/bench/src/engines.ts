/**
 * The engines a scenario measures, side by side over the same trace buffers, and the check
 * that runs before any timing: every engine's verdict bytes over the whole trace equal the
 * JS batch kernel's (byte for byte), and those equal the reference evaluator's verdicts on
 * an evenly spread sample. A mismatch throws VerdictMismatchError: the run aborts.
 */
import { decodeVerdict, formatIP, type CompiledDataplane, type Flow, type FlowBatch, type ReferenceEvaluator, type Verdict } from '@netpol/core';
import { flowAt, sliceBatch } from './generators.js';
import { calibrateBatch, sink } from './measure.js';

export type EngineKind =
  | 'reference'
  | 'js-single'
  | 'js-batch'
  | 'native-batch'
  | 'live-js-batch'
  | 'live-native-batch'
  | 'live-compacted-js-batch'
  | 'live-compacted-native-batch';

export interface Engine {
  /** Stable id for the JSON: kind plus batch size (`js-batch@4096`). */
  readonly id: string;
  readonly kind: EngineKind;
  readonly label: string;
  /** Verdicts per timed call. */
  readonly batch: number;
  /** Verdict bytes for a (sub)batch; absent for the reference (checked on a sample). */
  readonly fill?: (b: FlowBatch, out: Uint8Array) => void;
  /** The timed function: each call handles the next `batch` flows of the trace (rotating). */
  readonly timed: () => void;
}

/** What CompiledDataplane (and a live generation's copy) offers across versions (verdictBatchJS/Native arrived with the addon). */
export interface DataplaneBatches {
  verdictBatchJS?: (b: FlowBatch, out: Uint8Array) => void;
  verdictBatchNative?: (b: FlowBatch, out: Uint8Array) => void;
  nativeActive?: boolean;
}

/** The native kernel is loaded and this dataplane has it. */
export const nativeUsable = (dp: CompiledDataplane | DataplaneBatches): boolean => {
  const d = dp as unknown as DataplaneBatches;
  return typeof d.verdictBatchNative === 'function' && d.nativeActive === true;
};

const jsBatchOf = (dp: CompiledDataplane): ((b: FlowBatch, out: Uint8Array) => void) => {
  const d = dp as unknown as DataplaneBatches;
  return typeof d.verdictBatchJS === 'function' ? (b, out) => d.verdictBatchJS!.call(dp, b, out) : (b, out) => dp.kernel.verdictBatch(b, out);
};

/** The native batch call of a dataplane whose addon is loaded. */
const nativeBatchOf = (dp: object): ((b: FlowBatch, out: Uint8Array) => void) => {
  const d = dp as DataplaneBatches;
  return (b, out) => d.verdictBatchNative!.call(dp, b, out);
};

/** Precomputed slice views of the trace, so that the timed path allocates nothing. */
function slices(trace: FlowBatch, batch: number): FlowBatch[] {
  const n = Math.floor(trace.count / batch);
  if (n === 0) throw new RangeError(`trace of ${trace.count} flows is shorter than a batch of ${batch}`);
  return Array.from({ length: n }, (_, k) => sliceBatch(trace, k * batch, batch));
}

/** An engine that runs `run` on the next `batch` flows of the trace per timed call. */
export function batchEngine(kind: EngineKind, label: string, run: (b: FlowBatch, out: Uint8Array) => void, trace: FlowBatch, batch: number): Engine {
  const parts = slices(trace, batch);
  const out = new Uint8Array(batch);
  let k = 0;
  return {
    id: `${kind}@${batch}`,
    kind,
    label: `${label} (batch ${batch})`,
    batch,
    fill: run,
    timed: () => {
      run(parts[k]!, out);
      sink(out[batch - 1]!);
      k = k + 1 === parts.length ? 0 : k + 1;
    },
  };
}

export interface EngineOptions {
  readonly jsBatches: readonly number[];
  readonly nativeBatches: readonly number[];
  /** Flows per timed call of the single-flow engine. */
  readonly singleBatch: number;
  /** Reference flows (prebuilt Flow objects, timed without the conversion). */
  readonly referenceFlows: readonly Flow[];
  /** Target duration of one reference call, ms (the batch is calibrated to it). */
  readonly referenceCallMs: number;
}

/** The engines for one scenario, in display order. */
export function scenarioEngines(dp: CompiledDataplane, ref: ReferenceEvaluator, trace: FlowBatch, o: EngineOptions): Engine[] {
  const engines: Engine[] = [];
  const v6 = trace.family !== undefined;

  // Reference evaluator over prebuilt Flow objects (its natural input).
  const flows = o.referenceFlows;
  let r = 0;
  const refOne = (): void => {
    const v = ref.verdict(flows[r]!);
    sink(v.allowed ? 1 : 0);
    r = r + 1 === flows.length ? 0 : r + 1;
  };
  const refBatch = calibrateBatch(refOne, o.referenceCallMs, 1024);
  engines.push({
    id: 'reference',
    kind: 'reference',
    label: 'reference evaluator',
    batch: refBatch,
    timed: () => {
      for (let i = 0; i < refBatch; i++) refOne();
    },
  });

  // Compiled, one flow per call (numbers in, verdict byte out).
  const kernel = dp.kernel;
  const { src, dst, protocol, port } = trace;
  const B = o.singleBatch;
  const rounds = Math.floor(trace.count / B);
  let k = 0;
  const single4 = (b: FlowBatch, out: Uint8Array): void => {
    for (let i = 0; i < b.count; i++) out[i] = kernel.verdict4(b.src[i]!, b.dst[i]!, b.protocol[i]!, b.port[i]!);
  };
  const single6 = (b: FlowBatch, out: Uint8Array): void => {
    for (let i = 0; i < b.count; i++) out[i] = kernel.verdict6(b.src, 4 * i, b.dst, 4 * i, b.protocol[i]!, b.port[i]!);
  };
  engines.push({
    id: 'js-single',
    kind: 'js-single',
    label: `compiled JS, one flow per call`,
    batch: B,
    fill: v6 ? single6 : single4,
    timed: v6
      ? () => {
          const o0 = k * B;
          let x = 0;
          for (let i = o0; i < o0 + B; i++) x ^= kernel.verdict6(src, 4 * i, dst, 4 * i, protocol[i]!, port[i]!);
          sink(x);
          k = k + 1 === rounds ? 0 : k + 1;
        }
      : () => {
          const o0 = k * B;
          let x = 0;
          for (let i = o0; i < o0 + B; i++) x ^= kernel.verdict4(src[i]!, dst[i]!, protocol[i]!, port[i]!);
          sink(x);
          k = k + 1 === rounds ? 0 : k + 1;
        },
  });

  engines.push(...compiledBatchEngines(dp, trace, o));
  return engines;
}

/** The compiled image's batch engines over a trace: JS at each of `jsBatches`, native at each of `nativeBatches` when loaded. */
export function compiledBatchEngines(dp: CompiledDataplane, trace: FlowBatch, o: Pick<EngineOptions, 'jsBatches' | 'nativeBatches'>): Engine[] {
  const js = jsBatchOf(dp);
  const engines = o.jsBatches.map((b) => batchEngine('js-batch', 'compiled JS batch', js, trace, b));
  if (nativeUsable(dp)) for (const b of o.nativeBatches) engines.push(batchEngine('native-batch', 'native batch', nativeBatchOf(dp), trace, b));
  return engines;
}

/**
 * The live image's batch engines over a trace (`dp`: a generation's copy). As built
 * (`compacted` false) it is the copy LiveDataplane patches in place: the native kernel reads
 * it with per-read checks; compacted, an image of its own at compiled density.
 */
export function liveBatchEngines(dp: DataplaneBatches, trace: FlowBatch, o: Pick<EngineOptions, 'jsBatches' | 'nativeBatches'>, compacted = false): Engine[] {
  const [kind, label] = compacted ? (['live-compacted', 'live image (compacted)'] as const) : (['live', 'live image'] as const);
  const js: (b: FlowBatch, out: Uint8Array) => void = (b, out) => dp.verdictBatchJS!.call(dp, b, out);
  const engines = o.jsBatches.map((b) => batchEngine(`${kind}-js-batch`, `${label} JS batch`, js, trace, b));
  if (nativeUsable(dp))
    for (const b of o.nativeBatches) engines.push(batchEngine(`${kind}-native-batch`, `${label} native batch`, nativeBatchOf(dp), trace, b));
  return engines;
}

// ---- verification ----

export class VerdictMismatchError extends Error {
  override readonly name = 'VerdictMismatchError';
}

export interface Verification {
  /** Flows checked against the reference evaluator (evenly spread over the trace). */
  readonly referenceSample: number;
  /** Engines whose bytes over the full trace equal the JS batch kernel's. */
  readonly fullTraceEngines: readonly string[];
  /** FNV-1a 32 of the verdict bytes over the full trace (same seed → same checksum). */
  readonly checksum: string;
  readonly allowedShare: number;
  /** Share of each decision per direction over the trace. */
  readonly decisions: { readonly egress: Record<string, number>; readonly ingress: Record<string, number> };
}

export function fnv1a(bytes: Uint8Array): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  return (h >>> 0).toString(16).padStart(8, '0');
}

export const describeFlow = (f: Flow): string =>
  `${formatIP(f.src)} -> ${formatIP(f.dst)} proto ${f.protocol}${f.port !== undefined ? ` port ${f.port}` : f.icmpType !== undefined ? ` type ${f.icmpType}` : ''}`;
export const describeVerdict = (v: Verdict): string => `${v.allowed ? 'ALLOWED' : 'DENIED'} (egress ${v.egress}, ingress ${v.ingress})`;
const sameVerdict = (a: Verdict, b: Verdict): boolean => a.allowed === b.allowed && a.egress === b.egress && a.ingress === b.ingress;

/** Evenly spread indices into a trace. */
export const sampleIndices = (count: number, sample: number): number[] => {
  const n = Math.min(count, sample);
  return Array.from({ length: n }, (_, k) => Math.floor((k * count) / n));
};

/**
 * Checks the engines before timing: `baseline` (the first engine with `fill`, the JS batch
 * kernel over the whole trace in one call) against the reference on `sample` flows, then
 * every other engine byte for byte over the whole trace, in calls of its own batch size.
 */
export function verifyEngines(where: string, trace: FlowBatch, ref: ReferenceEvaluator, engines: readonly Engine[], sample: number): Verification {
  const checked = engines.filter((e) => e.fill);
  const base = checked.find((e) => e.kind === 'js-batch') ?? checked[0];
  if (!base) throw new Error('no engine to verify');
  const n = trace.count;
  const expected = new Uint8Array(n);
  base.fill!(trace, expected);
  const idx = sampleIndices(n, sample);
  for (const i of idx) {
    const f = flowAt(trace, i);
    const want = ref.verdict(f);
    const got = decodeVerdict(expected[i]!);
    if (!sameVerdict(want, got)) {
      throw new VerdictMismatchError(
        `${where}: ${base.id} disagrees with the reference evaluator on flow #${i} ${describeFlow(f)}: reference ${describeVerdict(want)}, ${base.id} ${describeVerdict(got)}`,
      );
    }
  }
  const out = new Uint8Array(n);
  const fullTraceEngines = [base.id];
  for (const e of checked) {
    if (e === base) continue;
    out.fill(0xff);
    const step = e.batch;
    for (let at = 0; at < n; at += step) {
      const c = Math.min(step, n - at);
      e.fill!(sliceBatch(trace, at, c), out.subarray(at, at + c));
    }
    for (let i = 0; i < n; i++) {
      if (out[i] !== expected[i]) {
        const f = flowAt(trace, i);
        throw new VerdictMismatchError(
          `${where}: ${e.id} disagrees with ${base.id} on flow #${i} ${describeFlow(f)}: ${e.id} byte ${out[i]}, ${base.id} byte ${expected[i]}, reference ${describeVerdict(ref.verdict(f))}`,
        );
      }
    }
    fullTraceEngines.push(e.id);
  }
  let allowed = 0;
  const eg = [0, 0, 0, 0, 0, 0, 0, 0];
  const ing = [0, 0, 0, 0, 0, 0, 0, 0];
  for (let i = 0; i < n; i++) {
    const b = expected[i]!;
    allowed += b & 1;
    eg[(b >> 1) & 7]!++;
    ing[(b >> 4) & 7]!++;
  }
  const names = ['allowed', 'denied', 'not-isolated', 'not-applicable', 'admin-allowed', 'admin-denied', 'baseline-allowed', 'baseline-denied'];
  const shares = (c: number[]): Record<string, number> => Object.fromEntries(names.map((name, i) => [name, round(c[i]! / n, 4)]));
  return {
    referenceSample: idx.length,
    fullTraceEngines,
    checksum: fnv1a(expected),
    allowedShare: round(allowed / n, 4),
    decisions: { egress: shares(eg), ingress: shares(ing) },
  };
}

export const round = (x: number, digits = 2): number => {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};
