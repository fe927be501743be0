// The binaries the tarball ships (run by prepack): prebuildify builds the addon with node-gyp
// in src/ against this Node's own headers (npm_config_nodedir: offline), strips it and stores
// it as prebuilds/<platform>-<arch>/@netpol+native.<libc>.node, where node-gyp-build finds it
// without any install step. One N-API build serves every Node version the package supports.
// Monorepo-only: not in the tarball (scripts/build.mjs is the user-facing build from source).
import { spawnSync } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(dirname(fileURLToPath(import.meta.url)));
const nodedir = dirname(dirname(process.execPath));
const prebuildify = createRequire(import.meta.url).resolve('prebuildify/bin.js');

rmSync(join(here, 'prebuilds'), { recursive: true, force: true });
const args = [
  prebuildify,
  '--napi',
  '--strip',
  '--tag-libc',
  `--target=${process.versions.node}`,
  '--name=@netpol/native',
  `--cwd=${join(here, 'src')}`,
  `--out=${here}`,
];
const r = spawnSync(process.execPath, args, { stdio: 'inherit', env: { ...process.env, npm_config_nodedir: nodedir } });
if (r.status !== 0) {
  process.stderr.write('@netpol/native: prebuild failed; the tarball would have no binary\n');
  process.exit(1);
}
const dir = join(here, 'prebuilds', `${process.platform}-${process.arch}`);
process.stderr.write(
  `@netpol/native: prebuilt ${readdirSync(dir)
    .map((f) => join(dir, f))
    .join(', ')}\n`,
);
