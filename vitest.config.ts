import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    pool: 'forks',
    // Two cores: at most two test files at once. They share one dev server (a namespace each) and
    // one workflow bundle, both made by global setup.
    maxWorkers: 2,
    fileParallelism: true,
    // A flaky test is a defect to find, never to retry.
    retry: 0,
    testTimeout: 120_000,
    hookTimeout: 180_000,
    globalSetup: ['test/helpers/global-setup.ts'],
    include: ['test/**/*.test.ts'],
  },
});
