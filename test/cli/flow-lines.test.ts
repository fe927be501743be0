// Flow lines under hostile input (verdict/explain --flows): no line crashes the run or stops
// the others, an error line echoes only the recognised fields (never a verdict-like field the
// caller wrote), echoed values are short, and an overlong line is skipped, not buffered.
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { readFlowLines } from '../../packages/core/src/cli/flows-input.js';
import { runCli, scratchFile } from '../helpers.js';

const repo = join(import.meta.dirname, '../..');
const ex = (p: string) => join(repo, 'examples', p);
const POLICIES = ['-f', ex('production-db/cluster.yaml'), '-f', ex('production-db/and')];
const GOOD = '{"src": "production/backend", "dst": "production/db", "port": 5432}';
const VERDICT_FIELDS = ['allowed', 'egress', 'ingress', 'state', 'direction', 'policies'];

const tmpFile = (text: string): string => scratchFile('flows.jsonl', text);

async function cli(...args: string[]) {
  const { code, out, err } = await runCli(...args);
  return { code, lines: out.map((l) => JSON.parse(l) as Record<string, unknown>), err };
}

describe('verdict --flows under hostile lines', () => {
  test('a line nested 100,000 deep is an error for that line; the next one is still judged', async () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    const r = await cli('verdict', ...POLICIES, '--flows', tmpFile(`${deep}\n${GOOD}\n`));
    expect(r.code).toBe(2);
    expect(r.lines).toHaveLength(2);
    expect(r.lines[0]).toEqual({ line: 1, error: 'a flow must be a JSON object' });
    expect(r.lines[1]).toMatchObject({ allowed: true, ingress: 'allowed' });
  });

  test('a valid flow with a deeply nested extra field is judged; the deep field is not echoed', async () => {
    const deep = '{"src": "production/backend", "dst": "production/db", "port": 5432, "x": ' + '['.repeat(50_000) + ']'.repeat(50_000) + ', "note": "kept"}';
    const r = await cli('verdict', ...POLICIES, '--flows', tmpFile(`${deep}\n${GOOD}\n`));
    expect(r.code).toBe(0);
    expect(r.lines[0]).toEqual({ src: 'production/backend', dst: 'production/db', port: 5432, allowed: true, egress: 'not-isolated', ingress: 'allowed' });
    expect(r.lines).toHaveLength(2);
  });

  test("an invalid line echoes no verdict-like field of the caller's, only the recognised fields", async () => {
    const bad =
      '{"src": "production/backend", "dst": "010.0.0.1", "port": 5432, "allowed": true, "egress": "allowed", "ingress": "allowed", "state": "established", "direction": "none", "policies": [], "extra": 1}';
    const r = await cli('verdict', ...POLICIES, '--flows', tmpFile(`${bad}\n${GOOD}\n`));
    expect(r.code).toBe(2);
    expect(r.lines[0]).toEqual({
      line: 1,
      src: 'production/backend',
      dst: '010.0.0.1',
      port: 5432,
      error: '"dst": "010.0.0.1" is neither an IP address nor "namespace/pod"',
    });
    for (const f of VERDICT_FIELDS) expect(r.lines[0]).not.toHaveProperty(f);
    expect(r.lines[1]).toMatchObject({ allowed: true });
  });

  test('echoed values and messages are cut short', async () => {
    const long = 'x'.repeat(100_000);
    const r = await cli(
      'verdict',
      ...POLICIES,
      '--flows',
      tmpFile(`{"src": "${long}", "dst": "production/db", "port": {"a": 1}}\n{"src": "production/${long}", "dst": "production/db", "port": 1}\n`),
    );
    expect(r.code).toBe(2);
    expect(r.lines).toHaveLength(2);
    for (const l of r.lines) expect(JSON.stringify(l).length).toBeLessThan(1000);
    expect(r.lines[0]).not.toHaveProperty('port'); // not a scalar: not echoed
    for (const e of r.err) expect(e.length).toBeLessThan(1000);
  });

  test('a line longer than the limit is an error for that line, read no further; the rest go on', async () => {
    const huge = `{"src": "${'y'.repeat(3 << 20)}"}`;
    const r = await cli('verdict', ...POLICIES, '--flows', tmpFile(`${GOOD}\n${huge}\n${GOOD}`));
    expect(r.code).toBe(2);
    expect(r.lines.map((l) => l['allowed'] ?? l['error'])).toEqual([true, `line longer than ${1 << 20} bytes: not read`, true]);
    expect(r.lines[1]).toEqual({ line: 2, error: `line longer than ${1 << 20} bytes: not read` });
  });

  test('explain --flows: a deep line and an overlong one are reported; the others are explained', async () => {
    const deep = '{"a": ' + '['.repeat(100_000) + ']'.repeat(100_000) + '}';
    const r = await cli('explain', ...POLICIES, '-o', 'json', '--flows', tmpFile(`${deep}\n${'z'.repeat(2 << 20)}\n${GOOD}\n`));
    expect(r.code).toBe(2);
    expect(r.lines).toHaveLength(1);
    expect(r.lines[0]).toMatchObject({ allowed: true });
    expect(r.err).toHaveLength(2);
    expect(r.err[1]).toContain(`line 2: line longer than ${1 << 20} bytes: not read`);
  });
});

describe('readFlowLines', () => {
  async function read(text: string, max: number) {
    const out = [];
    for await (const l of readFlowLines(tmpFile(text), max)) out.push(l);
    return out;
  }

  test('buffers at most the limit: longer lines are errors, the line count stays right, CRLF and a last line without newline are read', async () => {
    const lines = await read(`{"a":1}\r\n${'w'.repeat(500)}\n\n# comment\n{"b":2}`, 64);
    expect(lines).toEqual([
      { line: 1, record: { a: 1 } },
      { line: 2, record: undefined, jsonError: 'line longer than 64 bytes: not read' },
      { line: 5, record: { b: 2 } },
    ]);
  });

  test('a line exactly at the limit is read', async () => {
    const text = `"${'v'.repeat(62)}"`;
    expect(await read(`${text}\n`, 64)).toEqual([{ line: 1, record: 'v'.repeat(62) }]);
    expect(await read(`${text}x\n`, 64)).toEqual([{ line: 1, record: undefined, jsonError: 'line longer than 64 bytes: not read' }]);
  });
});
