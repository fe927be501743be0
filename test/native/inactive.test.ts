// nativeStatus()'s reason when the addon is inactive: each cause named, with the one command
// that fixes it for the user's package manager, and never a command that only works inside
// this monorepo. The consumer test (scripts/consumer-test.mjs) checks the same three causes
// on real installs.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { addCommand, detectPackageManager, inactiveReason, type LoadFailure } from '../../packages/core/src/native/inactive.js';

const base: LoadFailure = {
  error: new Error("Cannot find module '@netpol/native'\nRequire stack: ..."),
  packageDir: undefined,
  wanted: '0.1.0',
  packageManager: 'npm',
  platform: 'linux',
  arch: 'x64',
  libc: 'glibc',
  prebuilt: [],
};

describe('inactiveReason', () => {
  test('not installed: the install command of the package manager in use, at the version core wants', () => {
    expect(inactiveReason(base)).toContain('not installed');
    expect(inactiveReason(base)).toContain('`npm install @netpol/native@0.1.0`');
    expect(inactiveReason({ ...base, packageManager: 'pnpm' })).toContain('`pnpm add @netpol/native@0.1.0`');
    expect(inactiveReason({ ...base, packageManager: 'yarn' })).toContain('`yarn add @netpol/native@0.1.0`');
    // Inside the monorepo core asks for workspace:*, which is no version to install.
    expect(inactiveReason({ ...base, wanted: 'workspace:*' })).toContain('`npm install @netpol/native`');
  });

  test('no binary for this platform: what ships, and the build script by its full path', () => {
    const noBuild = Object.assign(new Error('No native build was found for platform=linux arch=arm64 ...'), { code: 'NETPOL_NATIVE_NO_BUILD' });
    const r = inactiveReason({
      ...base,
      error: noBuild,
      packageDir: '/p/node_modules/@netpol/native',
      arch: 'arm64',
      libc: 'musl',
      prebuilt: ['linux-x64 (glibc)'],
    });
    expect(r).toContain('no prebuilt binary for linux-arm64 (musl) (it ships linux-x64 (glibc))');
    expect(r).toContain('apt-get install g++ make python3');
    expect(r).toContain('`node /p/node_modules/@netpol/native/scripts/build.mjs`');
    const mac = inactiveReason({ ...base, error: noBuild, packageDir: '/p', platform: 'darwin', arch: 'arm64', libc: undefined });
    expect(mac).toContain('no prebuilt binary for darwin-arm64 (it ships none)');
    expect(mac).toContain('xcode-select --install');
  });

  test('a binary that fails to load: its error, then the build from source', () => {
    const dlopen = Object.assign(new Error('/p/prebuilds/linux-x64/@netpol+native.glibc.node: invalid ELF header'), { code: 'ERR_DLOPEN_FAILED' });
    const r = inactiveReason({ ...base, error: dlopen, packageDir: '/p' });
    expect(r).toContain('failed to load (/p/prebuilds/linux-x64/@netpol+native.glibc.node: invalid ELF header)');
    expect(r).toContain('`node /p/scripts/build.mjs`');
    // A path a shell would split is quoted.
    expect(inactiveReason({ ...base, error: dlopen, packageDir: '/home/a b/node_modules/@netpol/native' })).toContain(
      '`node "/home/a b/node_modules/@netpol/native/scripts/build.mjs"`',
    );
  });

  test('installed without a module it needs: reinstall, not build', () => {
    const missing = Object.assign(new Error("Cannot find module 'node-gyp-build'\nRequire stack: ..."), { code: 'MODULE_NOT_FOUND' });
    const r = inactiveReason({ ...base, error: missing, packageDir: '/p', packageManager: 'pnpm' });
    expect(r).toContain("installed incompletely (Cannot find module 'node-gyp-build')");
    expect(r).toContain('`pnpm add @netpol/native@0.1.0`');
    expect(r).not.toContain('build.mjs');
  });

  test('never a monorepo-only command', () => {
    for (const packageManager of ['npm', 'pnpm', 'yarn', 'bun'] as const)
      for (const f of [
        base,
        { ...base, packageDir: '/p', error: Object.assign(new Error('x'), { code: 'NETPOL_NATIVE_NO_BUILD' }) },
        { ...base, packageDir: '/p' },
      ]) {
        const r = inactiveReason({ ...f, packageManager });
        expect(r).not.toMatch(/--filter|pnpm@|packages\/native/);
        expect(r).toContain('JS kernel is used instead');
      }
  });
});

describe('detectPackageManager', () => {
  const dir = mkdtempSync(join(tmpdir(), 'netpol-pm-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('the running package manager first (npm_config_user_agent)', () => {
    expect(detectPackageManager({ npm_config_user_agent: 'pnpm/12.21.0 npm/? node/v20.20.2 linux x64' }, dir)).toBe('pnpm');
    expect(detectPackageManager({ npm_config_user_agent: 'yarn/4.5.0 npm/? node/v20.20.2 linux x64' }, dir)).toBe('yarn');
    expect(detectPackageManager({ npm_config_user_agent: 'npm/11.19.1 node/v20.20.2 linux x64 workspaces/false' }, dir)).toBe('npm');
  });

  test('else the nearest lockfile going up, else npm', () => {
    const project = join(dir, 'project');
    const nested = join(project, 'src', 'deep');
    mkdirSync(nested, { recursive: true });
    // No lockfile up to the filesystem root (a tmpdir has none): npm.
    expect(detectPackageManager({}, nested)).toBe('npm');
    writeFileSync(join(dir, 'yarn.lock'), '');
    expect(detectPackageManager({}, nested)).toBe('yarn');
    writeFileSync(join(project, 'pnpm-lock.yaml'), '');
    expect(detectPackageManager({}, nested)).toBe('pnpm');
  });

  test('addCommand', () => {
    expect(addCommand('npm', 'x')).toBe('npm install x');
    expect(addCommand('bun', 'x')).toBe('bun add x');
  });
});
