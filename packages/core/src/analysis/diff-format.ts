/**
 * Connectivity diffs as text: netpol-analyzer's `diff` formats (txt, csv, md, dot) line for
 * line, and json. Like netpol-analyzer, each format lists the changed pairs, then the added,
 * then the removed ones, each group sorted by its own line text, and prints nothing at all when
 * nothing changed (json prints a document with no changes).
 */
import type { ConnectionSet } from './connection-set.js';
import { connectionsText, csvField, goQuote } from './connlist-format.js';
import type { ChangeKind, ConnectionChange, DiffEndpoint } from './diff.js';

/** The diff formats. */
export type DiffFormat = 'txt' | 'json' | 'csv' | 'md' | 'dot';

/** The diff formats, txt first (the default). */
export const DIFF_FORMATS: readonly [DiffFormat, ...DiffFormat[]] = ['txt', 'json', 'csv', 'md', 'dot'];

/** Options of formatDiff. */
export interface DiffFormatOptions {
  /** The names of the two sides in headers and labels: netpol-analyzer's library says ref1 and ref2 (the defaults), its CLI dir1 and dir2. */
  readonly ref1?: string;
  readonly ref2?: string;
  /** Connection sets as netpol-analyzer prints them (TCP, UDP and SCTP only); see connectionsText. */
  readonly ignoreOtherProtocols?: boolean;
}

const NO_CONNECTIONS = 'No Connections';
const REPORTED: readonly ChangeKind[] = ['changed', 'added', 'removed'];
const byCodeUnit = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The fields of one change as every format prints them. */
interface Fields {
  readonly kind: ChangeKind;
  readonly src: string;
  readonly dst: string;
  readonly before: string;
  readonly after: string;
  /** `workload ns/a[Deployment] added`, `workload X and Y removed`, or ''. */
  readonly info: string;
}

function fields(c: ConnectionChange, opts: DiffFormatOptions): Fields {
  const text = (s: ConnectionSet | undefined): string => (s ? connectionsText(s, opts) : NO_CONNECTIONS);
  const named = [...(c.srcAddedOrRemoved ? [c.src.name] : []), ...(c.dstAddedOrRemoved ? [c.dst.name] : [])];
  const info = named.length > 0 ? `workload ${named.join(' and ')} ${c.kind}` : '';
  return { kind: c.kind, src: c.src.name, dst: c.dst.name, before: text(c.before), after: text(c.after), info };
}

/** Lines of the three reported groups, changed then added then removed, each sorted by its text. */
function grouped(all: readonly Fields[], line: (f: Fields) => string): string[] {
  return REPORTED.flatMap((kind) =>
    all
      .filter((f) => f.kind === kind)
      .map(line)
      .sort(byCodeUnit),
  );
}

const DOT_COLORS = { unchanged: 'grey', changed: 'magenta', removed: 'red2', added: '#008000' } as const;

/** The dot legend netpol-analyzer draws under every diff graph. */
function dotLegend(): string[] {
  const inv = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
  const edge = (s: string, d: string, label: string, color: string): string =>
    `\t\t${s} -> ${d} [label=${goQuote(label)}, color=${goQuote(color)} fontcolor=${goQuote(color)} fontsize = 10 arrowsize=0.2]`;
  const node = (n: string, label: string, color: string): string =>
    `\t\t${n} [label=${goQuote(label)} color=${goQuote(color)} fontcolor=${goQuote(color)} fontsize = 10]`;
  return [
    '\tnodesep=0.5',
    '\tsubgraph cluster_legend {',
    '\t\tlabel="Legend"',
    '\t\tfontsize = 10',
    '\t\tmargin=0',
    ...inv.map((n) => `\t\t${n} [style=invis height=0 width=0]`),
    '\t\t{rank=source a b c d}',
    '\t\t{rank=same e f g h}',
    edge('a', 'b', 'added connection', DOT_COLORS.added),
    edge('c', 'd', 'removed connection', DOT_COLORS.removed),
    edge('e', 'f', 'changed connection', DOT_COLORS.changed),
    edge('g', 'h', 'unchanged connection', DOT_COLORS.unchanged),
    node('np', 'new peer', '#008000'),
    node('lp', 'lost peer', 'red'),
    node('pp', 'persistent peer', 'blue'),
    '\t\t{rank=sink np lp pp}',
    '\t\tnp->lp [style=invis]',
    '\t\tlp->pp [style=invis]',
    '\t}',
  ];
}

/**
 * netpol-analyzer's diff graph: every endpoint of a listed pair as a node (in its namespace's
 * cluster; green when new, red when gone, blue otherwise), an edge per pair coloured by its
 * change (unchanged pairs grey: pass them, diffConnectivity's `unchanged` option), and the legend.
 */
function dotLines(changes: readonly ConnectionChange[], all: readonly Fields[], opts: DiffFormatOptions): string[] {
  const namespaces = new Map<string, string[]>();
  const externals: string[] = [];
  const seen = new Set<string>();
  const addNode = (e: DiffEndpoint, kind: ChangeKind, addedOrRemoved: boolean): void => {
    if (seen.has(e.name)) return;
    seen.add(e.name);
    const color = addedOrRemoved && kind === 'added' ? '#008000' : addedOrRemoved && kind === 'removed' ? 'red' : 'blue';
    const inNamespace = e.kind !== 'external' && e.namespace !== undefined;
    const label = inNamespace ? e.name.slice(e.name.indexOf('/') + 1) : e.name;
    const line = `\t${goQuote(e.name)} [label=${goQuote(label)} color=${goQuote(color)} fontcolor=${goQuote(color)}]`;
    if (!inNamespace) externals.push(line);
    else namespaces.set(e.namespace!, [...(namespaces.get(e.namespace!) ?? []), `\t${line}`]);
  };
  // Nodes take the colour of the first group that names them, in netpol-analyzer's order.
  for (const kind of ['unchanged', 'changed', 'added', 'removed'] as const) {
    for (const c of changes) {
      if (c.kind !== kind) continue;
      addNode(c.src, kind, c.srcAddedOrRemoved);
      addNode(c.dst, kind, c.dstAddedOrRemoved);
    }
  }
  const ref1 = opts.ref1 ?? 'ref1';
  const edges = all.map((f) => {
    const label = f.kind === 'changed' ? `${f.after} (${ref1}: ${f.before})` : f.kind === 'added' ? f.after : f.before;
    const color = DOT_COLORS[f.kind];
    return `\t${goQuote(f.src)} -> ${goQuote(f.dst)} [label=${goQuote(label)} color=${goQuote(color)} fontcolor=${goQuote(color)}]`;
  });
  const lines = ['digraph {'];
  for (const ns of [...namespaces.keys()].sort(byCodeUnit)) {
    lines.push(`\tsubgraph cluster_${ns.replace(/-/g, '_')} {`, ...namespaces.get(ns)!.sort(byCodeUnit), `\t\tlabel=${goQuote(ns)}`, '\t}');
  }
  lines.push(...externals.sort(byCodeUnit), ...edges.sort(byCodeUnit), ...dotLegend(), '}');
  return lines;
}

/**
 * The report's lines in `format`. txt: `Connectivity diff:` and a line per change
 * (`diff-type: changed, source: A, destination: B, ref1: TCP 80, ref2: TCP 80,443`, then
 * `, workloads-diff-info: workload B added` when an end is new or gone); csv and md: the same
 * columns; dot: a Graphviz digraph; json: `{ schemaVersion, ref1, ref2, changes: [{ diffType, src, dst,
 * before, after, workloadsDiffInfo? }] }` (before and after as txt prints them).
 * Nothing at all (json aside) when no pair changed.
 */
export function diffLines(changes: Iterable<ConnectionChange>, format: DiffFormat, opts: DiffFormatOptions = {}): string[] {
  const list = [...changes];
  const all = list.map((c) => fields(c, opts));
  const ref1 = opts.ref1 ?? 'ref1';
  const ref2 = opts.ref2 ?? 'ref2';
  const reported = all.filter((f) => f.kind !== 'unchanged');
  if (format === 'json') {
    const entry = (f: Fields): object => ({
      diffType: f.kind,
      src: f.src,
      dst: f.dst,
      before: f.before,
      after: f.after,
      ...(f.info && { workloadsDiffInfo: f.info }),
    });
    const ordered = REPORTED.flatMap((kind) => reported.filter((f) => f.kind === kind));
    return JSON.stringify({ schemaVersion: 1, ref1, ref2, changes: ordered.map(entry) }, null, 2).split('\n');
  }
  if (reported.length === 0) return [];
  switch (format) {
    case 'txt':
      return [
        'Connectivity diff:',
        ...grouped(
          reported,
          (f) =>
            `diff-type: ${f.kind}, source: ${f.src}, destination: ${f.dst}, ${ref1}: ${f.before}, ${ref2}: ${f.after}${f.info && `, workloads-diff-info: ${f.info}`}`,
        ),
      ];
    case 'csv':
      return [
        ['diff-type', 'source', 'destination', ref1, ref2, 'workloads-diff-info'].map(csvField).join(','),
        // netpol-analyzer sorts the rows as `;`-joined text before writing them as CSV.
        ...grouped(reported, (f) => [f.kind, f.src, f.dst, f.before, f.after, f.info].join(';')).map((row) => row.split(';').map(csvField).join(',')),
      ];
    case 'md':
      return [
        `| diff-type | source | destination | ${ref1} | ${ref2} | workloads-diff-info |`,
        '|-----------|--------|-------------|------|------|---------------------|',
        ...grouped(reported, (f) => `| ${f.kind} | ${f.src} | ${f.dst} | ${f.before} | ${f.after} | ${f.info} |`),
      ];
    case 'dot':
      return dotLines(list, all, opts);
  }
}

/** The whole report as one string: lines ending with a newline (dot, as netpol-analyzer writes it, without the last one); '' when nothing changed. */
export function formatDiff(changes: Iterable<ConnectionChange>, format: DiffFormat, opts: DiffFormatOptions = {}): string {
  const lines = diffLines(changes, format, opts);
  if (lines.length === 0) return '';
  return format === 'dot' ? lines.join('\n') : lines.map((l) => `${l}\n`).join('');
}
