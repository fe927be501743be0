// `netpol lint`: text, json and sarif output, --fail-on exit codes, --disable/--enable-only,
// --list, per-file -n, and bad input (exit 2 with every issue, no finding). In-process through
// runCli; one spawn of the built binary checks the exit status a CI step sees.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { LINT_CHECKS } from '@netpol/core';
import { runCli, scratchFile } from '../helpers.js';

const repo = join(import.meta.dirname, '../..');
const bin = join(repo, 'packages/core/dist/cli/main.js');

/** Triggers ports-without-peers (warning, line 9) and meaningless-policy-name (info, line 4). */
const POLICIES = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: policy1
  namespace: shop
spec:
  podSelector: {}
  ingress:
  - ports:
    - port: 80
`;
const file = scratchFile('policies.yaml', POLICIES);

describe('netpol lint', () => {
  test('text: file:line: severity id: object path: message, the fix indented, a summary; exit 1 at the default --fail-on warning', async () => {
    const r = await runCli('lint', '-f', file);
    expect(r.code).toBe(1);
    expect(r.out).toEqual([
      `${file}:4: info meaningless-policy-name: NetworkPolicy shop/policy1 metadata.name: the name policy1 says nothing about what the policy does: explanations, denials and kubectl get show only the name\n  fix: name it for whom and what it allows or denies, e.g. allow-frontend-to-api or default-deny-egress`,
      `${file}:9: warning ports-without-peers: NetworkPolicy shop/policy1 spec.ingress[0].ports: ingress rule 0 lists ports but no from: any source, in the cluster or outside it, may reach the selected pods on TCP 80\n  fix: add from: with the pods, namespaces or ipBlocks meant (an explicit ipBlock 0.0.0.0/0 if any address is meant)`,
      '2 findings (0 errors, 1 warning, 1 info)',
    ]);
    // Loading's warning (namespace shop not in the input) is on stderr.
    expect(r.err.join('\n')).toContain('warning: Namespace shop: namespace shop is used by NetworkPolicy shop/policy1 but not in the input');
  });

  test.each([
    ['error', 0],
    ['warning', 1],
    ['info', 1],
    ['none', 0],
  ])('--fail-on %s: exit %i', async (level, code) => {
    expect((await runCli('lint', '-f', file, '--fail-on', level)).code).toBe(code);
  });

  test('--disable and --enable-only (repeatable, comma-separated) choose checks; below --fail-on alone exits 0', async () => {
    expect((await runCli('lint', '-f', file, '--disable', 'ports-without-peers')).code).toBe(0);
    const only = await runCli('lint', '-f', file, '--enable-only', 'policy-selects-no-pods,ports-without-peers');
    expect(only.out.map((l) => l.split(': ')[1])).toEqual(['warning ports-without-peers', undefined]);
    const none = await runCli('lint', '-f', file, '--enable-only', 'meaningless-policy-name', '--disable', 'meaningless-policy-name');
    expect([none.code, none.out]).toEqual([0, ['no findings']]);
  });

  test('usage errors: an unknown check id (with the closest), --fail-on, -o: exit 2, nothing read', async () => {
    const r = await runCli('lint', '-f', '/nonexistent', '--disable', 'ports-without-peer');
    expect(r.code).toBe(2);
    expect(r.err[0]).toContain('unknown lint check "ports-without-peer" (did you mean "ports-without-peers"?)');
    expect((await runCli('lint', '-f', file, '--fail-on', 'warn')).err[0]).toContain('--fail-on must be error, warning, info or none, not "warn"');
    expect((await runCli('lint', '-f', file, '-o', 'yaml')).err[0]).toContain('-o must be text, json or sarif, not "yaml"');
  });

  test('bad input: exit 2, every issue on stderr, no finding', async () => {
    const bad = scratchFile('bad.yaml', POLICIES.replace('port: 80', 'port: 80000') + '---\nkind: Pod\n');
    const r = await runCli('lint', '-f', bad);
    expect(r.code).toBe(2);
    expect(r.out).toEqual([]);
    const errors = r.err.filter((l) => l.startsWith('error:'));
    expect(errors.join('\n')).toContain('spec.ingress[0].ports[0].port: Invalid value: 80000');
    expect(errors.length).toBeGreaterThanOrEqual(2); // and the Pod's
    expect(r.err[r.err.length - 1]).toBe(`netpol: ${errors.length} error(s); nothing was linted`);
    const json = await runCli('lint', '-f', bad, '-o', 'json');
    expect(json.code).toBe(2);
    const doc = JSON.parse(json.out.join('\n'));
    expect([doc.valid, doc.findings, doc.issues.filter((i: { severity: string }) => i.severity === 'error').length]).toEqual([false, [], errors.length]);
  });

  test('-o json: counts, findings with file, line and path, suppressed findings apart', async () => {
    const annotated = scratchFile(
      'p.yaml',
      POLICIES.replace('  namespace: shop\n', '  namespace: shop\n  annotations:\n    lint.netpol.io/ignore: meaningless-policy-name\n'),
    );
    const r = await runCli('lint', '-f', annotated, '-o', 'json');
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.out.join('\n'));
    expect(doc.counts).toEqual({ error: 0, warning: 1, info: 0, suppressed: 1 });
    expect(doc.findings.map((f: Record<string, unknown>) => [f.id, f.line, f.path])).toEqual([['ports-without-peers', 11, 'spec.ingress[0].ports']]);
    expect(doc.suppressed.map((f: Record<string, unknown>) => f.id)).toEqual(['meaningless-policy-name']);
    const text = await runCli('lint', '-f', annotated);
    expect(text.out[text.out.length - 1]).toBe('1 finding (0 errors, 1 warning, 0 info); 1 suppressed by lint.netpol.io/ignore');
  });

  test('-n applies per file: a namespace-less policy linted in two namespaces is two objects', async () => {
    const bare = scratchFile('bare.yaml', POLICIES.replace('  namespace: shop\n', ''));
    const r = await runCli('lint', '-n', 'a', '-f', bare, '-n', 'b', '-f', bare, '--enable-only', 'ports-without-peers');
    expect(r.out.filter((l) => l.includes('ports-without-peers')).map((l) => l.split(': ')[2])).toEqual([
      'NetworkPolicy a/policy1 spec.ingress[0].ports',
      'NetworkPolicy b/policy1 spec.ingress[0].ports',
    ]);
  });

  test('--list: every check with its severity and title; --help documents the options', async () => {
    const r = await runCli('lint', '--list');
    expect(r.code).toBe(0);
    expect(r.out.length).toBe(LINT_CHECKS.length);
    for (const [i, c] of LINT_CHECKS.entries()) expect(r.out[i]!.split(/\s{2,}/)).toEqual([c.id, c.severity, c.title]);
    const help = (await runCli('lint', '--help')).out.join('\n');
    for (const opt of ['--fail-on', '--disable', '--enable-only', '--list', 'sarif', 'lint.netpol.io/ignore', 'Exit codes']) expect(help).toContain(opt);
    expect((await runCli('--help')).out.join('\n')).toMatch(/^ {2}lint {7}/m);
  });

  test('the built binary exits 1 on a finding at --fail-on, 0 below it', () => {
    expect(spawnSync(process.execPath, [bin, 'lint', '-f', file], { encoding: 'utf8' }).status).toBe(1);
    expect(spawnSync(process.execPath, [bin, 'lint', '-f', file, '--fail-on', 'error'], { encoding: 'utf8' }).status).toBe(0);
  });
});
