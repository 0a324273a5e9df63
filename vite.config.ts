import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'node',
          include: ['{shared,server,client,demo,tests}/**/*.test.ts'],
          exclude: ['**/*.browser.test.ts', '**/*.dom.test.tsx', '**/*.dom.test.ts', '**/node_modules/**'],
          environment: 'node',
          setupFiles: ['tests/support/fast-check-seed.ts'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        // Component tests of the demo's UI pieces, in happy-dom.
        extends: true,
        test: {
          name: 'dom',
          include: ['demo/**/*.dom.test.tsx', 'client/devtools/**/*.dom.test.ts'],
          environment: 'happy-dom',
          testTimeout: 30_000,
        },
      },
      {
        // Real Chromium driven by playwright-core from Node; one file at a time, since each
        // launches a browser and these machines have two cores.
        extends: true,
        test: {
          name: 'browser',
          include: ['{client,demo,tests}/**/*.browser.test.ts'],
          environment: 'node',
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
