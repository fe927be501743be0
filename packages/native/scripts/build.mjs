// Builds the addon from source: node-gyp against the headers that ship with this Node
// (--nodedir = the Node install prefix: offline, nothing is downloaded), in src/, where binding.gyp
// lives (not at the package root: npm and pnpm treat a root binding.gyp as an install step, and
// the published package must install without running anything). The result goes to
// build/Release/netpol_native.node, which node-gyp-build (index.cjs) prefers over the
// binaries prebuilt in prebuilds/.
//   node scripts/build.mjs             build, or fail (exit 1) saying why
//   node scripts/build.mjs --optional  a failed build is a warning (the monorepo's install on a
//                                      machine without a compiler: @netpol/core uses its JS kernel)
// Works the same in the monorepo and in an installed package (nativeStatus() in @netpol/core
// prints this script's full path when a build from source is what is missing).
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, renameSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(dirname(fileURLToPath(import.meta.url)));
const src = join(here, 'src');
const optional = process.argv.includes('--optional');
const nodedir = dirname(dirname(process.execPath)); // <prefix>/bin/node → <prefix>, which holds include/node
const say = (m) => process.stderr.write(`@netpol/native: ${m}\n`);
const give = (m) => {
  say(m);
  process.exit(optional ? 0 : 1);
};

if (process.env.NETPOL_NATIVE === '0') {
  say('NETPOL_NATIVE=0: not building the addon');
  process.exit(0);
}
// Node's own headers when this install has them (Linux and macOS installs do); otherwise
// node-gyp fetches the headers of this Node version (Windows installs ship none).
const headers = existsSync(join(nodedir, 'include', 'node', 'node_api.h'));
if (!headers) say(`no Node headers under ${join(nodedir, 'include', 'node')}: node-gyp will download them`);

// node-gyp: this package's own (a development dependency, in the monorepo), else the copy npm
// ships with Node (an installed package has no development dependencies).
function findNodeGyp() {
  try {
    return createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js');
  } catch {
    const bundled = join(nodedir, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
    return existsSync(bundled) ? bundled : undefined;
  }
}
const gyp = findNodeGyp();
if (!gyp) give('node-gyp is not installed (npm install --global node-gyp)');

const r = spawnSync(process.execPath, [gyp, 'rebuild', ...(headers ? [`--nodedir=${nodedir}`] : []), '--jobs=max'], {
  cwd: src,
  stdio: optional ? ['ignore', 'ignore', 'pipe'] : 'inherit',
  encoding: 'utf8',
});
if (r.status !== 0) {
  say(`build failed${r.stderr ? `:\n${r.stderr.split('\n').slice(-15).join('\n')}` : ''}`);
  give(`the JS kernel will be used; install g++, make and python3, then run: node ${join(here, 'scripts', 'build.mjs')}`);
}
const out = join(here, 'build', 'Release');
mkdirSync(out, { recursive: true });
// Copy beside, then rename: overwriting the file in place would change the pages of a process
// that has the addon loaded (a test run during a rebuild died with SIGILL); a rename leaves that
// process its old file.
const tmp = join(out, `netpol_native.node.${process.pid}.tmp`);
copyFileSync(join(src, 'build', 'Release', 'netpol_native.node'), tmp);
renameSync(tmp, join(out, 'netpol_native.node'));
say(`built ${join(out, 'netpol_native.node')}`);
