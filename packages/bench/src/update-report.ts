/**
 * The `updates` part in the report: its tables and its targets (DESIGN.md: at L, 10k pods /
 * 1k policies, a pod change p99 ≤ 100 µs, a policy change p99 ≤ 5 ms; issue 17, in steady
 * state: a pod add p99 ≤ 60 µs, a policy add p99 ≤ 1 ms). Timing never fails a run: a missed
 * target is reported.
 */
import { fmtRate, formatTable } from './format.js';
import type { TargetCheck } from './target-check.js';
import { OP_LABELS, type OpKind } from './update-ops.js';
import type { OpLatency, UpdatesResult } from './updates.js';
import { fmtLoad } from './format.js';

/** `issue17`: the issue's tighter steady-state target, a row of its own beside DESIGN.md's. */
const TARGETS: readonly { kind: OpKind; limitUs: number; issue17?: true }[] = [
  { kind: 'pod-add', limitUs: 100 },
  { kind: 'pod-add-new-labels', limitUs: 100 },
  { kind: 'pod-remove', limitUs: 100 },
  { kind: 'pod-relabel', limitUs: 100 },
  { kind: 'pod-relabel-new-labels', limitUs: 100 },
  { kind: 'policy-add', limitUs: 5000 },
  { kind: 'policy-remove', limitUs: 5000 },
  { kind: 'pod-add', limitUs: 60, issue17: true },
  { kind: 'policy-add', limitUs: 1000, issue17: true },
];

/** One target per kind (two for the issue's), on the L cluster's steady-state p99 (the run with id L; not the controller-load run). */
export function updateTargets(results: readonly UpdatesResult[], quick: boolean): TargetCheck[] {
  const L = results.find((r) => r.id === 'L');
  return TARGETS.map(({ kind, limitUs, issue17 }) => {
    const op = L?.ops.find((o) => o.kind === kind);
    const ms = limitUs >= 1000;
    const target = ms ? `p99 ≤ ${limitUs / 1000} ms` : `p99 ≤ ${limitUs} µs`;
    const base = {
      id: issue17 ? `update-${kind}-steady` : `update-${kind}`,
      what: `${OP_LABELS[kind]}, apply() latency, L cluster${issue17 ? ', steady state (issue 17)' : ''}`,
      target,
      unit: ms ? 'ms' : 'µs',
    };
    if (!op || op.ops === 0) {
      return {
        ...base,
        measured: null,
        met: null,
        note: L ? `not measured: no ${kind} changes in this run` : `not measured: ${quick ? 'the quick run has' : 'this run has'} no L updates`,
      };
    }
    const p99 = op.us.p99;
    const met = p99 <= limitUs;
    const few = op.ops < 100 ? ` (${op.ops} changes: p99 ≈ the worst)` : '';
    return {
      ...base,
      measured: ms ? Math.round(p99 / 10) / 100 : p99,
      met,
      note: `${met ? `met (${(limitUs / p99).toFixed(2)}× margin)` : `missed by ${(p99 / limitUs).toFixed(2)}×`}${few}`,
    };
  });
}

const fmtUs = (us: number): string => (us >= 10_000 ? `${(us / 1000).toFixed(1)} ms` : us >= 1000 ? `${(us / 1000).toFixed(2)} ms` : us.toFixed(1));

/** The updates section of the text report. */
export function renderUpdates(results: readonly UpdatesResult[]): string {
  const out: string[] = [];
  out.push(
    "Updates: LiveDataplane.apply() of one object, from the call to its return (the change then visible to verdicts), in steady state (changes back to back, no forced GC; flows around every k-th change checked against the reference after each kind's run); µs unless marked",
  );
  const row = (o: OpLatency, first: string): string[] => [
    first,
    o.label,
    String(o.ops),
    fmtUs(o.us.p50),
    fmtUs(o.us.p99),
    fmtUs(o.us.max),
    fmtUs(o.us.mean),
    String(o.rebuilds),
    `${o.checks} (${o.checkedFlows})`,
    fmtLoad(o.load),
  ];
  const cluster = (r: UpdatesResult): string => `${r.id} (${r.size.pods} pods, ${r.size.policies} pol)`;
  out.push(
    formatTable(
      ['cluster', 'change', 'ops', 'p50', 'p99', 'max', 'mean', 'rebuilds', 'checks (flows)', 'load (others)'],
      results.flatMap((r) => [
        ...r.ops.map((o, i) => row(o, i === 0 ? cluster(r) : '')),
        ['', `full recompile (median of ${r.fullRecompileMs.runs.length})`, '', fmtUs(r.fullRecompileMs.median * 1000), '', '', '', '', '', ''],
        ['', `initial build (${r.objects} objects)`, '', fmtUs(r.initialBuildMs * 1000), '', '', '', '', '', ''],
      ]),
    ),
  );
  const loaded = results.filter((r) => r.loaded && r.loaded.ops.length > 0);
  if (loaded.length > 0) {
    out.push('');
    const l = loaded[0]!.loaded!;
    const caches = loaded.map((r) => `${r.id}: ${r.loaded!.cachedObjects}`).join(', ');
    out.push(
      `Updates under a controller-like allocation load: between two applies (untimed), ${l.eventsPerApply} watch events decoded from JSON (about ${(l.decodedBytesPerApply / 1024).toFixed(0)} KiB) into an informer-like cache of every object of the cluster (${caches} objects) and a label index, so the collector runs during some applies as in a controller; µs unless marked`,
    );
    out.push(
      formatTable(
        ['cluster', 'change', 'ops', 'p50', 'p99', 'max', 'mean', 'rebuilds', 'checks (flows)', 'load (others)'],
        loaded.flatMap((r) => r.loaded!.ops.map((o, i) => row(o, i === 0 ? cluster(r) : ''))),
      ),
    );
  }
  out.push('');
  out.push(
    'Verdicts while pods change: one thread, verdictBatch on the published generation, one pod update (add, relabel, remove in turn) every N batches; rates over verdict + update time',
  );
  out.push(
    formatTable(
      ['cluster', 'batches/update', 'updates/s', 'M flows/s', 'of no updates', 'M flows/s, verdicts only', 'update p50', 'update p99', 'updates'],
      results.flatMap((r) =>
        r.stream.map((s, i) => [
          i === 0 ? r.id : '',
          s.batchesPerUpdate === null ? 'none' : String(s.batchesPerUpdate),
          s.updatesPerSecond.toFixed(1),
          fmtRate(s.flowsPerSecond),
          s.ofBaseline === null ? '–' : `${(s.ofBaseline * 100).toFixed(1)}%`,
          fmtRate(s.verdictOnlyFlowsPerSecond),
          s.updateUs ? fmtUs(s.updateUs.p50) : '–',
          s.updateUs ? fmtUs(s.updateUs.p99) : '–',
          String(s.updates),
        ]),
      ),
    ),
  );
  for (const r of results) {
    out.push(
      `${r.id}: ${r.generations} generations published; ${r.verification.checks} checks, ${r.verification.flows} flows against the reference; end state: ${r.verification.finalTraceFlows} flows equal to a fresh compile, ${r.verification.referenceSample} against the reference`,
    );
  }
  return out.join('\n');
}
