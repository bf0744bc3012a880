import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    name: 'cli',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Integration tests spawn the built binary many times; a busy 2-core CI box needs headroom.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
