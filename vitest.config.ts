// Five suites: unit specs beside the code, integration against real broker/DB, e2e with Chromium
// (these three are `npm test`), the long fault and fuzz runs (`npm run test:faults`), and the
// process-killing runs of `npm start` and of cluster mode (`npm run test:cluster`).
import { defineConfig } from 'vitest/config';

// expect.poll waits up to 10 s (Vitest's default, 1 s, flakes on a busy 2-core machine). Set per
// project: inline projects do not inherit the root `test` options.
const expect = { poll: { timeout: 10_000 } };

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          expect,
          include: ['contract/src/**/*.test.ts', 'broker/src/**/*.test.ts', 'server/src/**/*.test.ts', 'simulators/src/**/*.test.ts', 'web/src/**/*.test.ts', 'scripts/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'integration',
          expect,
          include: ['tests/integration/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 60_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'e2e',
          expect,
          include: ['tests/e2e/**/*.test.ts'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'faults',
          expect,
          include: ['tests/faults/**/*.test.ts'],
          environment: 'node',
          testTimeout: 600_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'cluster',
          expect,
          include: ['tests/cluster/**/*.test.ts'],
          environment: 'node',
          testTimeout: 900_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
