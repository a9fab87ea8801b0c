import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';
import { LongestFirstSequencer } from './test/helpers/sequencer.js';

export default defineConfig({
  test: {
    pool: 'forks',
    // Five files on two cores: most test time is waiting on scaled timers, servers and child
    // processes. They share one dev server (a namespace each) and one workflow bundle, both made
    // by global setup.
    maxWorkers: Math.ceil(availableParallelism() * 2.5),
    fileParallelism: true,
    sequence: { sequencer: LongestFirstSequencer },
    // A flaky test is a defect to find, never to retry.
    retry: 0,
    testTimeout: 120_000,
    hookTimeout: 180_000,
    globalSetup: ['test/helpers/global-setup.ts'],
    include: ['test/**/*.test.ts'],
  },
});
