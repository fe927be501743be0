// The CLI as users run it: in-process through run() for most cases, and the built binary
// for exit codes and stdin.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { run } from '../../packages/core/src/cli/run.js';

const repo = join(import.meta.dirname, '../..');
const ex = (p: string) => join(repo, 'examples', p);
const bin = join(repo, 'packages/core/dist/cli/main.js');

async function cli(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await run(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

function tmpFile(name: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'netpol-cli-'));
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

const BAD_POLICY = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: Bad_Name
  namespace: prod
spec:
  podSelector: {}
  ingress:
  - from:
    - ipBlock:
        cidr: 10.0.0.0/8
        except: [192.168.0.0/16]
      podSelector: {}
    ports:
    - protocol: ICMP
      port: 80
  policyTypes: [Ingress, Sideways]
`;

describe('validate', () => {
  test('examples are valid: exit 0 with a summary', async () => {
    const r = await cli('validate', '-f', ex('my-ns/cluster.yaml'), '-f', ex('my-ns/correct'));
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^valid: 2 namespaces, 3 pods, \d+ nodes, 3 network policies/m);
  });

  test('bad input: exit 2, every problem with file, line and field path', async () => {
    const file = tmpFile('bad.yaml', BAD_POLICY);
    const r = await cli('validate', '-f', file);
    expect(r.code).toBe(2);
    const lines = r.out.split('\n');
    const expected: [number, string][] = [
      [4, 'metadata.name: Invalid value: "Bad_Name"'],
      [12, 'spec.ingress[0].from[0].ipBlock.except[0]: Invalid value: "192.168.0.0/16": must be a strict subset of `cidr`'],
      [10, 'spec.ingress[0].from[0]: Forbidden: may not specify both ipBlock and another peer'],
      [15, 'spec.ingress[0].ports[0].protocol: Unsupported value: "ICMP"'],
      [17, 'spec.policyTypes[1]: Unsupported value: "Sideways"'],
    ];
    for (const [line, text] of expected) {
      expect(
        lines.some((l) => l.startsWith(`error: ${file}:${line} doc 0 NetworkPolicy prod/Bad_Name: ${text}`)),
        `${line}: ${text}\n${r.out}`,
      ).toBe(true);
    }
    expect(r.out).toMatch(/^invalid: 5 error\(s\)/m);
  });

  test('-o json gives the issues as data', async () => {
    const file = tmpFile('bad.yaml', BAD_POLICY);
    const r = await cli('validate', '-f', file, '-o', 'json');
    const doc = JSON.parse(r.out);
    expect(doc.valid).toBe(false);
    expect(doc.issues.map((i: { path: string }) => i.path)).toContain('spec.ingress[0].from[0].ipBlock.except[0]');
    expect(doc.issues.find((i: { check?: string }) => i.check === 'P1')).toMatchObject({ file, line: 15, document: 0, severity: 'error' });
  });

  test('--strict turns legacy CIDRs from warnings into errors', async () => {
    const file = tmpFile(
      'legacy.yaml',
      BAD_POLICY.replace('Bad_Name', 'legacy')
        .replace(/ {6}podSelector: \{\}\n/, '')
        .replace('except: [192.168.0.0/16]', 'except: [10.1.2.3/16]')
        .replace('ICMP', 'TCP')
        .replace(', Sideways', ''),
    );
    const lax = await cli('validate', '-f', file);
    expect(lax.code).toBe(0);
    expect(lax.out).toContain('warning:');
    const strict = await cli('validate', '--strict', '-f', file);
    expect(strict.code).toBe(2);
    expect(strict.out).toContain('spec.ingress[0].from[0].ipBlock.except[0]: Invalid value: "10.1.2.3/16"');
  });

  test('a missing file is bad input', async () => {
    const r = await cli('validate', '-f', '/nonexistent/x.yaml');
    expect(r.code).toBe(2);
    expect(r.out).toContain('/nonexistent/x.yaml');
  });
});

describe('verdict', () => {
  test('JSON Lines in, input fields plus allowed and per-direction decisions out', async () => {
    const flows = tmpFile(
      'flows.jsonl',
      [
        '{"src": "production/frontend", "dst": "production/db", "protocol": "TCP", "port": 5432, "note": "kept"}',
        '{"src": "production/backend", "dst": "production/db", "port": 5432}',
      ].join('\n'),
    );
    const r = await cli('verdict', '-f', ex('production-db/cluster.yaml'), '-f', ex('production-db/and'), '--flows', flows);
    expect(r.code).toBe(0);
    const out = r.out.split('\n').map((l) => JSON.parse(l));
    expect(out[0]).toEqual({
      src: 'production/frontend',
      dst: 'production/db',
      protocol: 'TCP',
      port: 5432,
      note: 'kept',
      allowed: false,
      egress: 'not-isolated',
      ingress: 'denied',
    });
    expect(out[1]).toMatchObject({ allowed: true, ingress: 'allowed' });
  });

  test('--engine reference and the default compiled engine print the same lines', async () => {
    const args = ['verdict', '-f', ex('my-ns/cluster.yaml'), '-f', ex('my-ns/merged'), '--flows', ex('my-ns/merged/flows.jsonl')];
    const compiled = await cli(...args);
    const reference = await cli(...args, '--engine', 'reference');
    expect(compiled.code).toBe(0);
    expect(compiled.out.split('\n')).toHaveLength(10);
    expect(compiled.out).toBe(reference.out);
  });

  test('--fail-on-deny exits 1 when something is denied, 0 otherwise', async () => {
    const denied = tmpFile('f.jsonl', '{"src": "production/frontend", "dst": "production/db", "port": 5432}\n');
    const allowed = tmpFile('f.jsonl', '{"src": "production/backend", "dst": "production/db", "port": 5432}\n');
    const args = ['verdict', '-f', ex('production-db/cluster.yaml'), '-f', ex('production-db/and'), '--fail-on-deny', '--flows'];
    expect((await cli(...args, denied)).code).toBe(1);
    expect((await cli(...args, allowed)).code).toBe(0);
  });

  test('a bad flow line gets an error and no verdict; exit 2', async () => {
    const flows = tmpFile(
      'f.jsonl',
      '{"src": "production/nope", "dst": "production/db", "port": 5432}\nnot json\n{"src": "10.0.0.1", "dst": "fd00::1", "port": 1}\n',
    );
    const r = await cli('verdict', '-f', ex('production-db/cluster.yaml'), '-f', ex('production-db/and'), '--flows', flows);
    expect(r.code).toBe(2);
    const out = r.out.split('\n').map((l) => JSON.parse(l));
    expect(out).toHaveLength(3);
    for (const o of out) {
      expect(o).toHaveProperty('error');
      expect(o).not.toHaveProperty('allowed');
    }
    expect(r.err).toContain(':1: "src": no pod production/nope');
    expect(r.err).toContain(':2: not valid JSON');
    expect(r.err).toContain(':3: "src" and "dst" have no address family in common');
  });

  test('invalid policies: no verdict at all, exit 2', async () => {
    const file = tmpFile('bad.yaml', BAD_POLICY);
    const flows = tmpFile('f.jsonl', '{"src": "10.0.0.1", "dst": "10.0.0.2", "port": 80}\n');
    const r = await cli('verdict', '-f', file, '--flows', flows);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toContain('5 error(s); nothing was evaluated');
  });

  test('usage errors exit 2', async () => {
    expect((await cli('verdict')).code).toBe(2);
    expect((await cli('verdict', '-f', ex('my-ns'), '--engine', 'warp')).code).toBe(2);
    expect((await cli('frobnicate')).code).toBe(2);
    expect((await cli('matrix', '-f', ex('my-ns'), '--port', 'TCP/99999')).code).toBe(2);
  });
});

describe('explain', () => {
  test('a deny from default isolation names the isolating policies and each failed rule', async () => {
    const r = await cli(
      'explain',
      '-f',
      ex('production-db/cluster.yaml'),
      '-f',
      ex('production-db/and'),
      '--src',
      'production/frontend',
      '--dst',
      'production/db',
      '--port',
      '5432',
    );
    expect(r.code).toBe(0);
    expect(r.out).toContain('production/frontend (');
    expect(r.out).toContain('TCP/5432: DENIED');
    expect(r.out).toMatch(/ingress \(production\/db\): DENIED: isolated by production\/db-allow-production-backend/);
    expect(r.out).toMatch(/production\/db-allow-production-backend ingress\[0\]: source production\/frontend .* matches none of its 1 peer/);
  });

  test('-o json carries the rule that allowed the flow', async () => {
    const r = await cli(
      'explain',
      '-o',
      'json',
      '-f',
      ex('production-db/cluster.yaml'),
      '-f',
      ex('production-db/or'),
      '--src',
      'production/frontend',
      '--dst',
      'production/db',
      '--port',
      '5432',
    );
    const e = JSON.parse(r.out);
    expect(e.allowed).toBe(true);
    expect(e.ingressDetail.allowedBy).toEqual([
      { policy: 'production/db-allow-production-or-backend', direction: 'ingress', ruleIndex: 0, peerIndex: 0, portIndex: 0 },
    ]);
  });
});

describe('matrix', () => {
  test('text and json agree with single verdicts', async () => {
    const args = ['-f', ex('three-tier/cluster.yaml'), '-f', ex('three-tier/tiers'), '--port', 'TCP/3306', '--in', 'shop'];
    const json = JSON.parse((await cli('matrix', ...args, '-o', 'json')).out);
    const m = json.matrices[0];
    expect(m.port).toBe('TCP/3306');
    const i = m.pods.indexOf('shop/backend');
    const j = m.pods.indexOf('shop/db');
    const k = m.pods.indexOf('shop/frontend');
    expect(m.allowed[i][j]).toBe(true);
    expect(m.allowed[k][j]).toBe(false);
    const text = (await cli('matrix', ...args)).out;
    expect(text).toContain('TCP/3306');
    expect(text.split('\n').filter((l) => /^\s*\d+ shop\//.test(l))).toHaveLength(m.pods.length);
  });
});

describe('the built binary', () => {
  test('demo runs every story with no unexpected verdict', () => {
    const out = execFileSync(process.execPath, [bin, 'demo'], { encoding: 'utf8' });
    expect(out).toMatch(/(\d+) flows in 6 stories: \1 as the stories expect, 0 unexpected \(compiled dataplane/);
  });

  test('reads flows from stdin and exits 1 with --fail-on-deny', () => {
    const r = spawnSync(process.execPath, [bin, 'verdict', '-f', ex('account-service/cluster.yaml'), '-f', ex('account-service/lockdown'), '--fail-on-deny'], {
      input: '{"src": "production/account-service", "dst": "8.8.8.8", "protocol": "UDP", "port": 53}\n',
      encoding: 'utf8',
    });
    expect(r.status).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ allowed: false, egress: 'denied', ingress: 'not-applicable' });
  });

  test('validate reads manifests from stdin with -f -', () => {
    const r = spawnSync(process.execPath, [bin, 'validate', '-f', '-'], { input: BAD_POLICY, encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stdout).toContain('error: <stdin>:15 doc 0 NetworkPolicy prod/Bad_Name: spec.ingress[0].ports[0].protocol: Unsupported value: "ICMP"');
  });

  test('--help on every command exits 0 and shows usage', () => {
    for (const cmd of ['validate', 'verdict', 'explain', 'matrix', 'demo']) {
      const r = spawnSync(process.execPath, [bin, cmd, '--help'], { encoding: 'utf8' });
      expect(r.status, cmd).toBe(0);
      expect(r.stdout).toContain(`Usage: netpol ${cmd}`);
    }
  });

  test('a help text names --fail-on-deny in its exit codes only when the command takes it', () => {
    for (const cmd of ['validate', 'verdict', 'explain', 'matrix', 'compile', 'replay']) {
      const help = spawnSync(process.execPath, [bin, cmd, '--help'], { encoding: 'utf8' }).stdout;
      const exitLine = help.split('\n').find((l) => l.startsWith('Exit codes:')) ?? '';
      expect(exitLine, cmd).not.toBe('');
      const takesIt = /^\s+--fail-on-deny\b/m.test(help);
      expect(exitLine.includes('--fail-on-deny'), cmd).toBe(takesIt);
    }
  });
});
