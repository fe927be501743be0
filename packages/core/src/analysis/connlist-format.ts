/**
 * Connectivity reports as text: netpol-analyzer's `list` formats (txt, json, csv, md, dot),
 * line for line, as views over a stream of connections. Everything but dot is written as the
 * connections come; dot needs the whole graph (nodes before edges, both sorted).
 */
import { isAllConnections, isNoConnections, type ConnectionSet, type PortRange } from './connection-set.js';

/** The report formats. */
export type ConnlistFormat = 'txt' | 'json' | 'csv' | 'md' | 'dot';

/** The report formats, txt first (the default). */
export const CONNLIST_FORMATS: readonly [ConnlistFormat, ...ConnlistFormat[]] = ['txt', 'json', 'csv', 'md', 'dot'];

/** What a formatter needs of an endpoint. */
export interface FormattedEndpoint {
  /** `namespace/name[Kind]`, or an external block's `first-last[External]`. */
  readonly name: string;
  readonly kind: 'workload' | 'pod' | 'external';
  /** The namespace of a workload or pod endpoint. */
  readonly namespace?: string;
}

/** What a formatter needs of a connection. */
export interface FormattedConnection {
  readonly src: FormattedEndpoint;
  readonly dst: FormattedEndpoint;
  readonly conns: ConnectionSet;
}

/** Options of the formatters. */
export interface ConnlistFormatOptions {
  /**
   * netpol-analyzer's view: protocols without ports (ICMP...) are not part of a connection set,
   * so TCP, UDP and SCTP on every port print as `All Connections`. Default false: they print as
   * `All Connections` only when every other protocol is allowed too, and ` and other protocols`
   * is said when those are allowed beside some ports.
   */
  readonly ignoreOtherProtocols?: boolean;
  /** dot: endpoints drawn even when no connection touches them (netpol-analyzer draws every workload). */
  readonly endpoints?: Iterable<FormattedEndpoint>;
}

const rangeText = (r: PortRange): string => (r.start === r.end ? `${r.start}` : `${r.start}-${r.end}`);

/**
 * A connection set as netpol-analyzer prints it: `All Connections`, `No Connections`, or per
 * protocol (SCTP, TCP, UDP, in that order) its ranges, as in `TCP 80,8080-8090,UDP 53`.
 * Without ignoreOtherProtocols, `other protocols` is added last when protocols without ports are
 * allowed beside some ports (netpol-analyzer has no such notion).
 */
export function connectionsText(c: ConnectionSet, opts: ConnlistFormatOptions = {}): string {
  const ignoreOtherProtocols = opts.ignoreOtherProtocols === true;
  if (isAllConnections(c, { ignoreOtherProtocols })) return 'All Connections';
  if (isNoConnections(c, { ignoreOtherProtocols })) return 'No Connections';
  const parts = (
    [
      ['SCTP', c.sctp],
      ['TCP', c.tcp],
      ['UDP', c.udp],
    ] as const
  )
    .filter(([, ranges]) => ranges.length > 0)
    .map(([name, ranges]) => `${name} ${ranges.map(rangeText).join(',')}`);
  if (!ignoreOtherProtocols && c.otherProtocols) parts.push('other protocols');
  return parts.join(',');
}

/** A CSV field as Go's encoding/csv writes it: quoted when it holds a comma, a quote, a line break or leads with a space. */
export function csvField(s: string): string {
  return /[",\r\n]/.test(s) || s.startsWith(' ') ? `"${s.replace(/"/g, '""')}"` : s;
}

/** A string as Go's %q writes one (what netpol-analyzer's dot output uses for names and labels). */
export const goQuote = (s: string): string => JSON.stringify(s);

function dotGraph(conns: Iterable<FormattedConnection>, opts: ConnlistFormatOptions): string[] {
  const namespaces = new Map<string, Set<string>>();
  const externals = new Set<string>();
  const nodeLine = (e: FormattedEndpoint): string => {
    const label = e.kind === 'external' ? e.name : e.name.slice(e.name.indexOf('/') + 1);
    const color = e.kind === 'external' ? 'red2' : 'blue';
    return `\t${goQuote(e.name)} [label=${goQuote(label)} color=${goQuote(color)} fontcolor=${goQuote(color)}]`;
  };
  const addNode = (e: FormattedEndpoint): void => {
    if (e.kind === 'external' || e.namespace === undefined) externals.add(nodeLine(e));
    else {
      const lines = namespaces.get(e.namespace) ?? new Set<string>();
      lines.add(`\t${nodeLine(e)}`);
      namespaces.set(e.namespace, lines);
    }
  };
  for (const e of opts.endpoints ?? []) if (e.kind !== 'external') addNode(e);
  const edges: string[] = [];
  for (const c of conns) {
    addNode(c.src);
    addNode(c.dst);
    const label = connectionsText(c.conns, opts);
    edges.push(`\t${goQuote(c.src.name)} -> ${goQuote(c.dst.name)} [label=${goQuote(label)} color="gold2" fontcolor="darkgreen"]`);
  }
  const byCodeUnit = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
  const lines = ['digraph {'];
  for (const ns of [...namespaces.keys()].sort(byCodeUnit)) {
    lines.push(`\tsubgraph cluster_${ns.replace(/-/g, '_')} {`, ...[...namespaces.get(ns)!].sort(byCodeUnit), `\t\tlabel=${goQuote(ns)}`, '\t}');
  }
  lines.push(...[...externals].sort(byCodeUnit), ...edges.sort(byCodeUnit), '}');
  return lines;
}

/**
 * The report's lines, one at a time, in `format` (connections in the order given: connectivity()
 * yields them sorted as txt prints them). txt: `src => dst : conns`; csv: `src,dst,conn` and a
 * row per connection; md: a table; json: an array of `{src, dst, conn}`; dot: a Graphviz
 * digraph with a cluster per namespace (built whole before its first line).
 */
export function* connlistLines(conns: Iterable<FormattedConnection>, format: ConnlistFormat, opts: ConnlistFormatOptions = {}): Generator<string> {
  const text = (c: FormattedConnection): string => connectionsText(c.conns, opts);
  switch (format) {
    case 'txt':
      for (const c of conns) yield `${c.src.name} => ${c.dst.name} : ${text(c)}`;
      return;
    case 'csv':
      yield 'src,dst,conn';
      for (const c of conns) yield [c.src.name, c.dst.name, text(c)].map(csvField).join(',');
      return;
    case 'md':
      yield '| src | dst | conn |';
      yield '|-----|-----|------|';
      for (const c of conns) yield `| ${c.src.name} | ${c.dst.name} | ${text(c)} |`;
      return;
    case 'json': {
      let previous: string | undefined;
      for (const c of conns) {
        const entry = `  {\n    "src": ${JSON.stringify(c.src.name)},\n    "dst": ${JSON.stringify(c.dst.name)},\n    "conn": ${JSON.stringify(text(c))}\n  }`;
        if (previous === undefined) yield '[';
        else yield `${previous},`;
        previous = entry;
      }
      yield previous === undefined ? '[]' : `${previous}\n]`;
      return;
    }
    case 'dot':
      yield* dotGraph(conns, opts);
      return;
  }
}

/** The whole report as one string, lines joined by newlines, ending with one (dot, as netpol-analyzer writes it, does not). */
export function formatConnlist(conns: Iterable<FormattedConnection>, format: ConnlistFormat, opts: ConnlistFormatOptions = {}): string {
  const lines = [...connlistLines(conns, format, opts)];
  return format === 'dot' ? lines.join('\n') : lines.map((l) => `${l}\n`).join('');
}
