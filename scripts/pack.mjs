// prepack/postpack of the published packages (@netpol/core, @netpol/native), run in the
// package's directory by `pnpm pack` / `pnpm publish`:
//   node ../../scripts/pack.mjs          refuse any packer but pnpm; copy the repository's
//                                        LICENSE (and, for @netpol/core, examples/) into the package
//   node ../../scripts/pack.mjs --clean  remove those copies again
// Only pnpm rewrites the `workspace:` ranges between the packages into versions; `npm pack`
// would publish `"@netpol/native": "workspace:*"`, which no one can install.
import { cpSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const pkg = process.cwd();
const root = join(pkg, '..', '..');
const { name } = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8'));
const copies = [['LICENSE', 'LICENSE'], ...(name === '@netpol/core' ? [['examples', 'examples']] : [])];

if (process.argv.includes('--clean')) {
  for (const [, to] of copies) rmSync(join(pkg, to), { recursive: true, force: true });
  process.exit(0);
}
const agent = process.env.npm_config_user_agent ?? '';
if (!agent.startsWith('pnpm/')) {
  process.stderr.write(
    `${name}: pack and publish with pnpm (npx --yes pnpm@12.21.0 pack, or publish -r), not ${agent.split(' ')[0] || 'this tool'}: ` +
      'only pnpm rewrites the workspace: dependency ranges into the versions users can install.\n',
  );
  process.exit(1);
}
for (const [from, to] of copies) {
  if (!existsSync(join(root, from))) throw new Error(`${join(root, from)} is missing`);
  rmSync(join(pkg, to), { recursive: true, force: true });
  cpSync(join(root, from), join(pkg, to), { recursive: true });
}
