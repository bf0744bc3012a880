import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts', 'src/bash-sessions.ts', 'src/host.ts', 'src/testing.ts'],
  format: ['esm'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
  platform: 'node',
  splitting: true,
});
