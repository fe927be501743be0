/**
 * Truth tables as cyclonus prints its probe results (the table layout of the tablewriter Go
 * package it uses): `+---+` borders, a header row with the column names in upper case and
 * centred, then one row per source, cells left-aligned with one space of padding, `.` for
 * allowed and `X` for blocked. The corner cell names the protocol/port, as cyclonus's
 * multi-port tables do. netpol adds `-` for a pair that is no flow (two external addresses,
 * or no address family in common), which cyclonus's pod-only tables never need.
 */
import type { TestVectorCase } from './test-vectors.js';

/** One table: `corner` in the top-left cell, `rows` down the left, `columns` across, `cell(i, j)` inside. */
export function cyclonusTable(corner: string, rows: readonly string[], columns: readonly string[], cell: (row: number, column: number) => string): string[] {
  const header = [corner, ...columns].map((h) => h.toUpperCase());
  const body = rows.map((r, i) => [r, ...columns.map((_, j) => cell(i, j))]);
  const widths = header.map((h, k) => Math.max(h.length, ...body.map((line) => line[k]!.length)));
  const border = `+${widths.map((w) => '-'.repeat(w + 2)).join('+')}+`;
  // tablewriter centres a header, the odd space going right.
  const centre = (s: string, w: number): string => {
    const gap = w - s.length;
    return ' '.repeat(Math.floor(gap / 2)) + s + ' '.repeat(gap - Math.floor(gap / 2));
  };
  const line = (cells: readonly string[], pad: (s: string, w: number) => string): string => `| ${cells.map((c, k) => pad(c, widths[k]!)).join(' | ')} |`;
  return [border, line(header, centre), border, ...body.map((cells) => line(cells, (s, w) => s.padEnd(w))), border];
}

/** The legend truth-table.txt starts with. */
export const TRUTH_TABLE_LEGEND = '# expected connectivity per protocol/port (rows: from, columns: to): . allowed, X blocked, - not a flow';

/**
 * truth-table.txt of a case: the legend, then one cyclonus-style table per protocol/port (in
 * the case's order), rows and columns the pods then the external addresses, each cell the
 * verdict of the flow from the row to the column.
 */
export function truthTableText(c: TestVectorCase): string {
  const ends = [...c.pods, ...c.externals];
  const verdicts = new Map(c.flows.map((f) => [`${f.protocol}/${f.port ?? ''} ${f.src} ${f.dst}`, f.allowed]));
  const out = [TRUTH_TABLE_LEGEND];
  for (const port of c.ports) {
    const key = port.includes('/') ? port : `${port}/`;
    out.push(
      '',
      ...cyclonusTable(port, ends, ends, (i, j) => {
        const v = verdicts.get(`${key} ${ends[i]} ${ends[j]}`);
        return v === undefined ? '-' : v ? '.' : 'X';
      }),
    );
  }
  return `${out.join('\n')}\n`;
}
