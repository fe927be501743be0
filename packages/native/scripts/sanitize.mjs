// Builds the kernel with AddressSanitizer + UndefinedBehaviorSanitizer and runs it over
// images compiled from random and synthetic clusters (half of them with Admin and Baseline
// cluster-scoped policies, so the tier tables are not the empty 1 × 1 ones), random batches,
// and corrupted images (test/harness.cc). Exit code 0 only when every run is clean.
//   npx --yes pnpm@12.21.0 --filter @netpol/native run sanitize
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';

const here = dirname(dirname(fileURLToPath(import.meta.url)));
const core = join(here, '../core/dist');
const { compile } = await import(join(core, 'index.js'));
const { syntheticCluster, SIZES } = await import(join(core, 'internal.js'));
const { clusterArbitrary } = await import(join(core, 'fuzz/arbitraries.js'));

const dir = mkdtempSync(join(tmpdir(), 'netpol-sanitize-'));
const files = [];
const save = (name, image) => {
  const file = join(dir, `${name}.img`);
  writeFileSync(file, new Uint8Array(image));
  files.push(file);
};
const options = (i) => ({
  ipBlockMatchesPods: i % 2 === 0,
  allowEgressToLocalNode: i % 3 === 0,
  ipv4MappedAsIPv4: i % 5 === 0,
  allowICMPv6NeighborDiscovery: i % 7 === 0,
});
fc.sample(clusterArbitrary(), { numRuns: 12, seed: 20261123 }).forEach((cluster, i) => save(`random-${i}`, compile(cluster, options(i)).image));
const tiered = fc.sample(clusterArbitrary({ maxClusterPolicies: 6 }), { numRuns: 16, seed: 20261207 }).filter((c) => (c.clusterPolicies ?? []).length > 0);
tiered.forEach((cluster, i) => save(`random-tiers-${i}`, compile(cluster, options(i)).image));
save('synthetic-S', compile(syntheticCluster({ ...SIZES.S, seed: 1 })).image);
save('synthetic-M', compile(syntheticCluster({ ...SIZES.M, seed: 2 })).image);
save('synthetic-M-tiers', compile(syntheticCluster({ ...SIZES.M, clusterPolicies: 20, seed: 3 })).image);

const exe = join(dir, 'harness');
const cxx = process.env.CXX ?? 'g++';
const build = spawnSync(
  cxx,
  [
    '-std=c++17',
    '-O1',
    '-g',
    '-fno-omit-frame-pointer',
    '-fsanitize=address,undefined',
    '-fno-sanitize-recover=all',
    join(here, 'test/harness.cc'),
    join(here, 'src/kernel.cc'),
    '-o',
    exe,
  ],
  { stdio: 'inherit' },
);
if (build.status !== 0) {
  console.error(`sanitize: could not build the harness with ${cxx}`);
  process.exit(1);
}
const run = spawnSync(exe, files, {
  stdio: 'inherit',
  // Leak checking needs ptrace, which sandboxes often deny; bounds and UB checks do not.
  env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=0:abort_on_error=1', UBSAN_OPTIONS: 'print_stacktrace=1:halt_on_error=1' },
});
process.exit(run.status ?? 1);
