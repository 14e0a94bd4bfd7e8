import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Tests spawn the built CLI: dist/ is compiled once here, so none of them runs a stale build.
    globalSetup: ['./test/helpers/build-dist.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: 'forks',
    // Most tests wait on real-time audio and local sockets rather than compute: the default (one worker fewer than
    // cores) left a two-core machine mostly idle. Three workers: about 150 s against about 300 s, every test green.
    maxWorkers: 3,
    reporters: ['default', './test/helpers/summary-reporter.ts'],
  },
});
