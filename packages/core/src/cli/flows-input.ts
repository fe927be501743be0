/** Reads JSON Lines flow records from a file or stdin, one at a time. */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';

export interface FlowLine {
  readonly line: number;
  /** The parsed JSON value, or undefined when the line is not JSON. */
  readonly record: unknown;
  readonly jsonError?: string;
}

export async function* readFlowLines(source: string): AsyncGenerator<FlowLine> {
  const input = source === '-' ? process.stdin : createReadStream(source, 'utf8');
  const lines = createInterface({ input, crlfDelay: Infinity });
  let n = 0;
  for await (const text of lines) {
    n++;
    if (text.trim() === '' || text.trimStart().startsWith('#')) continue;
    try {
      yield { line: n, record: JSON.parse(text) };
    } catch (e) {
      yield { line: n, record: undefined, jsonError: `not valid JSON: ${(e as Error).message}` };
    }
  }
}
