import { defineConfig } from 'vitest/config';

// The repo scripts' own tests (check-changesets on temporary git repos).
export default defineConfig({
  test: {
    name: 'scripts',
    include: ['*.test.ts'],
    testTimeout: 30_000,
  },
});
