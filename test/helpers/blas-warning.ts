// Verbose output without the warning a fit prints when OpenBLAS runs generic kernels on a CPU
// with AVX2/AVX-512: npm run test:kernels forces such kernels (OPENBLAS_CORETYPE=Prescott), and
// tests about other lines must not depend on it (test/blas-kernels.test.ts tests the warning).
export const withoutBlasWarning = (lines: string[]): string[] => lines.filter((l) => !l.startsWith('Warning: OpenBLAS runs its generic'));
