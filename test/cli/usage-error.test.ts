// UsageError names itself (it printed as "Error: ..." in stacks and logs).
import { expect, test } from 'vitest';
import { UsageError } from '../../packages/core/src/cli/common.js';

test('UsageError sets name', () => {
  const e = new UsageError('unknown command "x"');
  expect(e.name).toBe('UsageError');
  expect(String(e)).toBe('UsageError: unknown command "x"');
  expect(e.stack?.split('\n')[0]).toBe('UsageError: unknown command "x"');
  expect(e).toBeInstanceOf(Error);
});
