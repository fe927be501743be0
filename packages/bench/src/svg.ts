/**
 * A self-contained SVG chart of a results file (no dependencies, no scripts, no external
 * fonts), for the README: throughput by engine and scenario, the CIDR matchers, and the
 * scaling curves. Log scales throughout: the engines span five orders of magnitude.
 */
import type { BenchResults } from './results.js';

const W = 980;
const FONT = 'font-family="-apple-system,Segoe UI,Helvetica,Arial,sans-serif"';
const COLORS: Record<string, string> = {
  reference: '#9e9e9e',
  'js-single': '#90caf9',
  'js-batch': '#1e88e5',
  'native-batch': '#fb8c00',
  'live-js-batch': '#64b5f6',
  'live-native-batch': '#ffb74d',
  'live-compacted-js-batch': '#1565c0',
  'live-compacted-native-batch': '#e65100',
  netpol: '#1e88e5',
  peer: '#9e9e9e',
  builtin: '#bcaaa4',
};

const PACKET_LABELS: Record<string, string> = {
  parse: 'parse only',
  'misses-denied': 'new connections, denied',
  'misses-allowed': 'new connections, allowed (insert)',
  trace: 'the trace twice, fresh filter',
};
const PACKET_COLORS: Record<string, string> = {
  parse: '#90caf9',
  hits: '#1e88e5',
  'misses-denied': '#e53935',
  'misses-allowed': '#43a047',
  trace: '#8e24aa',
};

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const text = (x: number, y: number, s: string, attrs = ''): string => `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${attrs}>${esc(s)}</text>`;

const SI = (x: number): string => {
  const units: [number, string][] = [
    [1e9, 'G'],
    [1e6, 'M'],
    [1e3, 'k'],
  ];
  for (const [v, u] of units) if (x >= v) return `${+(x / v).toPrecision(3)}${u}`;
  return `${+x.toPrecision(3)}`;
};

interface LogScale {
  (v: number): number;
  readonly lo: number;
  readonly hi: number;
}

function logScale(lo: number, hi: number, a: number, b: number): LogScale {
  const l0 = Math.log10(lo);
  const l1 = Math.log10(hi);
  const f = ((v: number) => a + ((Math.log10(Math.max(v, lo)) - l0) / (l1 - l0)) * (b - a)) as LogScale;
  return Object.assign(f, { lo, hi });
}

/** Decade bounds around the data. */
function decades(values: readonly number[]): [number, number] {
  const ok = values.filter((v) => v > 0 && Number.isFinite(v));
  if (ok.length === 0) return [1, 10];
  const lo = 10 ** Math.floor(Math.log10(Math.min(...ok)) + 1e-9);
  const hi = 10 ** Math.ceil(Math.log10(Math.max(...ok)) - 1e-9);
  return [lo, hi > lo ? hi : lo * 10];
}

interface Bar {
  readonly label: string;
  readonly value: number;
  readonly min?: number;
  readonly max?: number;
  readonly color: string;
  readonly note?: string;
}
interface BarGroup {
  readonly title: string;
  readonly bars: readonly Bar[];
}

/** Horizontal bars on a log axis, in titled groups. Returns the SVG fragment and its height. */
function barChart(y0: number, title: string, unit: string, groups: readonly BarGroup[]): { svg: string; height: number } {
  const left = 250;
  const right = W - 110;
  const [lo, hi] = decades(groups.flatMap((g) => g.bars.flatMap((b) => [b.value, b.min ?? b.value])));
  const x = logScale(lo, hi, left, right);
  const parts: string[] = [];
  let y = y0;
  parts.push(text(20, y + 16, title, `font-size="16" font-weight="600" fill="#212121"`));
  y += 30;
  const top = y;
  const barH = 13;
  for (const g of groups) {
    y += 4;
    parts.push(text(20, y + 11, g.title, `font-size="12" font-weight="600" fill="#424242"`));
    y += 16;
    for (const b of g.bars) {
      parts.push(text(left - 8, y + barH - 3, b.label, `font-size="11" text-anchor="end" fill="#424242"`));
      parts.push(`<rect x="${left}" y="${y}" width="${Math.max(1, x(b.value) - left).toFixed(1)}" height="${barH}" fill="${b.color}" rx="2"/>`);
      if (b.min !== undefined && b.max !== undefined) {
        parts.push(
          `<line x1="${x(b.min).toFixed(1)}" x2="${x(b.max).toFixed(1)}" y1="${y + barH / 2}" y2="${y + barH / 2}" stroke="#424242" stroke-width="1" opacity="0.55"/>`,
        );
      }
      parts.push(text(x(b.value) + 5, y + barH - 3, `${SI(b.value)}${unit}${b.note ? `  ${b.note}` : ''}`, `font-size="10.5" fill="#212121"`));
      y += barH + 3;
    }
  }
  const bottom = y + 4;
  // Decade grid lines and labels.
  const grid: string[] = [];
  for (let v = lo; v <= hi * 1.0001; v *= 10) {
    grid.push(`<line x1="${x(v).toFixed(1)}" x2="${x(v).toFixed(1)}" y1="${top}" y2="${bottom}" stroke="#e0e0e0"/>`);
    grid.push(text(x(v), bottom + 13, SI(v), `font-size="10" text-anchor="middle" fill="#757575"`));
  }
  return { svg: [...grid, ...parts].join('\n'), height: bottom + 24 - y0 };
}

interface Series {
  readonly name: string;
  readonly color: string;
  readonly points: readonly { readonly x: number; readonly y: number; readonly label?: string }[];
  readonly dashed?: boolean;
}

/** A log-log line chart in the box (x0, y0, w, h). */
function lineChart(x0: number, y0: number, w: number, h: number, title: string, xLabel: string, yLabel: string, series: readonly Series[]): string {
  const pts = series.flatMap((s) => s.points);
  if (pts.length === 0) return '';
  const [xlo, xhi] = decades(pts.map((p) => p.x));
  const [ylo, yhi] = decades(pts.map((p) => p.y));
  const L = x0 + 52;
  const R = x0 + w - 10;
  const T = y0 + 40;
  const B = y0 + h - 34;
  const sx = logScale(xlo, xhi, L, R);
  const sy = logScale(ylo, yhi, B, T);
  const parts: string[] = [text(x0 + 4, y0 + 14, title, `font-size="13" font-weight="600" fill="#212121"`)];
  for (let v = xlo; v <= xhi * 1.0001; v *= 10) {
    parts.push(`<line x1="${sx(v).toFixed(1)}" x2="${sx(v).toFixed(1)}" y1="${T}" y2="${B}" stroke="#eeeeee"/>`);
    parts.push(text(sx(v), B + 13, SI(v), `font-size="10" text-anchor="middle" fill="#757575"`));
  }
  for (let v = ylo; v <= yhi * 1.0001; v *= 10) {
    parts.push(`<line x1="${L}" x2="${R}" y1="${sy(v).toFixed(1)}" y2="${sy(v).toFixed(1)}" stroke="#eeeeee"/>`);
    parts.push(text(L - 5, sy(v) + 3, SI(v), `font-size="10" text-anchor="end" fill="#757575"`));
  }
  parts.push(`<rect x="${L}" y="${T}" width="${R - L}" height="${B - T}" fill="none" stroke="#bdbdbd"/>`);
  parts.push(text((L + R) / 2, B + 27, xLabel, `font-size="11" text-anchor="middle" fill="#616161"`));
  parts.push(text(x0 + 12, (T + B) / 2, yLabel, `font-size="11" text-anchor="middle" fill="#616161" transform="rotate(-90 ${x0 + 12} ${(T + B) / 2})"`));
  // Legend in the title row, right-aligned.
  const shown = series.filter((s) => s.points.length > 0);
  let lx = L + (R - L) / 2 - shown.reduce((a, s) => a + 30 + s.name.length * 6.2, 0) / 2;
  const ly = y0 + 31;
  for (const s of series) {
    if (s.points.length === 0) continue;
    const d = s.points.map((p, i) => `${i ? 'L' : 'M'}${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join(' ');
    parts.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5 3"' : ''}/>`);
    for (const p of s.points) {
      parts.push(`<circle cx="${sx(p.x).toFixed(1)}" cy="${sy(p.y).toFixed(1)}" r="3" fill="${s.color}"/>`);
      if (p.label) {
        const nearRight = sx(p.x) > R - 60;
        parts.push(text(sx(p.x) + (nearRight ? -5 : 5), sy(p.y) - 6, p.label, `font-size="9.5" fill="#616161"${nearRight ? ' text-anchor="end"' : ''}`));
      }
    }
    parts.push(
      `<line x1="${lx.toFixed(1)}" x2="${(lx + 16).toFixed(1)}" y1="${ly - 4}" y2="${ly - 4}" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5 3"' : ''}/>`,
    );
    parts.push(text(lx + 20, ly, s.name, `font-size="10.5" fill="#424242"`));
    lx += 30 + s.name.length * 6.2;
  }
  return parts.join('\n');
}

export function renderSvg(r: BenchResults): string {
  const body: string[] = [];
  let y = 16;
  const env = r.environment;
  body.push(text(20, y + 14, `netpol benchmarks (${r.mode} run, ${r.startedAt.slice(0, 10)})`, `font-size="19" font-weight="700" fill="#212121"`));
  body.push(
    text(
      20,
      y + 34,
      `Node ${env.node} · ${env.cpuModel} · native kernel ${env.nativeLoaded ? 'loaded' : 'not loaded'} · one core · log scales · whiskers: p5–p95 over samples`,
      `font-size="11.5" fill="#616161"`,
    ),
  );
  y += 52;

  const engines =
    r.scenarios.length === 0
      ? { svg: '', height: -10 }
      : barChart(
          y,
          'Verdicts per second by engine and scenario',
          '/s',
          r.scenarios
            .flatMap((s) => [
              {
                title: `${s.id}: ${s.size.pods.toLocaleString('en-US')} pods, ${s.size.policies.toLocaleString('en-US')} policies, IPv${s.trace.family} mixed trace (${(s.trace.allowedShare * 100).toFixed(0)}% allowed)`,
                engines: s.engines,
              },
              ...(s.realistic
                ? [{ title: `${s.id}: realistic trace (${(s.realistic.trace.allowedShare * 100).toFixed(0)}% allowed)`, engines: s.realistic.engines }]
                : []),
            ])
            .map((s) => ({
              title: s.title,
              // Batches below 256 are in the table and the JSON; the chart keeps to the headline sizes.
              bars: s.engines
                .filter((e) => (e.kind !== 'js-batch' && e.kind !== 'native-batch') || e.batch >= 256)
                .map((e) => ({
                  label: e.kind === 'reference' || e.kind === 'js-single' ? e.label : `${e.label.replace(/ \(batch \d+\)$/, '')}, batch ${e.batch}`,
                  value: e.verdictsPerSecond.median,
                  min: e.verdictsPerSecond.p5,
                  max: e.verdictsPerSecond.p95,
                  color: COLORS[e.kind] ?? '#757575',
                  ...(e.ratioToReference !== null && e.kind !== 'reference' && { note: `${Math.round(e.ratioToReference).toLocaleString('en-US')}× ref` }),
                })),
            })),
        );
  body.push(engines.svg);
  y += engines.height + 10;

  if (r.cidr.length > 0) {
    const cidr = barChart(
      y,
      'CIDR lookups per second: netpol LPM vs npm matchers (same prefixes, same addresses)',
      '/s',
      r.cidr.flatMap((c) =>
        (['numeric', 'string'] as const).map((input) => ({
          title: `${c.prefixes.toLocaleString('en-US')} prefixes, ${input} input`,
          bars: c.matchers
            .filter((m) => m.input === input)
            .map((m) => ({
              label: m.label,
              value: m.lookupsPerSecond.median,
              min: m.lookupsPerSecond.p5,
              max: m.lookupsPerSecond.p95,
              color: m.id === 'netpol-lpm' ? COLORS['netpol']! : m.npm ? COLORS['peer']! : COLORS['builtin']!,
              ...(m.netpolSpeedup !== null && m.id !== 'netpol-lpm' && { note: `netpol ${Math.round(m.netpolSpeedup).toLocaleString('en-US')}× faster` }),
            })),
        })),
      ),
    );
    body.push(cidr.svg);
    y += cidr.height + 10;
  }

  const packets = r.packets ?? [];
  if (packets.length > 0) {
    const chart = barChart(
      y,
      'Packet path: packets per second (parse, conntrack, verdict for new connections)',
      '/s',
      packets.map((p) => ({
        title: `${p.id}: ${p.size.pods.toLocaleString('en-US')} pods, ${p.size.policies.toLocaleString('en-US')} policies, raw IPv4 packets`,
        bars: p.cases.map((c) => ({
          label: c.kind === 'hits' ? `conntrack hits, ${c.flows.toLocaleString('en-US')} connections` : (PACKET_LABELS[c.kind] ?? c.label),
          value: c.packetsPerSecond.median,
          min: c.packetsPerSecond.p5,
          max: c.packetsPerSecond.p95,
          color: PACKET_COLORS[c.kind] ?? '#757575',
          note: `${Math.round(c.nsPerPacket)} ns/packet`,
        })),
      })),
    );
    body.push(chart.svg);
    y += chart.height + 10;
  }

  const pol = r.scaling.find((s) => s.vary === 'policies');
  const pods = r.scaling.find((s) => s.vary === 'pods');
  if (pol || pods) {
    body.push(text(20, y + 16, 'Scaling: verdict cost, compile time and memory', `font-size="16" font-weight="600" fill="#212121"`));
    y += 26;
    const half = (W - 40) / 2;
    const cost = (s: typeof pol, xOf: (p: (typeof s & {})['points'][number]) => number): Series[] =>
      s
        ? [
            { name: 'JS batch', color: COLORS['js-batch']!, points: s.points.map((p) => ({ x: xOf(p), y: p.nsPerVerdict.jsBatch })) },
            {
              name: 'native batch',
              color: COLORS['native-batch']!,
              points: s.points.filter((p) => p.nsPerVerdict.native !== null).map((p) => ({ x: xOf(p), y: p.nsPerVerdict.native! })),
            },
            { name: 'reference', color: COLORS['reference']!, points: s.points.map((p) => ({ x: xOf(p), y: p.nsPerVerdict.reference })) },
          ]
        : [];
    const build = (s: typeof pol, xOf: (p: (typeof s & {})['points'][number]) => number): Series[] =>
      s
        ? [
            { name: 'compile ms', color: '#43a047', points: s.points.map((p) => ({ x: xOf(p), y: p.compileMs })) },
            {
              name: 'heap+image MiB',
              color: '#8e24aa',
              dashed: true,
              points: s.points.map((p) => ({
                x: xOf(p),
                y: (p.heapRetainedBytes + p.imageBytes) / 2 ** 20,
                label: `image ${(p.imageBytes / 2 ** 20).toFixed(1)}`,
              })),
            },
          ]
        : [];
    if (pol)
      body.push(
        lineChart(
          20,
          y,
          half,
          250,
          `ns per verdict vs policies (${pol.fixed.pods?.toLocaleString('en-US')} pods)`,
          'policies',
          'ns / verdict',
          cost(pol, (p) => p.policies),
        ),
      );
    if (pods)
      body.push(
        lineChart(
          20 + half,
          y,
          half,
          250,
          `ns per verdict vs pods (${pods.fixed.policies?.toLocaleString('en-US')} policies)`,
          'pods',
          'ns / verdict',
          cost(pods, (p) => p.pods),
        ),
      );
    y += 260;
    if (pol)
      body.push(
        lineChart(
          20,
          y,
          half,
          250,
          'compile ms and memory MiB vs policies',
          'policies',
          'ms · MiB',
          build(pol, (p) => p.policies),
        ),
      );
    if (pods)
      body.push(
        lineChart(
          20 + half,
          y,
          half,
          250,
          'compile ms and memory MiB vs pods',
          'pods',
          'ms · MiB',
          build(pods, (p) => p.pods),
        ),
      );
    y += 260;
  }
  const height = Math.ceil(y + 10);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${height}" viewBox="0 0 ${W} ${height}" ${FONT}>`,
    `<title>netpol benchmarks</title>`,
    `<rect width="${W}" height="${height}" fill="#ffffff"/>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}
