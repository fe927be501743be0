/**
 * Why the optional native addon (@netpol/native) did not load, in words a user can act on: not
 * installed (an optional dependency left out), no binary for this platform, or a binary that
 * failed to load; and the one command that fixes it. A missing package is fixed with the
 * user's own package manager (told by npm_config_user_agent, which npm, pnpm, yarn and bun set
 * for the scripts they run, or by the lockfile nearest the working directory); a missing or
 * broken binary by building from source with the script the package ships, named by its full
 * path so that it works whatever the package manager and wherever it put the package.
 */
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The package managers whose install command nativeStatus() can give. */
export type PackageManager = 'npm' | 'pnpm' | 'yarn' | 'bun';

const LOCKFILES: readonly (readonly [string, PackageManager])[] = [
  ['pnpm-lock.yaml', 'pnpm'],
  ['yarn.lock', 'yarn'],
  ['bun.lock', 'bun'],
  ['bun.lockb', 'bun'],
  ['package-lock.json', 'npm'],
];

/**
 * The package manager the user runs: the one running this process (npm_config_user_agent,
 * e.g. `pnpm/12.21.0 npm/? node/v20.20.2 linux x64`), else the one whose lockfile is nearest
 * to `cwd` going up, else npm.
 */
export function detectPackageManager(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): PackageManager {
  const agent = /^(npm|pnpm|yarn|bun)\//.exec(env['npm_config_user_agent'] ?? '');
  if (agent) return agent[1] as PackageManager;
  for (let dir = cwd; ; dir = dirname(dir)) {
    const found = LOCKFILES.find(([file]) => existsSync(join(dir, file)));
    if (found) return found[1];
    if (dirname(dir) === dir) return 'npm';
  }
}

/** `npm install <spec>`, `pnpm add <spec>`, ... */
export function addCommand(pm: PackageManager, spec: string): string {
  return pm === 'npm' ? `npm install ${spec}` : `${pm} add ${spec}`;
}

/** What to install so that scripts/build.mjs can compile, on this platform. */
function toolchain(platform: NodeJS.Platform): string {
  if (platform === 'darwin') return 'install the Xcode command line tools (xcode-select --install)';
  if (platform === 'win32') return 'install Visual Studio Build Tools with the C++ workload, and Python 3';
  return "install a C++ compiler, make and python3 (apt-get install g++ make python3, or your distribution's equivalent)";
}

/** The facts the reason is built from (all from the failed require, the environment and the filesystem). */
export interface LoadFailure {
  /** The error require('@netpol/native') threw. */
  readonly error: unknown;
  /** The directory of the installed @netpol/native, or undefined when it is not installed. */
  readonly packageDir: string | undefined;
  /** What @netpol/core asks for in optionalDependencies (a `workspace:` range inside the monorepo). */
  readonly wanted: string | undefined;
  readonly packageManager: PackageManager;
  readonly platform: NodeJS.Platform;
  readonly arch: string;
  /** On Linux, the C library this Node runs on (a glibc binary does not load on musl). */
  readonly libc: 'glibc' | 'musl' | undefined;
  /** The platform directories under the package's prebuilds/, e.g. `linux-x64`. */
  readonly prebuilt: readonly string[];
}

const FALLBACK = 'The JS kernel is used instead (same verdicts; batches are slower).';

/** The sentence nativeStatus().reason carries when the addon is not active. */
export function inactiveReason(f: LoadFailure): string {
  const message = f.error instanceof Error ? (f.error.message.split('\n')[0] ?? '') : String(f.error);
  const code = (f.error as { code?: unknown } | null)?.code;
  const spec = f.wanted && !f.wanted.startsWith('workspace:') ? `@netpol/native@${f.wanted}` : '@netpol/native';
  const add = `\`${addCommand(f.packageManager, spec)}\``;
  if (f.packageDir === undefined) {
    return (
      '@netpol/native is not installed: it is an optional dependency of @netpol/core, and this install left it out ' +
      `(--omit=optional, --no-optional, or a failed install). ${FALLBACK} To add it: ${add}.`
    );
  }
  // The package is there but a module it requires (node-gyp-build) is not: a broken install.
  if (code === 'MODULE_NOT_FOUND') return `@netpol/native is installed incompletely (${message}). ${FALLBACK} To reinstall it: ${add}.`;
  const script = join(f.packageDir, 'scripts', 'build.mjs');
  const build = `${toolchain(f.platform)}, then run \`node ${/^[\w@%+=:,./-]+$/.test(script) ? script : `"${script}"`}\``;
  if (code === 'NETPOL_NATIVE_NO_BUILD') {
    const here = `${f.platform}-${f.arch}${f.libc ? ` (${f.libc})` : ''}`;
    const shipped = f.prebuilt.length > 0 ? `it ships ${f.prebuilt.join(', ')}` : 'it ships none';
    return `@netpol/native has no prebuilt binary for ${here} (${shipped}) and was not built from source. ${FALLBACK} To build it from source: ${build}.`;
  }
  return `@netpol/native failed to load (${message}). ${FALLBACK} To build it from source for this machine: ${build}.`;
}

/** The platforms a package's prebuilds/ holds binaries for: `linux-x64 (glibc)`, ... */
function prebuiltTargets(packageDir: string): string[] {
  const root = join(packageDir, 'prebuilds');
  if (!existsSync(root)) return [];
  return readdirSync(root).flatMap((platform) =>
    readdirSync(join(root, platform)).map((file) => {
      const libc = /\.(glibc|musl)\./.exec(file)?.[1];
      return libc ? `${platform} (${libc})` : platform;
    }),
  );
}

function linuxLibc(): 'glibc' | 'musl' | undefined {
  if (process.platform !== 'linux') return undefined;
  const report = process.report.getReport() as { header?: { glibcVersionRuntime?: string } };
  return report.header?.glibcVersionRuntime ? 'glibc' : 'musl';
}

/**
 * nativeStatus().reason for an addon that failed to load: gathers the facts (where the
 * package is, what it ships, which package manager) for `error`, what `require` (resolving
 * from @netpol/core) threw for '@netpol/native'.
 */
export function describeLoadFailure(error: unknown, require: NodeJS.Require): string {
  let packageDir: string | undefined;
  try {
    packageDir = dirname(require.resolve('@netpol/native/package.json'));
  } catch {
    packageDir = undefined;
  }
  const manifest = require('../../package.json') as { optionalDependencies?: Record<string, string> };
  return inactiveReason({
    error,
    packageDir,
    wanted: manifest.optionalDependencies?.['@netpol/native'],
    packageManager: detectPackageManager(),
    platform: process.platform,
    arch: process.arch,
    libc: linuxLibc(),
    prebuilt: packageDir === undefined ? [] : prebuiltTargets(packageDir),
  });
}
