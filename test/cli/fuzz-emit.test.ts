// netpol fuzz --emit DIR: test vectors written to a directory, byte for byte the same for the
// same seed, replayable through `netpol verdict`, never over a non-empty directory unless
// --force; and fuzz refuses --engine reference.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { run } from '../../packages/core/src/cli/run.js';

const repo = join(import.meta.dirname, '../..');
const bin = join(repo, 'packages/core/dist/cli/main.js');
const ex = (p: string) => join(repo, 'examples', p);
const scratch = mkdtempSync(join(tmpdir(), 'netpol-emit-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
let n = 0;
const fresh = (): string => join(scratch, `out-${n++}`);

async function cli(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await run(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** Every file under `dir`, by path relative to it, with its content. */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[relative(dir, p)] = readFileSync(p, 'utf8');
    }
  };
  walk(dir);
  return out;
}

/** `netpol verdict -f cluster.yaml` with flows.jsonl on stdin, as the docs show it. */
function replay(dir: string, ...extra: string[]) {
  return spawnSync(process.execPath, [bin, 'verdict', '-f', join(dir, 'cluster.yaml'), ...extra], {
    input: readFileSync(join(dir, 'flows.jsonl')),
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
}

describe('netpol fuzz --emit', () => {
  test('writes one directory per case, the same bytes for the same seed, and reports progress', async () => {
    const [a, b] = [fresh(), fresh()];
    const r = await cli('fuzz', '--emit', a, '--seed', '21', '--runs', '3', '--tiers', '2');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^wrote 3 case\(s\), \d+ flows with their expected verdicts, to .* \(seed 21\)$/);
    expect(r.err).toContain('3/3 case(s)');
    expect((await cli('fuzz', '--emit', b, '--seed', '21', '--runs', '3', '--tiers', '2')).code).toBe(0);
    const files = tree(a);
    expect(Object.keys(files).sort()).toEqual([
      'README.md',
      ...['case-0001', 'case-0002', 'case-0003'].flatMap((c) =>
        ['README.md', 'cluster.yaml', 'flows.jsonl', 'meta.json', 'truth-table.txt'].map((f) => `${c}/${f}`),
      ),
    ]);
    expect(tree(b)).toEqual(files);
    // meta.json says how to get them again, and with what.
    const meta = JSON.parse(files['case-0002/meta.json']!);
    expect(meta).toMatchObject({ schemaVersion: 1, source: 'random', case: { index: 2, of: 3 }, options: { seed: 21, runs: 3, maxClusterPolicies: 2 } });
    expect(meta.reproduce).toBe('netpol fuzz --emit DIR --seed 21 --runs 3 --tiers 2');
    expect(meta.netpolVersion).toMatch(/^\d+\.\d+\.\d+/);
    expect(files['README.md']).toContain('netpol fuzz --emit DIR --seed 21 --runs 3 --tiers 2');
    // One case: the files go to DIR itself.
    const one = fresh();
    expect((await cli('fuzz', '--emit', one, '--seed', '4')).code).toBe(0);
    expect(Object.keys(tree(one)).sort()).toEqual(['README.md', 'cluster.yaml', 'flows.jsonl', 'meta.json', 'truth-table.txt']);
  });

  test('flows.jsonl replays through netpol verdict (stdin): every line comes back unchanged', async () => {
    const dir = fresh();
    expect((await cli('fuzz', '--emit', dir, '--seed', '8', '--runs', '4', '--tiers', '3', '--pods', '8')).code).toBe(0);
    let flows = 0;
    for (const c of ['case-0001', 'case-0002', 'case-0003', 'case-0004']) {
      const r = replay(join(dir, c));
      expect(r.status).toBe(0);
      const want = readFileSync(join(dir, c, 'flows.jsonl'), 'utf8');
      expect(r.stdout).toBe(want);
      flows += want.split('\n').length - 1;
      // The reference engine says the same.
      expect(replay(join(dir, c), '--engine', 'reference').stdout).toBe(want);
    }
    expect(flows).toBeGreaterThan(100);
  });

  test("-f: the user's cluster, one case; the emitted cluster.yaml reproduces the same directory", async () => {
    const dir = fresh();
    const r = await cli('fuzz', '--emit', dir, '-f', ex('my-ns/cluster.yaml'), '-f', ex('my-ns/correct'));
    expect(r.code).toBe(0);
    expect(r.out).not.toContain('seed');
    const files = tree(dir);
    const meta = JSON.parse(files['meta.json']!);
    expect(meta.source).toBe('input');
    expect(meta.reproduce).toBe('netpol fuzz --emit DIR -f cluster.yaml');
    expect(meta.counts.flows).toBeGreaterThan(0);
    expect(replay(dir).stdout).toBe(files['flows.jsonl']);
    // Run again on the emitted manifests: the same bytes.
    const again = fresh();
    expect((await cli('fuzz', '--emit', again, '-f', join(dir, 'cluster.yaml'))).code).toBe(0);
    expect(tree(again)).toEqual(files);
  });

  test('a non-empty directory is refused (nothing written) unless --force; a file is refused', async () => {
    const dir = fresh();
    mkdirSync(dir);
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    const r = await cli('fuzz', '--emit', dir, '--seed', '1');
    expect(r.code).toBe(2);
    expect(r.err).toContain('the directory is not empty');
    expect(r.err).toContain('--force');
    expect(readdirSync(dir)).toEqual(['notes.txt']);
    const forced = await cli('fuzz', '--emit', dir, '--seed', '1', '--force');
    expect(forced.code).toBe(0);
    expect(readdirSync(dir).sort()).toEqual(['README.md', 'cluster.yaml', 'flows.jsonl', 'meta.json', 'notes.txt', 'truth-table.txt']);
    expect(readFileSync(join(dir, 'notes.txt'), 'utf8')).toBe('mine');
    // An empty existing directory is fine.
    const empty = fresh();
    mkdirSync(empty);
    expect((await cli('fuzz', '--emit', empty, '--seed', '1')).code).toBe(0);
    const file = join(dir, 'notes.txt');
    const asFile = await cli('fuzz', '--emit', file, '--seed', '1', '--force');
    expect(asFile.code).toBe(2);
    expect(asFile.err).toContain('not a directory');
    // A write the file system refuses (here: a case directory that is a file) is bad input, not an internal error.
    writeFileSync(join(dir, 'case-0002'), 'in the way');
    const blocked = await cli('fuzz', '--emit', dir, '--seed', '1', '--runs', '3', '--force');
    expect(blocked.code).toBe(2);
    expect(blocked.err).toMatch(/netpol: cannot write .*case-0002: EEXIST/);
    expect(readdirSync(join(dir, 'case-0001')).length).toBe(5);
  });

  test('a request out of bounds is a usage error and writes nothing', async () => {
    const dir = fresh();
    const over = await cli('fuzz', '--emit', dir, '-f', ex('my-ns/cluster.yaml'), '--max-flows', '3');
    expect(over.code).toBe(2);
    expect(over.err).toMatch(/more than the limit of 3: probe fewer ports \(ports, --port\) or raise the limit \(maxFlows, --max-flows\)/);
    expect(() => readdirSync(dir)).toThrow();
    for (const args of [
      ['--pods', '51'],
      ['--tiers', '11'],
      ['--runs', '10001'],
      ['--namespaces', '4'],
      ['--port', 'TCP/x'],
      ['--flows', '10'],
      ['-f', ex('my-ns/cluster.yaml'), '--runs', '2'],
    ]) {
      const r = await cli('fuzz', '--emit', dir, ...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err, args.join(' ')).toMatch(/^netpol: /);
    }
    expect(() => readdirSync(dir)).toThrow();
    // Test-vector options without --emit.
    const stray = await cli('fuzz', '--pods', '3');
    expect(stray.code).toBe(2);
    expect(stray.err).toContain('--pods applies to test vectors only: give --emit <dir>');
  });

  test('--port replaces the derived port set; --policies 0 with --tiers gives cluster-scoped policies only', async () => {
    const dir = fresh();
    expect((await cli('fuzz', '--emit', dir, '--seed', '2', '--port', 'TCP/443', '--port', 'UDP/53', '--policies', '0', '--tiers', '3')).code).toBe(0);
    const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8'));
    expect(meta.ports).toEqual(['TCP/443', 'UDP/53']);
    expect(meta.counts.policies).toBe(0);
    expect(meta.reproduce).toBe('netpol fuzz --emit DIR --seed 2 --runs 1 --tiers 3 --policies 0 --port TCP/443 --port UDP/53');
    const tables = readFileSync(join(dir, 'truth-table.txt'), 'utf8');
    expect(tables.match(/^\| +(TCP\/443|UDP\/53) +\|/gm)?.length).toBe(2);
  });
});

describe('netpol fuzz --emit, provenance', () => {
  test('a negative seed is written as --seed=N in the reproduce command, which parses back to the same files', async () => {
    const [a, b] = [fresh(), fresh()];
    expect((await cli('fuzz', '--emit', a, '--seed=-7')).code).toBe(0);
    const meta = JSON.parse(readFileSync(join(a, 'meta.json'), 'utf8'));
    expect(meta.reproduce).toBe('netpol fuzz --emit DIR --seed=-7 --runs 1 --tiers 0');
    const args = (meta.reproduce as string).split(' ').slice(1);
    expect((await cli(...args.map((x) => (x === 'DIR' ? b : x)))).code).toBe(0);
    expect(tree(b)).toEqual(tree(a));
  });

  test('policies of other APIs left out with --ignore-unsupported-policies are named in meta.json and README.md', async () => {
    const dir = fresh();
    const calico = join(scratch, 'calico.yaml');
    writeFileSync(calico, 'apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata: { name: deny-all, namespace: my-ns }\nspec: { selector: all() }\n');
    const refused = await cli('fuzz', '--emit', dir, '-f', ex('my-ns/cluster.yaml'), '-f', calico);
    expect(refused.code).toBe(2);
    const r = await cli('fuzz', '--emit', dir, '-f', ex('my-ns/cluster.yaml'), '-f', calico, '--ignore-unsupported-policies');
    expect(r.code).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')).ignoring).toEqual(['NetworkPolicy my-ns/deny-all']);
    expect(readFileSync(join(dir, 'README.md'), 'utf8')).toContain('The verdicts ignore 1 policies of other APIs');
  });
});

describe('netpol fuzz --engine reference', () => {
  test('is refused: it would compare the reference with itself', async () => {
    for (const extra of [[], ['--emit', fresh()]]) {
      const r = await cli('fuzz', '--engine', 'reference', '--runs', '1', ...extra);
      expect(r.code).toBe(2);
      expect(r.err).toContain('--engine reference: fuzz checks engines against the reference evaluator, so it would compare the reference with itself');
      expect(r.out).toBe('');
    }
  });
});
