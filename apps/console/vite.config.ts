import { defineConfig } from 'vite';

// The gateway serves the build at /console/ with `default-src 'self'` and no inline script or
// style, so the build must emit only same-origin files: no inlined data: assets, no inline
// module-preload polyfill (every browser the console targets supports modulepreload).
export default defineConfig({
  base: '/console/',
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
    reportCompressedSize: false,
  },
});
