import { defineConfig } from 'vitest/config';

// The pack-and-install test: packs every publishable package, installs the tarballs with plain npm
// outside the monorepo (npm compiles better-sqlite3 from source: minutes on 2 cores) and runs the
// installed `pincer`. One file, long timeouts.
export default defineConfig({
  test: {
    name: 'install',
    include: ['*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 1_800_000,
  },
});
