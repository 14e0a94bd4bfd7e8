import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Tests spawn the built CLI: dist/ is compiled once here, so none of them runs a stale build.
    globalSetup: ['./test/helpers/build-dist.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: 'forks',
    // Most tests wait on real-time audio and local sockets rather than compute: one worker per core (the default
    // leaves one core idle) halves the suite's wall time on two cores without starving timing-sensitive tests.
    maxWorkers: 2,
    reporters: ['default', './test/helpers/summary-reporter.ts'],
  },
});
