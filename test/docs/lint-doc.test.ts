// docs/lint.md runs as written: every `$ netpol lint ...` of its ```console blocks prints exactly
// the lines under it, with exit 1 when a finding reaches the default --fail-on warning (0
// otherwise); its library example prints what its comments say and type-checks; its table of
// checks is LINT_CHECKS (id, severity, title), each linked to the doc that has its section; the
// code-scanning workflow uploads the SARIF that lint writes.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { LINT_CHECKS, readText } from '@netpol/core';
import { runReadmeExample } from '../helpers.js';
import { consoleSessions, runConsoleCommand } from './console-sessions.js';
import { codeBlocks, typecheckBlocks } from './typecheck-blocks.js';

const root = join(import.meta.dirname, '../..');
const doc = readFileSync(join(root, 'docs/lint.md'), 'utf8');
const sessions = consoleSessions(doc);

test('there is a console example for each policy check', () => {
  for (const id of [
    'policy-selects-no-pods',
    'peer-matches-nothing',
    'ports-without-peers',
    'allow-all-pods-policy',
    'policy-types-missing-direction',
    'meaningless-policy-name',
  ])
    expect(
      sessions.some((s) => s.output.some((l) => l.includes(` ${id}: `))),
      id,
    ).toBe(true);
});

test.each(sessions.map((s) => [s.command, s]))('$ %s', (_, { command, output }) => {
  const r = runConsoleCommand(command);
  expect(r.output).toEqual(output);
  expect(r.status).toBe(output.some((l) => /^\S+:\d+: (error|warning) /.test(l)) ? 1 : 0);
});

test('the library example prints what its comments say and type-checks', () => {
  const { printed, expected } = runReadmeExample('## Library', 'docs/lint.md');
  expect(printed).toEqual(expected.map((l) => l.replace(/\s+/g, ' ')));
  expect(printed).toHaveLength(5);
  expect(typecheckBlocks(codeBlocks(doc, 'ts'), 'docs/lint.md')).toEqual([]);
});

test('the table of checks is every check, with its severity and title, linked to its section', () => {
  const table = doc.slice(doc.indexOf('## Checks'));
  const rows = [...table.matchAll(/^\| `([a-z0-9-]+)` \| (\w+) \| (.+?) \| \[[^\]]+\]\(([^)]+)\) \|$/gm)];
  expect(rows.map((m) => [m[1], m[2], m[3]])).toEqual(LINT_CHECKS.map((c) => [c.id, c.severity, c.title]));
  for (const [, id, , , link] of rows) {
    const [file, anchor] = link!.split('#');
    const section = file ? readFileSync(join(root, 'docs', file), 'utf8') : doc;
    expect(section, `${id} in ${link}`).toMatch(new RegExp(`^#+ .*\`${id}\``, 'm'));
    if (anchor) expect(anchor).toBe(id);
  }
});

test('the code-scanning workflow writes SARIF with netpol lint and uploads it with upload-sarif', () => {
  // readText reads any YAML mapping (netpol's own reader, as failsafe strings).
  const workflow = readText(codeBlocks(doc, 'yaml').find((b) => b.code.includes('upload-sarif'))!.code, 'workflow.yaml').objects[0]!.value as {
    jobs: Record<string, { steps: { uses?: string; run?: string; with?: Record<string, string> }[] }>;
  };
  const steps = Object.values(workflow.jobs)[0]!.steps;
  const lint = steps.find((s) => s.run?.includes('netpol lint'))!;
  expect(lint.run).toMatch(/-o sarif --fail-on none > (\S+)$/);
  const upload = steps.find((s) => s.uses?.startsWith('github/codeql-action/upload-sarif@'))!;
  expect(lint.run!.endsWith(`> ${upload.with!['sarif_file']}`)).toBe(true);
});
