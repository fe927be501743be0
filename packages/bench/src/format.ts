/** Text-table helpers shared by the bench reports (a leaf: the report modules import it, it imports only a type). */
import type { LoadFigures } from './machine-load.js';

/** Aligns rows of cells; numeric-looking cells are right-aligned. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [header, ...rows];
  const width = header.map((_, c) => Math.max(...all.map((r) => (r[c] ?? '').length)));
  const numeric = header.map(
    (_, c) => rows.length > 0 && rows.every((r) => /^[-+]?[\d.,]+(×|%| ms| MiB| KiB| ns)?( \[.*\])?$|^[–-]$/.test((r[c] ?? '').trim()) || (r[c] ?? '') === ''),
  );
  const line = (r: readonly string[]): string =>
    r
      .map((cell, c) => (numeric[c] ? cell.padStart(width[c]!) : cell.padEnd(width[c]!)))
      .join('  ')
      .trimEnd();
  return [line(header), width.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** A rate in millions a second, with more decimals the smaller it is (0.00123 M/s stays readable). */
export const fmtRate = (x: number): string =>
  x >= 1e7 ? (x / 1e6).toFixed(1) : x >= 1e6 ? (x / 1e6).toFixed(2) : x >= 1e4 ? (x / 1e6).toFixed(3) : (x / 1e6).toFixed(5);

/** The 1-minute load average's range over a measurement, and (in brackets) the cores other processes kept busy; – when not recorded. */
export const fmtLoad = (l: LoadFigures | undefined): string =>
  l === undefined
    ? '–'
    : `${l.min === l.max ? l.min.toFixed(2) : `${l.min.toFixed(2)}–${l.max.toFixed(2)}`}${l.foreignCores === null ? '' : ` (${l.foreignCores.toFixed(2)})`}`;
