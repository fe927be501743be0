// The loader's file-system errors with node:fs stubbed: EACCES from stat (which root never
// sees) says "permission denied", and an error that is not the file system's (a bug) is
// thrown, not turned into an issue about the file.
import { beforeEach, expect, it, vi } from 'vitest';

const failures = new Map<string, Error>();

vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const fail = (p: unknown): void => {
    const e = failures.get(String(p));
    if (e) throw e;
  };
  return {
    ...fs,
    statSync: ((p: string, ...rest: unknown[]) => (fail(p), (fs.statSync as (...a: unknown[]) => unknown)(p, ...rest))) as typeof fs.statSync,
  };
});

const { loadFiles } = await import('@netpol/core');

const errno = (code: string, message: string): Error => Object.assign(new Error(`${code}: ${message}, stat`), { code });

beforeEach(() => failures.clear());

it('EACCES from stat: file-unreadable, permission denied', () => {
  failures.set('/stubbed/denied.yaml', errno('EACCES', 'permission denied'));
  expect(loadFiles(['/stubbed/denied.yaml']).issues.map((i) => [i.code, i.message])).toEqual([
    ['file-unreadable', 'cannot read /stubbed/denied.yaml: permission denied'],
  ]);
});

it('an errno this module has no words for: the system message', () => {
  failures.set('/stubbed/io.yaml', errno('EIO', 'i/o error'));
  expect(loadFiles(['/stubbed/io.yaml']).issues.map((i) => i.message)).toEqual(['cannot read /stubbed/io.yaml: EIO: i/o error, stat']);
});

it('an error without an errno code is a bug: it propagates', () => {
  failures.set('/stubbed/bug.yaml', new TypeError('internal bug'));
  expect(() => loadFiles(['/stubbed/bug.yaml'])).toThrow('internal bug');
});
