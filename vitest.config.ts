import { defineConfig } from 'vitest/config';

// One Vitest run over every workspace project. Each package/app owns its own
// `vitest.config.ts` (name, include, timeouts); this file only lists them.
export default defineConfig({
  test: {
    projects: ['packages/*', 'apps/*', 'examples/*', 'tests', 'tests/install', 'scripts'],
  },
});
