import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts', 'src/schemas.ts', 'src/main.ts'],
  format: ['esm'],
  // Declarations only for the library entry (main.ts is the executable).
  dts: { entry: ['src/index.ts', 'src/schemas.ts'] },
  clean: true,
  sourcemap: true,
  target: 'node20',
  platform: 'node',
});
