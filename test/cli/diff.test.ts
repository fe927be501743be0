// `netpol diff`: netpol-analyzer's published diff example line for line, and the command as CI
// uses it (identical sets, --fail-on-change, invalid input on either side, formats).
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { connectivity } from '../../packages/core/src/analysis/connectivity.js';
import { diffConnectivity } from '../../packages/core/src/analysis/diff.js';
import { formatDiff, type DiffFormat } from '../../packages/core/src/analysis/diff-format.js';
import { loadFiles } from '../../packages/core/src/load/load.js';
import { runCli } from '../helpers.js';

const repo = join(import.meta.dirname, '../..');
const minimal = join(repo, 'test/fixtures/netpol-analyzer-diff/minimal');
const boutique = join(repo, 'test/fixtures/online-boutique');

async function cli(...args: string[]) {
  const r = await runCli(...args);
  return { code: r.code, out: r.out.join('\n'), err: r.err.join('\n') };
}

function load(path: string) {
  const r = loadFiles([path], { recursive: true });
  if (!r.cluster) throw new Error(r.issues.map((i) => i.message).join('\n'));
  return r.cluster;
}

describe("netpol-analyzer's published diff example (minimal), --compat netpol-analyzer", () => {
  const compat = { compat: 'netpol-analyzer' } as const;
  const changes = diffConnectivity(connectivity(load(join(minimal, 'dir1')), compat), connectivity(load(join(minimal, 'dir2')), compat), {
    ignoreOtherProtocols: true,
  });
  const expected = (f: string): string => readFileSync(join(minimal, 'expected', f), 'utf8');

  test.each(['txt', 'csv'] as const)('%s: line for line', (format) => {
    expect(formatDiff(changes, format, { ignoreOtherProtocols: true })).toBe(expected(`diff.${format}`));
  });

  // Published before netpol-analyzer suffixed external ranges with [External] (see the fixture's README).
  test.each(['md', 'dot'] as const)('%s: line for line, but for the [External] suffix', (format: DiffFormat) => {
    const all = diffConnectivity(connectivity(load(join(minimal, 'dir1')), compat), connectivity(load(join(minimal, 'dir2')), compat), {
      ignoreOtherProtocols: true,
      unchanged: format === 'dot',
    });
    const ours = formatDiff(all, format, { ignoreOtherProtocols: true }).replaceAll('[External]', '');
    expect(ours.replace(/\n$/, '')).toBe(expected(`diff.${format}`));
  });

  test('the CLI prints it with its dir1/dir2 names (roxctl netpol connectivity diff), positional or with --dir1/--dir2', async () => {
    const roxctl = expected('roxctl-diff.txt').replace('0.0.0.0-255.255.255.255,', '0.0.0.0-255.255.255.255[External],');
    const byFlags = await cli('diff', '--dir1', join(minimal, 'dir1'), '--dir2', join(minimal, 'dir2'), '--compat', 'netpol-analyzer');
    expect(byFlags.code).toBe(0);
    expect(`${byFlags.out}\n`).toBe(roxctl);
    const positional = await cli('diff', join(minimal, 'dir1'), join(minimal, 'dir2'), '--compat', 'netpol-analyzer');
    expect(positional.out).toBe(byFlags.out);
  });
});

describe('netpol diff in CI', () => {
  const manifests = join(boutique, 'manifests');
  const policies = join(boutique, 'network-policies');
  /** The Online Boutique with its policies, in a directory of its own (so that a test may change it). */
  function boutiqueCopy(): string {
    const dir = mkdtempSync(join(tmpdir(), 'netpol-diff-'));
    cpSync(manifests, join(dir, 'manifests'), { recursive: true });
    cpSync(policies, join(dir, 'policies'), { recursive: true });
    return dir;
  }

  test('identical sets: nothing printed, exit 0, also with --fail-on-change', async () => {
    const a = boutiqueCopy();
    const r = await cli('diff', a, a, '--fail-on-change');
    expect(r).toMatchObject({ code: 0, out: '' });
    rmSync(a, { recursive: true });
  });

  test('a policy removed: the connections it allowed are removed; --fail-on-change exits 1', async () => {
    const a = boutiqueCopy();
    const b = boutiqueCopy();
    rmSync(join(b, 'policies', 'network-policy-cartservice.yaml'));
    const r = await cli('diff', '--dir1', a, '--dir2', b);
    expect(r.code).toBe(0);
    const lines = r.out.split('\n');
    expect(lines[0]).toBe('Connectivity diff:');
    // The deny-all policy now isolates cartservice alone: every connection to or from it is gone, and nothing else changed.
    expect(lines.slice(1)).toEqual([
      'diff-type: removed, source: default/cartservice[Deployment], destination: 0.0.0.0-255.255.255.255[External], dir1: All Connections, dir2: No Connections',
      'diff-type: removed, source: default/cartservice[Deployment], destination: default/frontend[Deployment], dir1: All Connections, dir2: No Connections',
      'diff-type: removed, source: default/cartservice[Deployment], destination: default/redis-cart[Deployment], dir1: TCP 6379, dir2: No Connections',
      'diff-type: removed, source: default/checkoutservice[Deployment], destination: default/cartservice[Deployment], dir1: TCP 7070, dir2: No Connections',
      'diff-type: removed, source: default/frontend[Deployment], destination: default/cartservice[Deployment], dir1: TCP 7070, dir2: No Connections',
    ]);
    expect((await cli('diff', '--dir1', a, '--dir2', b, '--fail-on-change')).code).toBe(1);
    const json = JSON.parse((await cli('diff', a, b, '-o', 'json')).out);
    expect(json.ref1).toBe('dir1');
    expect(json.changes).toHaveLength(lines.length - 1);
    rmSync(a, { recursive: true });
    rmSync(b, { recursive: true });
  });

  test('a new workload (labelled as the frontend, so that the frontend policy applies to it): named in workloads-diff-info', async () => {
    const a = boutiqueCopy();
    const b = boutiqueCopy();
    writeFileSync(
      join(b, 'manifests', 'extra.yaml'),
      `apiVersion: apps/v1
kind: Deployment
metadata:
  name: unicorn
spec:
  selector:
    matchLabels: {app: frontend, variant: unicorn}
  template:
    metadata:
      labels: {app: frontend, variant: unicorn}
    spec:
      containers:
      - name: c
        image: unicorn
`,
    );
    const r = await cli('diff', a, b, '--compat', 'netpol-analyzer', '-o', 'csv');
    expect(r.code).toBe(0);
    const rows = r.out.split('\n').slice(1);
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) expect(row).toMatch(/^added,.*,workload default\/unicorn\[Deployment\] added$/);
    expect(rows).toContain(
      'added,default/unicorn[Deployment],default/cartservice[Deployment],No Connections,TCP 7070,workload default/unicorn[Deployment] added',
    );
    rmSync(a, { recursive: true });
    rmSync(b, { recursive: true });
  });

  test('invalid input on either side: every problem of both sides, named by side, exit 2, nothing compared', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'netpol-diff-bad-'));
    const bad1 = join(dir, 'bad1.yaml');
    const bad2 = join(dir, 'bad2.yaml');
    writeFileSync(bad1, 'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: Bad_Name\nspec:\n  podSelector: {}\n');
    writeFileSync(bad2, 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: x\nspec:\n  template:\n    metadata:\n      labels: {a: b}\n');
    const r = await cli('diff', bad1, bad2, '--fail-on-change');
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/^dir1: .*bad1\.yaml:4/m);
    expect(r.err).toMatch(/^dir2: .*bad2\.yaml/m);
    expect(r.err).toMatch(/netpol: dir1: 1 error\(s\), dir2: \d+ error\(s\); nothing was compared/);
    // One side alone invalid is enough.
    const one = await cli('diff', join(minimal, 'dir1'), bad2);
    expect(one.code).toBe(2);
    expect(one.err).not.toMatch(/^dir1: .*error/m);
    rmSync(dir, { recursive: true });
  });

  test('one side from stdin (the built binary): the same diff', () => {
    const bin = join(repo, 'packages/core/dist/cli/main.js');
    const input = ['netpols.yaml', 'deployments.yaml'].map((f) => readFileSync(join(minimal, 'dir2', f), 'utf8')).join('\n---\n');
    const r = spawnSync(process.execPath, [bin, 'diff', join(minimal, 'dir1'), '-', '--fail-on-change'], { input, encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stdout.split('\n')[1]).toBe(
      'diff-type: changed, source: default/frontend[Deployment], destination: default/backend[Deployment], dir1: TCP 9090, dir2: TCP 9090,UDP 53',
    );
  });

  test('usage: two sets needed, one stdin at most, known formats', async () => {
    expect((await cli('diff', join(minimal, 'dir1'))).code).toBe(2);
    expect((await cli('diff', 'a', 'b', 'c')).code).toBe(2);
    expect((await cli('diff', '-', '-')).code).toBe(2);
    expect((await cli('diff', '-f', 'a', 'b')).code).toBe(2);
    const r = await cli('diff', join(minimal, 'dir1'), join(minimal, 'dir2'), '-o', 'svg');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/-o must be txt, json, csv, md or dot/);
    expect((await cli('diff', '--help')).out).toMatch(/^Usage: netpol diff --dir1/);
  });
});
