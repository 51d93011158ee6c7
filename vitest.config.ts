import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    // The native addon uses the machine's cores for BLAS; files run one at a time so they do not fight over them.
    fileParallelism: false,
  },
});
