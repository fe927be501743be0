// The sources and the tests type-check under the strict base config (vitest itself only
// strips types, so a type error would otherwise go unnoticed).
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { expect, test } from 'vitest';

const root = join(import.meta.dirname, '../..');
const tsc = createRequire(join(root, 'packages/core/package.json')).resolve('typescript/bin/tsc');

test.each(['packages/core/tsconfig.json', 'test/tsconfig.json'])('tsc --noEmit -p %s', (project) => {
  let output = '';
  try {
    execFileSync(process.execPath, [tsc, '--noEmit', '-p', join(root, project)], { encoding: 'utf8', stdio: 'pipe' });
  } catch (e) {
    output = String((e as { stdout?: string }).stdout ?? e);
  }
  expect(output).toBe('');
});
