import { defineConfig } from 'tsup';

// Built so the gateway (or a demo) can load the example plugin with plain Node; types come from src.
export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm'],
  dts: false,
  clean: true,
  sourcemap: true,
  target: 'node20',
  platform: 'node',
});
