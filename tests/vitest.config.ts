import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    name: 'tests',
    include: ['e2e/**/*.test.ts', 'reliability/**/*.test.ts', 'cluster/**/*.test.ts'],
    globalSetup: ['support/postgres-global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    // These suites start real gateways and floods of real processes: run files one
    // at a time so a 2-core CI machine is not oversubscribed.
    fileParallelism: false,
  },
});
