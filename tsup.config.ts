import { defineConfig } from 'tsup';

// ESM and CommonJS builds of the public API with type declarations for both, and the
// `gradloop` command (dist/cli.js, ESM; its shebang line is kept and the file made executable).
export default defineConfig({
  entry: { index: 'src/index.ts', cli: 'src/cli/main.ts' },
  format: ['esm', 'cjs'],
  dts: { entry: 'src/index.ts' },
  shims: true, // import.meta.url in the CommonJS build (locating the addon)
  clean: true,
  target: 'node20',
  sourcemap: true,
});
