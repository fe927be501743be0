// `netpol connlist` as users run it: Online Boutique's manifests end to end, every format, the
// focus and level options, stdin, exit codes; and docs/connlist.md's examples print what it says.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { run } from '../../packages/core/src/cli/run.js';

const repo = join(import.meta.dirname, '../..');
const bin = join(repo, 'packages/core/dist/cli/main.js');
const OB = ['-f', join(repo, 'test/fixtures/online-boutique/manifests'), '-f', join(repo, 'test/fixtures/online-boutique/network-policies')];

async function cli(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await run(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('Online Boutique (Deployments and Services only, its NetworkPolicies)', () => {
  test('txt: the service graph the policies allow, sorted, the missing namespace a warning', async () => {
    const r = await cli('connlist', ...OB);
    expect(r.code).toBe(0);
    const lines = r.out.split('\n');
    expect(lines).toEqual([...lines].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    expect(lines).toContain('default/checkoutservice[Deployment] => default/paymentservice[Deployment] : TCP 50051');
    expect(lines).toContain('default/cartservice[Deployment] => default/redis-cart[Deployment] : TCP 6379');
    // the policies leave egress open and isolate ingress: only the frontend takes traffic from outside
    expect(lines.filter((l) => l.startsWith('0.0.0.0-255.255.255.255[External] =>'))).toEqual([
      '0.0.0.0-255.255.255.255[External] => default/frontend[Deployment] : All Connections',
    ]);
    expect(lines.some((l) => l.includes('=> default/paymentservice') && !l.startsWith('default/checkoutservice'))).toBe(false);
    expect(r.err).toMatch(/namespace default is used by .* but not in the input/);
  });

  test('without the policies every pair is open; with them fewer', async () => {
    const open = (await cli('connlist', '-f', join(repo, 'test/fixtures/online-boutique/manifests'))).out.split('\n');
    expect(open).toHaveLength(12 * 11 + 12 * 2); // 12 Deployments, both ways, plus the outside in and out
    expect(open.every((l) => l.endsWith(' : All Connections'))).toBe(true);
    expect((await cli('connlist', ...OB)).out.split('\n').length).toBeLessThan(open.length);
  });

  test.each(['json', 'csv', 'md', 'dot'])('-o %s holds the same pairs', async (format) => {
    const txt = (await cli('connlist', ...OB)).out.split('\n');
    const r = await cli('connlist', ...OB, '-o', format);
    expect(r.code).toBe(0);
    if (format === 'json')
      expect((JSON.parse(r.out) as { src: string; dst: string; conn: string }[]).map((e) => `${e.src} => ${e.dst} : ${e.conn}`)).toEqual(txt);
    if (format === 'csv') expect(r.out.split('\n')).toHaveLength(txt.length + 1);
    if (format === 'md') expect(r.out.split('\n')).toHaveLength(txt.length + 2);
    if (format === 'dot') {
      expect(r.out.split('\n').filter((l) => l.includes(' -> '))).toHaveLength(txt.length);
      expect(r.out).toContain('\tsubgraph cluster_default {');
    }
  });

  test('--focus-workload, --focus-namespace, --level pod', async () => {
    const focus = (await cli('connlist', ...OB, '--focus-workload', 'paymentservice')).out.split('\n');
    expect(focus).toEqual([
      'default/checkoutservice[Deployment] => default/paymentservice[Deployment] : TCP 50051',
      'default/paymentservice[Deployment] => 0.0.0.0-255.255.255.255[External] : All Connections',
      'default/paymentservice[Deployment] => default/frontend[Deployment] : All Connections',
    ]);
    expect((await cli('connlist', ...OB, '--focusworkload', 'default/paymentservice')).out.split('\n')).toEqual(focus);
    expect((await cli('connlist', ...OB, '--focus-namespace', 'elsewhere')).out).toBe('');
    // no pods in the input: pod level has the same template endpoints
    expect((await cli('connlist', ...OB, '--level', 'pod')).out).toBe((await cli('connlist', ...OB)).out);
  });
});

describe('usage and bad input', () => {
  test('invalid manifests: every problem, exit 2, no report', async () => {
    const bad = join(repo, 'test/fixtures/netpol-analyzer/anp_test_1_deny_traffic_at_cluster_level/input');
    const r = await cli('connlist', '-f', bad);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/deployments\.yaml:\d+ .*`selector` does not match template `labels`/);
    expect(r.err).toMatch(/1 error\(s\); nothing was evaluated/);
  });

  test.each([
    [['-o', 'yaml'], /-o must be txt, json, csv, md or dot/],
    [['--level', 'node'], /--level must be workload or pod/],
    [['--compat', 'roxctl'], /--compat must be netpol-analyzer/],
    [['--no-such-flag'], /Unknown option/],
  ])('%j: a usage error, exit 2', async (args, message) => {
    const r = await cli('connlist', ...OB, ...args);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
  });

  test('--help, and listed in netpol --help', async () => {
    expect((await cli('connlist', '--help')).out).toMatch(/^Usage: netpol connlist/);
    expect((await cli('--help')).out).toMatch(/connlist {3}every allowed connection/);
  });
});

test('the built binary reads a Helm-style stream on stdin (-f -) and compares with netpol-analyzer (--compat)', () => {
  const stream = readFileSync(join(repo, 'test/fixtures/online-boutique/manifests/kubernetes-manifests.yaml'), 'utf8');
  const r = spawnSync(process.execPath, [bin, 'connlist', '-f', '-', '--compat', 'netpol-analyzer', '--focus-workload', 'redis-cart'], {
    input: stream,
    encoding: 'utf8',
  });
  expect(r.status).toBe(0);
  expect(r.stdout.split('\n').filter((l) => l !== '')).toHaveLength(2 * 11 + 2);
});

describe('docs/connlist.md', () => {
  const doc = readFileSync(join(repo, 'docs/connlist.md'), 'utf8');
  // Each ```sh block with one `netpol connlist` command is followed by a ``` block of its output ('...' elides lines).
  const examples = [...doc.matchAll(/```sh\n(netpol connlist [^\n]+)\n```\n\n```\n([\s\S]*?)```/g)].map((m) => [m[1]!, m[2]!] as const);

  test('has its examples', () => expect(examples.length).toBeGreaterThanOrEqual(3));

  test.each(examples)('%s prints what the page shows', async (command, shown) => {
    const args = command
      .split(' ')
      .slice(1)
      .map((a) => (a.startsWith('test/') ? join(repo, a) : a));
    const r = await cli(...args);
    expect(r.code).toBe(0);
    const lines = r.out.split('\n');
    const wanted = shown.split('\n').filter((l) => l !== '' && l !== '...');
    let at = 0;
    for (const w of wanted) {
      const found = lines.indexOf(w, at);
      expect(found, w).toBeGreaterThanOrEqual(0); // in this order
      at = found + 1;
    }
    if (!shown.includes('...')) expect(lines).toEqual(wanted);
  });
});

describe('netpol matrix on workload manifests', () => {
  test('rows and columns are the workloads (their template pods), judged without addresses', async () => {
    const r = await cli('matrix', ...OB, '--port', 'TCP/50051', '-o', 'json');
    expect(r.code).toBe(0);
    const [m] = (JSON.parse(r.out) as { matrices: { pods: string[]; allowed: boolean[][] }[] }).matrices;
    expect(m!.pods).toHaveLength(12);
    expect(m!.pods).toContain('default/paymentservice[Deployment]');
    const at = (name: string): number => m!.pods.indexOf(`default/${name}[Deployment]`);
    // only checkoutservice may reach paymentservice's 50051 (and shippingservice's, with frontend)
    expect(m!.pods.filter((_, i) => m!.allowed[i]![at('paymentservice')] && i !== at('paymentservice'))).toEqual(['default/checkoutservice[Deployment]']);
    expect(m!.allowed[at('frontend')]![at('shippingservice')]).toBe(true);
    expect(m!.allowed[at('adservice')]![at('shippingservice')]).toBe(false);
  });

  test('the same verdicts from every engine', async () => {
    const outs = await Promise.all(['compiled', 'reference'].map(async (engine) => (await cli('matrix', ...OB, '--port', 'TCP/7070', '--engine', engine)).out));
    expect(outs[1]).toBe(outs[0]);
    expect(outs[0]).toMatch(/default\/cartservice\[Deployment\]/);
  });
});
