import { configDefaults, defineConfig } from 'vitest/config';

// One runner for the monorepo: unit tests live beside each package's source,
// end-to-end tests (real sylkd and sylk processes) live in test/.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          sequence: { groupOrder: 0 },
          include: ['packages/*/src/**/*.test.ts', 'daemon/src/**/*.test.ts', 'cli/src/**/*.test.ts'],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'e2e',
          // After the unit tests, with fewer workers.
          sequence: { groupOrder: 1 },
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, 'test/integration/**'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          // Real daemons, sockets and subprocesses: keep load moderate on 2 cores.
          maxWorkers: 2,
        },
      },
      {
        test: {
          name: 'integration',
          // Real adapters, gate and emulator over loopback HTTP, in-process; after the e2e tests.
          sequence: { groupOrder: 2 },
          include: ['test/integration/**/*.test.ts'],
          testTimeout: 30_000,
          hookTimeout: 30_000,
          maxWorkers: 2,
        },
      },
    ],
  },
});
