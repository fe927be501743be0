// Builds the addon offline: node-gyp against the headers that ship with this Node (never
// downloaded). With --optional (what install runs) a failed build is a warning, not an
// error: @netpol/core then uses its JS kernel and nativeStatus() says why.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(dirname(fileURLToPath(import.meta.url)));
const optional = process.argv.includes('--optional');
const nodedir = dirname(dirname(process.execPath)); // <prefix>/bin/node → <prefix>, which holds include/node
const say = (m) => process.stderr.write(`@netpol/native: ${m}\n`);

if (process.env.NETPOL_NATIVE === '0') {
  say('NETPOL_NATIVE=0: not building the addon');
  process.exit(0);
}
if (!existsSync(join(nodedir, 'include', 'node', 'node_api.h'))) {
  say(`no Node headers under ${nodedir}/include/node; cannot build offline`);
  process.exit(optional ? 0 : 1);
}
let gyp;
try {
  gyp = createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js');
} catch {
  say('node-gyp is not installed');
  process.exit(optional ? 0 : 1);
}
const r = spawnSync(process.execPath, [gyp, 'rebuild', `--nodedir=${nodedir}`, '--jobs=max'], { cwd: here, stdio: optional ? ['ignore', 'ignore', 'pipe'] : 'inherit', encoding: 'utf8' });
if (r.status !== 0) {
  say(`build failed${r.stderr ? `:\n${r.stderr.split('\n').slice(-15).join('\n')}` : ''}`);
  say('the JS kernel will be used; install g++, make and python3, then run: npx --yes pnpm@12.21.0 --filter @netpol/native run build');
  process.exit(optional ? 0 : 1);
}
say('built build/Release/netpol_native.node');
