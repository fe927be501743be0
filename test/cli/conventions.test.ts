// Issue 14, CLI conventions: --version, -o checked per command, one stdin for one input, and a
// binary file given as a manifest is one clear error. In-process through runCli where the
// process does not matter; the built binary where stdin or the exit status is the point.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, test } from 'vitest';
import { binaryReason } from '../../packages/core/src/cli/binary-input.js';
import { runCli, scratchFile } from '../helpers.js';

const repo = join(import.meta.dirname, '../..');
const ex = (p: string) => join(repo, 'examples', p);
const bin = join(repo, 'packages/core/dist/cli/main.js');
const pkg = JSON.parse(readFileSync(join(repo, 'packages/core/package.json'), 'utf8')) as { version: string };
const MANIFESTS = ['-f', ex('production-db/cluster.yaml'), '-f', ex('production-db/and')];

describe('--version', () => {
  test.each(['--version', '-V', 'version'])('%s prints the package version alone, exit 0', async (flag) => {
    const r = await runCli(flag);
    expect(r).toEqual({ code: 0, out: [pkg.version], err: [] });
  });

  test('the built binary prints it too (read from the package.json beside dist/)', () => {
    const r = spawnSync(process.execPath, [bin, '--version'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`${pkg.version}\n`);
  });

  test('the top-level help mentions it', async () => {
    expect((await runCli('--help')).out.join('\n')).toContain('--version');
  });
});

describe('-o is checked against what each command prints', () => {
  const commands: [string, string[], string][] = [
    ['validate', MANIFESTS, 'text or json'],
    ['explain', [...MANIFESTS, '--src', 'production/frontend', '--dst', 'production/db', '--port', '5432'], 'text or json'],
    ['matrix', MANIFESTS, 'text or json'],
    ['replay', [...MANIFESTS, '/nonexistent.pcap'], 'jsonl, summary or json'],
  ];
  for (const [command, args, choices] of commands) {
    test.each(['yaml', 'csv', 'bogus', ''])(`${command} -o %j: exit 2 naming ${choices}, nothing on stdout`, async (format) => {
      const r = await runCli(command, ...args, '-o', format);
      expect(r.code).toBe(2);
      expect(r.out).toEqual([]);
      expect(r.err[0]!.split('\n')[0]).toBe(`netpol: -o must be ${choices}, not ${JSON.stringify(format)}`);
    });
  }

  test('the formats each command knows still work', async () => {
    expect((await runCli('validate', ...MANIFESTS, '-o', 'text')).code).toBe(0);
    expect(JSON.parse((await runCli('validate', ...MANIFESTS, '-o', 'json')).out.join('\n')).valid).toBe(true);
    expect(JSON.parse((await runCli('matrix', ...MANIFESTS, '--output', 'json')).out.join('\n')).schemaVersion).toBe(1);
    const e = await runCli('explain', ...MANIFESTS, '--src', 'production/frontend', '--dst', 'production/db', '--port', '5432', '-o', 'json');
    expect(JSON.parse(e.out[0]!)).toMatchObject({ allowed: false });
  });
});

describe('manifests and flows cannot both come from stdin', () => {
  const stdinManifests = readFileSync(ex('production-db/cluster.yaml'), 'utf8') + '---\n' + readFileSync(ex('production-db/and/policies.yaml'), 'utf8');
  const flow = '{"src": "production/frontend", "dst": "production/db", "port": 5432}\n';

  test('verdict -f - (flows default to stdin): exit 2 saying how to pass them, nothing evaluated', () => {
    const r = spawnSync(process.execPath, [bin, 'verdict', '-f', '-'], { input: stdinManifests, encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('manifests (-f -) and flows cannot both come from stdin');
    expect(r.stderr).toContain('--flows <file>');
  });

  test('explain -f - --flows -: the same error', async () => {
    const r = await runCli('explain', '-f', '-', '--flows', '-');
    expect(r.code).toBe(2);
    expect(r.err[0]).toContain('manifests (-f -) and flows cannot both come from stdin');
  });

  test('replay -f - with the capture on stdin: the same error, for the capture', async () => {
    const r = await runCli('replay', '-f', '-', '-');
    expect(r.code).toBe(2);
    expect(r.err[0]).toContain('manifests (-f -) and the capture cannot both come from stdin');
  });

  test('either way the error suggests works: manifests on stdin with --flows <file>, or flows on stdin with -f <file>', () => {
    const flows = scratchFile('flows.jsonl', flow);
    const a = spawnSync(process.execPath, [bin, 'verdict', '-f', '-', '--flows', flows], { input: stdinManifests, encoding: 'utf8' });
    const b = spawnSync(process.execPath, [bin, 'verdict', ...MANIFESTS], { input: flow, encoding: 'utf8' });
    for (const r of [a, b]) {
      expect(r.status, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ allowed: false, ingress: 'denied' });
    }
  });
});

describe('a file that is not YAML or JSON text is one error naming it', () => {
  const png = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 0, 0, 0, 16]);
  // A tar header: the file name, NUL padding, and "ustar" at offset 257.
  const tar = new Uint8Array(1024);
  tar.set(Buffer.from('policies.yaml'), 0);
  tar.set(Buffer.from('ustar\u000000'), 257);
  const elf = Uint8Array.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  // YAML-looking text, compressed: starts with the gzip magic and is full of stray bytes.
  const tgz = gzipSync(Buffer.from('kind: NetworkPolicy\n'.repeat(200)));
  const latin1 = Buffer.from('kind: Namespace\nmetadata:\n  name: caf\xe9\n', 'latin1');
  const cases: [string, Uint8Array, string][] = [
    ['logo.png', png, 'a PNG image'],
    ['policies.tar', tar, 'a tar archive'],
    ['netpol', elf, 'an ELF executable'],
    ['policies.tgz', tgz, 'a gzip archive (a .tgz? extract it first)'],
    ['latin1.yaml', latin1, 'not UTF-8 text'],
    ['nul.yaml', Buffer.from('kind: Pod\n\0\0\0 junk\n'), 'binary content (a NUL byte at offset 10)'],
  ];

  test.each(cases)('%s: exit 2, one issue with the file and what it is', async (name, bytes, what) => {
    const file = scratchFile(name, bytes);
    const r = await runCli('validate', '-f', file);
    expect(r.code).toBe(2);
    expect(r.out).toEqual([`error: ${file}: not a YAML or JSON manifest: ${what}`, 'invalid: 1 error(s), 0 warning(s)']);
  });

  test('in a directory beside valid manifests: one issue for it, the others still read', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'netpol-binary-'));
    writeFileSync(join(dir, 'a-cluster.yaml'), readFileSync(ex('production-db/cluster.yaml')));
    writeFileSync(join(dir, 'b-broken.yaml'), png);
    const r = await runCli('validate', '-f', dir, '-o', 'json');
    expect(r.code).toBe(2);
    const doc = JSON.parse(r.out.join('\n'));
    expect(doc.issues).toEqual([
      { code: 'file-unreadable', severity: 'error', file: join(dir, 'b-broken.yaml'), path: '', message: 'not a YAML or JSON manifest: a PNG image' },
    ]);
  });

  test('a device that never ends (/dev/zero): one issue, read no further than its first bytes', async () => {
    const r = await runCli('validate', '-f', '/dev/zero');
    expect(r.code).toBe(2);
    expect(r.out).toEqual(['error: /dev/zero: not a YAML or JSON manifest: binary content (a NUL byte at offset 0)', 'invalid: 1 error(s), 0 warning(s)']);
  });

  test('on stdin: one issue for <stdin>', () => {
    const r = spawnSync(process.execPath, [bin, 'validate', '-f', '-'], { input: tgz, encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stdout.split('\n')[0]).toBe('error: <stdin>: not a YAML or JSON manifest: a gzip archive (a .tgz? extract it first)');
    expect(r.stdout.trim().split('\n')).toHaveLength(2);
  });

  test('verdict and explain refuse it the same way (nothing evaluated)', async () => {
    const file = scratchFile('logo.png', png);
    const r = await runCli('verdict', '-f', file, '--flows', ex('production-db/and/flows.jsonl'));
    expect(r.code).toBe(2);
    expect(r.out).toEqual([]);
    expect(r.err).toEqual([`error: ${file}: not a YAML or JSON manifest: a PNG image`, 'netpol: 1 error(s); nothing was evaluated']);
  });

  test('binaryReason: UTF-8 text with multi-byte characters passes, even cut at the examined length', () => {
    const text = Buffer.from('# ' + 'é'.repeat(10_000) + '\nkind: Namespace\n');
    expect(binaryReason(text)).toBeUndefined();
    expect(binaryReason(text.subarray(0, 8191))).toBeUndefined();
    expect(binaryReason(Buffer.from('\ufeffkind: Namespace\n'))).toBeUndefined(); // a UTF-8 byte order mark
    expect(binaryReason(new Uint8Array(0))).toBeUndefined();
    expect(binaryReason(Buffer.from('{"kind": "List", "items": []}'))).toBeUndefined();
  });
});
