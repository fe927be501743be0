import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // Tests exercise the TypeScript sources; the CLI tests run the built dist.
    // The subpath first: a string alias would also rewrite '@netpol/core/internal'.
    alias: [
      { find: '@netpol/core/internal', replacement: fileURLToPath(new URL('./packages/core/src/internal.ts', import.meta.url)) },
      { find: /^@netpol\/core$/, replacement: fileURLToPath(new URL('./packages/core/src/index.ts', import.meta.url)) },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    setupFiles: ['test/setup.ts'],
    // The JSON report is what .ci/run counts (it prints the `N passed, M failed` line).
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results.json' },
  },
});
