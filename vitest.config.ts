import { defineConfig } from 'vitest/config';

// Two tiers. `unit`: files named *.unit.test.ts — pure modules, no servers, no processes, no
// native model loads (`npm run test:unit`, seconds). `integration`: every other suite, against the
// real servers; its global setup starts the one shared kube-apiserver + etcd. `npm test` runs both.
export const UNIT_TESTS = 'test/**/*.unit.test.ts';

export default defineConfig({
  test: {
    // Forks, not threads: node-llama-cpp's native addon and the servers' process groups are
    // cleaner to own per process.
    pool: 'forks',
    // Two cores: at most two suites at once, so llama.cpp and the servers are not starved.
    maxWorkers: 2,
    minWorkers: 1,
    testTimeout: 60_000,
    hookTimeout: 180_000,
    teardownTimeout: 30_000,
    projects: [
      { extends: true, test: { name: 'unit', include: [UNIT_TESTS] } },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          exclude: [UNIT_TESTS],
          globalSetup: ['test/harness/global-setup.ts'],
        },
      },
    ],
  },
});
