import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/harness/global-setup.ts'],
    // Forks, not threads: node-llama-cpp's native addon and the servers' process groups are
    // cleaner to own per process.
    pool: 'forks',
    // Two cores: at most two suites at once, so llama.cpp and the servers are not starved.
    maxWorkers: 2,
    minWorkers: 1,
    testTimeout: 60_000,
    hookTimeout: 180_000,
    teardownTimeout: 30_000,
  },
});
