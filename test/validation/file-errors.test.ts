// A path the file system refuses is reported with the system's reason (not always "no such
// file"), and an unreadable directory is an issue, not an exception out of loadFiles.
// Permissions are tested for real in a child process running as `nobody` when the suite runs
// as root (root reads anything); the stubbed errors are in file-errors-stubbed.test.ts.
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadFiles, type Issue } from '@netpol/core';

const root = mkdtempSync(join(tmpdir(), 'netpol-file-errors-'));
chmodSync(root, 0o755); // traversable by the unprivileged child
afterAll(() => {
  if (existsSync(join(root, 'locked'))) chmodSync(join(root, 'locked'), 0o755); // so that it can be removed
  rmSync(root, { recursive: true, force: true });
});

const brief = (issues: readonly Issue[]) => issues.map((i) => [i.code, i.message]);

describe('stat and read failures', () => {
  it('a missing path: file-not-found, no such file or directory', () => {
    const p = join(root, 'missing.yaml');
    expect(brief(loadFiles([p]).issues)).toEqual([['file-not-found', `cannot read ${p}: no such file or directory`]]);
  });

  it('a path through a regular file: not a directory', () => {
    writeFileSync(join(root, 'plain.yaml'), '');
    const p = join(root, 'plain.yaml', 'x.yaml');
    expect(brief(loadFiles([p]).issues)).toEqual([['file-not-found', `cannot read ${p}: not a directory (a component of the path is a file)`]]);
  });

  it('a symbolic link to itself: file-unreadable, too many levels of symbolic links', () => {
    const p = join(root, 'loop.yaml');
    symlinkSync(p, p);
    expect(brief(loadFiles([p]).issues)).toEqual([['file-unreadable', `cannot read ${p}: too many levels of symbolic links`]]);
  });

  it('an unreadable directory and file: permission denied (an unprivileged process)', () => {
    const locked = join(root, 'locked');
    mkdirSync(join(locked, 'inner'), { recursive: true });
    writeFileSync(join(root, 'secret.yaml'), 'apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n');
    chmodSync(join(root, 'secret.yaml'), 0o000);
    chmodSync(locked, 0o000);
    // The built package, run as nobody when this suite runs as root. Nobody may not be able to
    // read the checkout (a clone in a private temporary directory), so the loader and its one
    // runtime dependency are copied beside the files, into the traversable root.
    const core = fileURLToPath(new URL('../../packages/core/', import.meta.url));
    const pkg = join(root, 'pkg');
    cpSync(join(core, 'dist'), join(pkg, 'dist'), { recursive: true });
    cpSync(join(core, 'package.json'), join(pkg, 'package.json'));
    const yamlDir = dirname(createRequire(join(core, 'package.json')).resolve('yaml/package.json'));
    cpSync(yamlDir, join(pkg, 'node_modules', 'yaml'), { recursive: true, dereference: true });
    const dist = join(pkg, 'dist', 'load', 'load.js');
    const script = `import { loadFiles } from ${JSON.stringify(dist)};
      const show = (paths, o) => loadFiles(paths, o).issues.map((i) => [i.code, i.message]);
      console.log(JSON.stringify([show([${JSON.stringify(locked)}]), show([${JSON.stringify(join(locked, 'inner'))}]), show([${JSON.stringify(join(root, 'secret.yaml'))}])]));`;
    const asRoot = process.getuid?.() === 0;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', ...(asRoot && { uid: 65534, gid: 65534 }) });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual([
      // readdir of the directory itself refused: an issue, where it used to throw out of loadFiles.
      [['file-unreadable', `cannot read ${locked}: permission denied`]],
      // stat through it refused: not "no such file".
      [['file-unreadable', `cannot read ${join(locked, 'inner')}: permission denied`]],
      [['file-unreadable', `cannot read ${join(root, 'secret.yaml')}: permission denied`]],
    ]);
  });
});
