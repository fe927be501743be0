/**
 * Reads JSON Lines flow records from a file or stdin, one at a time, and says what of a record
 * may be echoed back.
 *
 * Hostile input: a line is buffered only up to MAX_FLOW_LINE_BYTES (a longer one is skipped
 * to its newline and reported as an error, so a 1 GB line costs 1 MiB), and echoes carry only
 * the recognised fields as short scalars beside an error (never the caller's own `allowed` or
 * `ingress`), and never a structure deep enough to overflow JSON.stringify.
 */
import { createReadStream } from 'node:fs';
import { truncate } from '../load/issues.js';

/** Longest flow line read (bytes, newline excluded); a flow is about 100 bytes. */
export const MAX_FLOW_LINE_BYTES = 1 << 20;

export interface FlowLine {
  readonly line: number;
  /** The parsed JSON value, or undefined when the line is not JSON. */
  readonly record: unknown;
  readonly jsonError?: string;
}

export async function* readFlowLines(source: string, maxBytes = MAX_FLOW_LINE_BYTES): AsyncGenerator<FlowLine> {
  const input: AsyncIterable<Buffer> = source === '-' ? process.stdin : createReadStream(source);
  let parts: Buffer[] = [];
  let size = 0;
  let overlong = false;
  let n = 0;
  const take = (): FlowLine | undefined => {
    n++;
    const long = overlong;
    const text = long ? '' : Buffer.concat(parts, size).toString('utf8');
    parts = [];
    size = 0;
    overlong = false;
    if (long) return { line: n, record: undefined, jsonError: `line longer than ${maxBytes} bytes: not read` };
    if (text.trim() === '' || text.trimStart().startsWith('#')) return undefined;
    try {
      return { line: n, record: JSON.parse(text) };
    } catch (e) {
      return { line: n, record: undefined, jsonError: `not valid JSON: ${truncate((e as Error).message)}` };
    }
  };
  for await (const chunk of input) {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(10, start);
      const end = nl < 0 ? chunk.length : nl;
      if (!overlong) {
        if (size + end - start > maxBytes) {
          overlong = true;
          parts = [];
        } else {
          parts.push(chunk.subarray(start, end));
          size += end - start;
        }
      }
      if (nl < 0) break;
      const rec = take();
      if (rec) yield rec;
      start = nl + 1;
    }
  }
  if (size > 0 || overlong) {
    const rec = take();
    if (rec) yield rec;
  }
}

/** Deepest record echoed whole beside a verdict (JSON.stringify recurses; V8's stack ends near 10k). */
const MAX_ECHO_DEPTH = 64;

/** Whether a parsed JSON value nests at most `max` arrays/objects deep (iterative: any depth is safe). */
function depthAtMost(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, d] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (d >= max) return false;
    for (const x of Object.values(v)) stack.push([x, d + 1]);
  }
  return true;
}

/**
 * What a verdict line echoes of its (valid) flow record: the whole record, extra fields
 * included, when it nests at most MAX_ECHO_DEPTH deep; otherwise only the recognised fields.
 */
export function verdictEcho(record: unknown): object {
  return depthAtMost(record, MAX_ECHO_DEPTH) ? (record as object) : flowEcho(record);
}

/** The flow fields an output line may echo (what parseFlow reads). */
const FLOW_FIELDS = ['src', 'dst', 'protocol', 'port', 'icmpType', 'established'] as const;

/**
 * The recognised fields of a flow record, for echoing beside a verdict or an error: scalars
 * only (long strings cut), nothing else of the record.
 */
export function flowEcho(record: unknown): Record<string, string | number | boolean | null> {
  const echo: Record<string, string | number | boolean | null> = {};
  if (typeof record !== 'object' || record === null || Array.isArray(record)) return echo;
  for (const k of FLOW_FIELDS) {
    if (!Object.hasOwn(record, k)) continue;
    const v = (record as Record<string, unknown>)[k];
    if (typeof v === 'string') echo[k] = truncate(v);
    else if (typeof v === 'number' || typeof v === 'boolean' || v === null) echo[k] = v;
  }
  return echo;
}
