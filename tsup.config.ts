import { defineConfig } from 'tsup';

// ESM and CommonJS builds of the public API with type declarations for both.
export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  shims: true, // import.meta.url in the CommonJS build (locating the addon)
  clean: true,
  target: 'node20',
  sourcemap: true,
});
