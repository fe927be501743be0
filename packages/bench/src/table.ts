/** The readable report on stdout: plain aligned text tables, no colours. */
import type { BenchResults } from './results.js';
import { fmtLoad, fmtRate, formatTable } from './format.js';
import type { Spread } from './measure.js';
import type { ColdProbe, CompileFigures, EngineResult } from './scenario.js';
import { renderUpdates } from './update-report.js';

const MiB = 2 ** 20;

const fmtNs = (x: number): string => (x >= 100 ? Math.round(x).toLocaleString('en-US') : x.toFixed(2));
const fmtX = (x: number | null): string => (x === null ? '–' : x >= 100 ? `${Math.round(x).toLocaleString('en-US')}×` : `${x.toFixed(1)}×`);
const fmtMiB = (b: number): string => (b / MiB).toFixed(2);
const fmtSpread = (x: Spread): string => `${fmtRate(x.median)} [${fmtRate(x.p5)}–${fmtRate(x.p95)}]`;
/** Cold compile: the median probe, the spread over the probes and their count. */
const fmtCold = (c: CompileFigures): string => {
  if (c.coldProcessMs === null) return '–';
  const runs = c.coldProcessRunsMs;
  return runs.length > 1
    ? `${c.coldProcessMs.toFixed(0)} [${Math.min(...runs).toFixed(0)}–${Math.max(...runs).toFixed(0)}] ×${runs.length}`
    : c.coldProcessMs.toFixed(0);
};
/** The load beside the cold probes: the load average's range at their starts and the most cores others took during one. */
const fmtProbeLoad = (probes: readonly ColdProbe[] | undefined): string => {
  if (!probes || probes.length === 0) return '–';
  const loads = probes.map((p) => p.load);
  const fc = probes.flatMap((p) => (p.foreignCores === null ? [] : [p.foreignCores]));
  return fmtLoad({ min: Math.min(...loads), max: Math.max(...loads), foreignCores: fc.length ? Math.max(...fc) : null });
};
/** The median probe's CPU ms over all its threads (above the wall time: V8 worked in the background too). */
const probeCpu = (probes: readonly ColdProbe[] | undefined): string => {
  if (!probes || probes.length === 0) return '–';
  const s = [...probes].sort((a, b) => a.ms - b.ms)[probes.length >> 1]!;
  return s.cpuMs.toFixed(0);
};
const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;

/**
 * Live ÷ compiled throughput per kernel and batch on the mixed trace (median rates) for the
 * live image as built (`prefix` 'live') or compacted ('live-compacted'), e.g. "JS@4096 0.81×, native@4096 0.77×".
 */
function liveRatios(s: BenchResults['scenarios'][number], prefix: 'live' | 'live-compacted'): string | null {
  const pairs = s.engines.flatMap((e) => {
    const kernel = e.kind === `${prefix}-js-batch` ? 'js-batch' : e.kind === `${prefix}-native-batch` ? 'native-batch' : null;
    const c = kernel && s.engines.find((x) => x.kind === kernel && x.batch === e.batch);
    return c ? [`${kernel === 'js-batch' ? 'JS' : 'native'}@${e.batch} ${(e.verdictsPerSecond.median / c.verdictsPerSecond.median).toFixed(2)}×`] : [];
  });
  return pairs.length ? pairs.join(', ') : null;
}
const fmtBytes = (b: number): string => (b >= MiB ? `${(b / MiB).toFixed(2)} MiB` : `${(b / 1024).toFixed(1)} KiB`);

export function renderReport(r: BenchResults): string {
  const env = r.environment;
  const out: string[] = [];
  out.push(
    `netpol bench (${r.mode}) · Node ${env.node} · ${env.cpuModel} × ${env.cpuCount} · load ${env.loadAverage.map((x) => x.toFixed(2)).join(' ')} · native ${env.nativeLoaded ? `loaded (${env.native.version ?? '?'})` : 'not loaded'}`,
  );
  if (r.scenarios.length > 0) {
    out.push('');
    out.push(
      'Engines: verdicts/s = calls/s × batch, median [p5–p95] over samples; the engines of a scenario interleaved in rounds; every engine checked against the reference first; load: 1-min load average over the rounds, and the cores other processes kept busy meanwhile',
    );
    const row = (s: BenchResults['scenarios'][number], trace: string, e: EngineResult, first: boolean): string[] => [
      first ? `${s.id} (${s.size.pods} pods, ${s.size.policies} pol, IPv${s.trace.family})` : '',
      trace,
      e.label.replace(/ \(batch \d+\)$/, ''),
      String(e.batch),
      fmtSpread(e.verdictsPerSecond),
      fmtNs(e.nsPerVerdict),
      fmtX(e.ratioToReference),
      fmtLoad(e.load),
    ];
    out.push(
      formatTable(
        ['scenario', 'trace', 'engine', 'batch', 'M verdicts/s [p5–p95]', 'ns/verdict', '× reference', 'load (others)'],
        r.scenarios.flatMap((s) => [
          ...s.engines.map((e, i) => row(s, i === 0 ? 'mixed' : '', e, i === 0)),
          ...(s.realistic?.engines ?? []).map((e, i) => row(s, i === 0 ? 'realistic' : '', e, false)),
        ]),
      ),
    );
    for (const s of r.scenarios) {
      const parts = [`${s.id}: mixed trace ${pct(s.trace.allowedShare)} allowed`];
      if (s.realistic) {
        const t = s.realistic.trace;
        parts.push(
          `realistic trace ${pct(t.allowedShare)} allowed (${t.allowedConnections} allowed and ${t.deniedConnections} denied connections sampled from ${t.candidates} candidates the reference judged; ${s.realistic.verification.referenceSample} flows checked against the reference)`,
        );
      }
      const ratios = liveRatios(s, 'live');
      if (ratios) parts.push(`live image ÷ compiled: ${ratios}`);
      const compacted = liveRatios(s, 'live-compacted');
      if (compacted) parts.push(`live image (compacted) ÷ compiled: ${compacted}`);
      out.push(parts.join('; '));
    }
    out.push('');
    out.push(
      'Compile and memory (cold = a fresh node process per probe: the median, the spread and the count; load at the probes and the most cores others took during one; CPU ms over all threads of the median probe; peak RSS of that process, generation included; heap = retained by the dataplane after GC, explain provenance included; live image: new LiveDataplane(objects) as built, compacted: its image after LiveDataplane.compact() and the wall ms of that call)',
    );
    out.push(
      formatTable(
        [
          'scenario',
          'pods',
          'policies',
          'identities',
          'cold ms p50 [min–max]',
          'cold load (others)',
          'cold CPU ms',
          'peak RSS MiB',
          'in-process ms',
          'warm ms',
          'heap MiB',
          'image MiB',
          'live image MiB',
          'live build ms',
          'compacted MiB',
          'compaction ms',
          'trace flows',
          'allowed',
          'checked vs ref',
          'checksum',
        ],
        r.scenarios.map((s) => [
          s.id,
          String(s.size.pods),
          String(s.size.policies),
          String(s.compile.stats.identities),
          fmtCold(s.compile),
          fmtProbeLoad(s.compile.coldProbes),
          probeCpu(s.compile.coldProbes),
          s.compile.maxRssBytes === null || s.compile.maxRssBytes === undefined ? '–' : fmtMiB(s.compile.maxRssBytes),
          s.compile.firstInProcessMs.toFixed(1),
          s.compile.warmMs === null ? '–' : s.compile.warmMs.toFixed(1),
          fmtMiB(s.compile.heapRetainedBytes + s.compile.arrayBuffersRetainedBytes),
          fmtMiB(s.compile.imageBytes),
          s.live ? fmtMiB(s.live.imageBytes) : '–',
          s.live ? s.live.buildMs.toFixed(0) : '–',
          s.live?.compacted ? fmtMiB(s.live.compacted.imageBytes) : '–',
          s.live?.compacted ? s.live.compacted.ms.toFixed(0) : '–',
          String(s.trace.count),
          `${(s.trace.allowedShare * 100).toFixed(1)}%`,
          String(s.verification.referenceSample),
          s.trace.checksum,
        ]),
      ),
    );
  }
  for (const c of r.cidr) {
    out.push('');
    out.push(
      `CIDR: ${c.prefixes} IPv4 prefixes, ${c.addresses} addresses (${(c.hitShare * 100).toFixed(0)}% inside the set), netpol trie ${fmtBytes(c.lpmBytes)}; every matcher checked against a plain scan`,
    );
    out.push(
      formatTable(
        ['input', 'matcher', 'batch', 'M lookups/s [p5–p95]', 'ns/lookup', 'netpol ÷ this', 'build ms'],
        c.matchers.map((m) => [
          m.input,
          m.label,
          String(m.batch),
          fmtSpread(m.lookupsPerSecond),
          fmtNs(m.nsPerLookup),
          fmtX(m.netpolSpeedup),
          m.buildMs.toFixed(1),
        ]),
      ),
    );
  }
  for (const s of r.scaling) {
    out.push('');
    out.push(
      s.vary === 'policies'
        ? `Scaling: policies at ${s.fixed.pods} pods (compile ms: in the bench process; cold ms, heap and peak RSS: a fresh process; engines interleaved per point)`
        : s.vary === 'pods'
          ? `Scaling: pods at ${s.fixed.policies} policies`
          : 'Scaling: pods and policies together (cold ms: the median fresh process, [min–max] over the probes)',
    );
    out.push(
      formatTable(
        [
          'pods',
          'policies',
          'identities',
          'rows eg/in',
          'port classes',
          'compile ms',
          'cold ms',
          'heap MiB',
          'peak RSS MiB',
          'image MiB',
          'JS ns/verdict',
          'native ns/verdict',
          'reference ns/verdict',
          'load (others)',
        ],
        s.points.map((p) => [
          String(p.pods),
          String(p.policies),
          String(p.identities),
          `${p.egressRows}/${p.ingressRows}`,
          String(p.portClasses),
          p.compileMs.toFixed(1),
          p.coldCompileMs === null
            ? '–'
            : p.coldCompileRunsMs.length > 1
              ? `${p.coldCompileMs.toFixed(0)} [${Math.min(...p.coldCompileRunsMs).toFixed(0)}–${Math.max(...p.coldCompileRunsMs).toFixed(0)}]`
              : p.coldCompileMs.toFixed(1),
          fmtMiB(p.heapRetainedBytes),
          p.maxRssBytes === null ? '–' : fmtMiB(p.maxRssBytes),
          fmtMiB(p.imageBytes),
          fmtNs(p.nsPerVerdict.jsBatch),
          p.nsPerVerdict.native === null ? '–' : fmtNs(p.nsPerVerdict.native),
          fmtNs(p.nsPerVerdict.reference),
          fmtLoad(p.load),
        ]),
      ),
    );
    if (s.growth) {
      out.push(
        `growth ${s.growth.from} → ${s.growth.to} ${s.vary}: JS ${s.growth.jsBatch}×${s.growth.native === null ? '' : `, native ${s.growth.native}×`}, reference ${s.growth.reference}×`,
      );
    }
  }
  const packets = r.packets ?? [];
  if (packets.length > 0) {
    out.push('');
    out.push(
      'Packet path: raw IPv4 packets through PacketFilter.packetCode (parse, conntrack, verdict for new connections), one core; packets/s = calls/s × batch; the filter checked against verdictCode first',
    );
    const pct = (x: number): string => (x === 0 ? '0%' : x < 0.001 ? `${(x * 100).toPrecision(2)}%` : `${(x * 100).toFixed(1)}%`);
    out.push(
      formatTable(
        ['cluster', 'case', 'batch', 'M packets/s [p5–p95]', 'ns/packet', 'hits', 'misses', 'inserts', 'evictions', 'table'],
        packets.flatMap((p) =>
          p.cases.map((c, i) => [
            i === 0 ? `${p.id} (${p.size.pods} pods, ${p.size.policies} pol)` : '',
            c.label,
            String(c.batch),
            fmtSpread(c.packetsPerSecond),
            fmtNs(c.nsPerPacket),
            c.conntrack ? pct(c.conntrack.hits) : '–',
            c.conntrack ? pct(c.conntrack.misses) : '–',
            c.conntrack ? pct(c.conntrack.inserts) : '–',
            c.conntrack ? pct(c.conntrack.evictions) : '–',
            c.conntrack ? String(c.conntrack.maxEntries) : '–',
          ]),
        ),
      ),
    );
    for (const p of packets) {
      const t = p.trace;
      const share = (x: number): string => `${((x / t.count) * 100).toFixed(1)}%`;
      out.push(
        `${p.id}: ${t.count} packets (TCP ${share(t.protocols.tcp)}, UDP ${share(t.protocols.udp)}${t.protocols.sctp ? `, SCTP ${share(t.protocols.sctp)}` : ''}, ICMP ${share(t.protocols.icmp)}), ${(t.allowedShare * 100).toFixed(1)}% of the flows allowed; ${p.verification.judged} judged packets equal to verdictCode, ${p.verification.conntrackHits} conntrack hits`,
      );
    }
    out.push('hits/misses/inserts/evictions: per packet over the timed calls; table: the conntrack capacity (LRU beyond it)');
  }
  const updates = r.updates ?? [];
  if (updates.length > 0) {
    out.push('');
    out.push(renderUpdates(updates));
  }
  out.push('');
  out.push(
    `Targets (DESIGN.md and issue 17; target "report": a figure shown beside them, not a target)${r.mode === 'quick' ? ': quick run, short timings and a small L trace: indicative only' : ''}`,
  );
  out.push(
    formatTable(
      ['', 'what', 'target', 'measured', 'note'],
      r.targets.map((t) => [t.met === null ? '·' : t.met ? 'ok' : 'MISS', t.what, t.target, t.measured === null ? '–' : `${t.measured} ${t.unit}`, t.note]),
    ),
  );
  return out.join('\n');
}
