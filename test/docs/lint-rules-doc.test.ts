// docs/lint-rules.md runs as written: each group of indented `netpol lint ...` lines, run against
// the built CLI from the repository root, prints exactly the fenced block under it, and exits 1
// (every example shows findings at or above the default --fail-on warning).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { runConsoleCommand } from './console-sessions.js';

const root = join(import.meta.dirname, '../..');
const doc = readFileSync(join(root, 'docs/lint-rules.md'), 'utf8');

/** Each run of indented `netpol lint` lines and the fenced block that follows it. */
function examples(markdown: string): { commands: string[]; output: string[] }[] {
  const out: { commands: string[]; output: string[] }[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const commands: string[] = [];
    while (lines[i]?.startsWith('    netpol lint ')) commands.push(lines[i++]!.trim());
    if (commands.length === 0) continue;
    while (lines[i] === '') i++;
    if (lines[i] !== '```') throw new Error(`docs/lint-rules.md: no output block after ${commands.join('; ')}`);
    const end = lines.indexOf('```', i + 1);
    out.push({ commands, output: lines.slice(i + 1, end) });
    i = end;
  }
  return out;
}

const cases = examples(doc);

test('there is an example for each rule check', () => {
  expect(cases.length).toBeGreaterThanOrEqual(6);
  for (const id of ['egress-without-dns', 'rule-cross-product', 'shadowed-rule', 'policy-changes-nothing', 'ipblock-covers-pods', 'named-port-unresolved'])
    expect(
      cases.some((c) => c.output.some((l) => l.includes(` ${id}: `))),
      id,
    ).toBe(true);
});

test.each(cases.map((c) => [c.commands.join(' && '), c]))('%s', (_, { commands, output }) => {
  const runs = commands.map(runConsoleCommand);
  expect(runs.flatMap((r) => r.output)).toEqual(output);
  for (const r of runs) expect(r.status).toBe(1);
});
