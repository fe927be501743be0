// The packages as a user gets them: packs @netpol/native and @netpol/core with pnpm (prepack
// builds them), checks what the tarballs hold, installs them into fresh projects outside the
// repository with npm and with pnpm (the pinned version, default settings: a package that
// needed a build script would be refused), and there runs the README's "Use it in your
// project" example, `npx netpol --version`, `npx netpol demo`, and checks that the native kernel
// is active from its prebuilt binary. Then the cases nativeStatus() must explain: an install
// without optional dependencies, and a platform without a prebuilt binary (whose build from
// source, by the command the reason gives, must then work). publint and arethetypeswrong
// check both tarballs. Offline but for the npm registry.
//   node scripts/consumer-test.mjs [results.json]   (.ci/run counts the results in its last line)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const PNPM = ['--yes', 'pnpm@12.21.0'];
const work = mkdtempSync(join(tmpdir(), 'netpol-consumer-'));
const results = { passed: 0, failed: 0, checks: [] };

// A user's shell: none of the npm_*/pnpm variables of whatever started this script.
const userEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(npm_|pnpm_)/i.test(k)));

function run(cmd, args, cwd, env = userEnv) {
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
  return { status: r.status, out: r.stdout ?? '', err: r.stderr ?? '', all: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

/** One check: `fn` returns nothing (pass) or throws (fail, with its message). */
function check(name, fn) {
  const start = performance.now();
  const took = () => `(${((performance.now() - start) / 1000).toFixed(1)} s)`;
  try {
    fn();
    results.passed++;
    results.checks.push({ name, ok: true });
    console.log(`ok - ${name} ${took()}`);
  } catch (e) {
    results.failed++;
    results.checks.push({ name, ok: false, error: e.message });
    console.log(`not ok - ${name} ${took()}\n  ${e.message.split('\n').slice(0, 30).join('\n  ')}`);
  }
}

function expect(cond, message) {
  if (!cond) throw new Error(message);
}

function succeeds(r, what) {
  expect(r.status === 0, `${what} exited ${r.status}:\n${r.all.trim().split('\n').slice(-25).join('\n')}`);
  return r;
}

function files(dir) {
  return readdirSync(dir, { recursive: true })
    .map(String)
    .filter((f) => statSync(join(dir, f)).isFile())
    .sort();
}

// --- Packing -------------------------------------------------------------------------------
const packages = { native: join(root, 'packages/native'), core: join(root, 'packages/core') };
const manifest = (dir) => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
const version = manifest(packages.core).version;
const tgzDir = join(work, 'tarballs');
mkdirSync(tgzDir);
const tgz = { native: join(tgzDir, `netpol-native-${manifest(packages.native).version}.tgz`), core: join(tgzDir, `netpol-core-${version}.tgz`) };

check('npm pack refuses to pack (it would keep workspace: ranges), saying to use pnpm', () => {
  const r = run('npm', ['pack', '--dry-run'], packages.core);
  expect(r.status !== 0, 'npm pack succeeded');
  expect(r.all.includes('pack and publish with pnpm'), `no explanation in:\n${r.all}`);
});
for (const name of ['native', 'core']) {
  check(`pnpm pack @netpol/${name} (prepack builds it)`, () => {
    succeeds(run('npx', [...PNPM, 'pack', '--pack-destination', tgzDir], packages[name]), 'pnpm pack');
    expect(existsSync(tgz[name]), `${tgz[name]} was not written`);
  });
}
if (!existsSync(tgz.native) || !existsSync(tgz.core)) finish();

// --- What the tarballs hold --------------------------------------------------------------------
const unpacked = {};
for (const name of ['native', 'core']) {
  unpacked[name] = join(work, `unpacked-${name}`);
  mkdirSync(unpacked[name]);
  run('tar', ['-xzf', tgz[name], '-C', unpacked[name]], work);
  unpacked[name] = join(unpacked[name], 'package');
}
const list = { native: files(unpacked.native), core: files(unpacked.core) };
for (const name of ['native', 'core']) {
  console.log(`# @netpol/${name}: ${statSync(tgz[name]).size} bytes packed, ${list[name].length} files`);
  check(`@netpol/${name} tarball: README.md, LICENSE, CHANGELOG.md`, () => {
    for (const f of ['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md']) expect(list[name].includes(f), `no ${f}`);
    expect(readFileSync(join(unpacked[name], 'LICENSE'), 'utf8') === readFileSync(join(root, 'LICENSE'), 'utf8'), 'LICENSE differs from the repository');
  });
  check(`@netpol/${name} tarball: no tests, source maps, TypeScript sources or monorepo scripts`, () => {
    const bad = list[name].filter((f) => /(^|\/)test\/|\.map$|(?<!\.d)\.[cm]?ts$|sanitize|prebuild\.mjs|harness|^binding\.gyp$|tsconfig/.test(f));
    expect(bad.length === 0, `unexpected: ${bad.join(', ')}`);
  });
  check(`@netpol/${name} manifest: versions only (no workspace:), no install scripts, registry metadata`, () => {
    const text = readFileSync(join(unpacked[name], 'package.json'), 'utf8');
    const m = JSON.parse(text);
    expect(!text.includes('workspace:'), 'a workspace: range');
    for (const s of ['preinstall', 'install', 'postinstall']) expect(!m.scripts?.[s], `a ${s} script: ${m.scripts?.[s]}`);
    expect(m.license === 'Apache-2.0', `license ${m.license}`);
    expect(m.repository?.url && m.homepage && m.bugs?.url && m.keywords?.length > 0, 'repository, homepage, bugs or keywords missing');
    expect(m.publishConfig?.access === 'public', 'publishConfig.access is not public');
  });
}
check('@netpol/core tarball: every example story, and the built dist', () => {
  const missing = files(join(root, 'examples')).filter((f) => !list.core.includes(`examples/${f}`));
  expect(missing.length === 0, `examples missing: ${missing.join(', ')}`);
  for (const f of ['dist/index.js', 'dist/index.d.ts', 'dist/cli/main.js']) expect(list.core.includes(f), `no ${f}`);
  expect(
    JSON.parse(readFileSync(join(unpacked.core, 'package.json'), 'utf8')).optionalDependencies['@netpol/native'] === version,
    'optionalDependencies @netpol/native is not the exact version',
  );
});
check(`@netpol/native tarball: the prebuilt binary for ${process.platform}-${process.arch}`, () => {
  expect(
    list.native.some((f) => f.startsWith(`prebuilds/${process.platform}-${process.arch}/`) && f.endsWith('.node')),
    `no prebuilds/${process.platform}-${process.arch}/*.node in ${list.native.join(', ')}`,
  );
});
check('publint: both tarballs clean (warnings are errors)', () => {
  for (const name of ['native', 'core']) {
    const r = succeeds(run('npx', ['--yes', 'publint@0.3.25', 'run', tgz[name], '--strict'], work), `publint ${name}`);
    expect(r.out.includes('All good!'), r.out);
  }
});
check('arethetypeswrong: both tarballs clean (core: ESM-only profile)', () => {
  succeeds(run('npx', ['--yes', '@arethetypeswrong/cli@0.18.5', tgz.native, '--format', 'ascii'], work), 'attw native');
  succeeds(run('npx', ['--yes', '@arethetypeswrong/cli@0.18.5', tgz.core, '--profile', 'esm-only', '--format', 'ascii'], work), 'attw core');
});

// --- Installed as a user would ----------------------------------------------------------------
/** The README's "Use it in your project" example, as the README and the packed one print it. */
function readmeExample(readme) {
  const section = readme.slice(readme.indexOf('## Use it in your project'));
  const from = section.indexOf('```js\n') + 6;
  return section.slice(from, section.indexOf('\n```', from));
}
const example = readmeExample(readFileSync(join(root, 'README.md'), 'utf8'));
check("the package README's example is the repository README's", () => {
  const packed = readFileSync(join(unpacked.core, 'README.md'), 'utf8');
  expect(packed.includes(`\`\`\`js\n${example}\n\`\`\``), 'packages/core/README.md has another example');
});

const STATUS = "import('@netpol/core').then((m) => console.log(JSON.stringify(m.nativeStatus())))";
function nativeStatusIn(project) {
  const r = succeeds(run(process.execPath, ['-e', STATUS], project), 'nativeStatus()');
  return JSON.parse(r.out);
}

/** Where the project's @netpol/core finds @netpol/native (pnpm: in its virtual store). */
function nativeDirIn(project) {
  const find = "path.dirname(require('node:module').createRequire(require.resolve('@netpol/core')).resolve('@netpol/native/package.json'))";
  return succeeds(run(process.execPath, ['-p', find], project), 'resolving @netpol/native').out.trim();
}

function newProject(name) {
  const dir = join(work, name);
  mkdirSync(dir);
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ name: `consumer-${name}`, private: true, type: 'module' }, null, 2)}\n`);
  return dir;
}

const installs = {
  npm: (dir, ...args) => run('npm', ['install', '--no-audit', '--no-fund', ...args], dir),
  pnpm: (dir, ...args) => run('npx', [...PNPM, 'add', ...args], dir),
};
check('control: pnpm here refuses a package that would build at install (a root binding.gyp), so the pnpm install below means something', () => {
  const pkg = join(work, 'control-package');
  mkdirSync(pkg);
  writeFileSync(join(pkg, 'package.json'), '{ "name": "builds-at-install", "version": "1.0.0" }\n');
  writeFileSync(join(pkg, 'binding.gyp'), '{ "targets": [] }\n');
  succeeds(run('npm', ['pack', '--pack-destination', work], pkg), 'npm pack of the control package');
  const r = installs.pnpm(newProject('control'), join(work, 'builds-at-install-1.0.0.tgz'));
  expect(r.status !== 0 && /ignored build scripts/i.test(r.all), `pnpm installed it (exit ${r.status}):\n${r.all}`);
});
const projects = {};
for (const pm of ['npm', 'pnpm']) {
  const dir = newProject(pm);
  projects[pm] = dir;
  check(`${pm}: installing both tarballs exits 0 and builds nothing`, () => {
    const r = succeeds(installs[pm](dir, tgz.core, tgz.native), `${pm} install`);
    expect(!/gyp info|gyp ERR|ERR_PNPM|ignored build/i.test(r.all), `build output or a refused build:\n${r.all}`);
    const nativeDir = nativeDirIn(dir);
    expect(!existsSync(join(nativeDir, 'build')), `${nativeDir}/build exists: something compiled`);
  });
  check(`${pm}: the native kernel is active, from the prebuilt binary`, () => {
    const s = nativeStatusIn(dir);
    expect(s.active === true && /\/prebuilds\//.test(s.reason), JSON.stringify(s));
  });
  check(`${pm}: the README example runs and prints what its comments say`, () => {
    writeFileSync(join(dir, 'example.mjs'), example);
    const r = succeeds(run(process.execPath, ['example.mjs'], dir), 'example.mjs');
    const printed = r.out
      .trim()
      .split('\n')
      .map((l) => l.trim().replace(/\s+/g, ' '));
    const expected = example
      .split('\n')
      .filter((l) => l.trimStart().startsWith('console.log('))
      .map((l) => l.slice(l.indexOf('// ') + 3).trim());
    expect(
      printed.length === expected.length && printed.every((l, i) => expected[i].startsWith(l)),
      `printed:\n${printed.join('\n')}\nexpected:\n${expected.join('\n')}`,
    );
  });
  check(`${pm}: npx netpol --version prints ${version}`, () => {
    const r = succeeds(run('npx', ['netpol', '--version'], dir), 'netpol --version');
    expect(r.out.trim() === version, `printed ${r.out}`);
  });
  check(`${pm}: npx netpol demo passes (its examples from the package)`, () => {
    const r = succeeds(run('npx', ['netpol', 'demo'], dir), 'netpol demo');
    expect(/flows in \d+ stories: (\d+) as the stories expect, 0 unexpected/.test(r.out), r.out.split('\n').slice(-3).join('\n'));
  });
}

// --- What nativeStatus() says when the addon is not there -------------------------------------
check('npm --omit=optional: inactive, "not installed", and the npm command that adds it', () => {
  const dir = newProject('no-optional');
  succeeds(installs.npm(dir, '--omit=optional', tgz.core), 'npm install --omit=optional');
  const s = nativeStatusIn(dir);
  expect(s.active === false && s.reason.includes('not installed') && s.reason.includes(`\`npm install @netpol/native@${version}\``), JSON.stringify(s));
});
check('npm project with a binary that does not load: inactive, the loader error, and the build from source', () => {
  const dir = join(nativeDirIn(projects.npm), 'prebuilds', `${process.platform}-${process.arch}`);
  for (const f of readdirSync(dir)) {
    rmSync(join(dir, f)); // unlink first: never write through a link into a package store
    writeFileSync(join(dir, f), 'not a shared object\n');
  }
  const s = nativeStatusIn(projects.npm);
  expect(s.active === false && s.reason.includes('failed to load (') && s.reason.includes('scripts/build.mjs`'), JSON.stringify(s));
});
check('pnpm project without a prebuilt binary: inactive, the cause, and a build from source by the command given', () => {
  const dir = projects.pnpm;
  const nativeDir = nativeDirIn(dir);
  rmSync(join(nativeDir, 'prebuilds'), { recursive: true, force: true });
  const before = nativeStatusIn(dir);
  expect(before.active === false && before.reason.includes(`no prebuilt binary for ${process.platform}-${process.arch}`), JSON.stringify(before));
  const command = /`(node [^`]+build\.mjs)`/.exec(before.reason)?.[1];
  expect(command === `node ${join(nativeDir, 'scripts', 'build.mjs')}`, `command: ${command}`);
  if (spawnSync('g++', ['--version']).status !== 0) {
    expect(before.reason.includes('g++'), 'no compiler here, and the reason does not say to install one');
    return;
  }
  succeeds(run(process.execPath, command.split(' ').slice(1), dir), command);
  const after = nativeStatusIn(dir);
  expect(after.active === true && after.reason.includes('/build/Release/'), JSON.stringify(after));
});

finish();

function finish() {
  console.log(`# consumer test: ${results.passed} of ${results.passed + results.failed} checks passed${results.failed ? ` (files kept in ${work})` : ''}`);
  if (process.argv[2]) writeFileSync(process.argv[2], `${JSON.stringify(results, null, 2)}\n`);
  if (results.failed === 0) rmSync(work, { recursive: true, force: true });
  process.exit(results.failed === 0 ? 0 : 1);
}
