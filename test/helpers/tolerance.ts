// How far apart two correct float32 implementations of the same model may be. Each output is a
// sum of k products per layer; summed in another order (another BLAS kernel set, onnxruntime's
// MLAS, cuBLAS) its rounding error grows like sqrt(k) * 2^-24 relative to the sum's magnitude,
// and it adds up over the layers. Bit-exact comparisons stay where gradloop is compared with
// itself on the same kernels (determinism, resume); comparisons with another implementation use
// this bound, so they hold under every kernel set (npm run test:kernels).
const FLOAT32_UNIT_ROUNDOFF = 2 ** -24;

/**
 * atol + rtol·|reference| for outputs that went through `layers` reductions of length up to `k`:
 * rtol is 8·sqrt(k)·2^-24 per layer (a factor 8 over the typical error, so a real bug, wrong by
 * 1e-3 or more, still fails); atol 1e-5 covers outputs near zero and the few float32 ulps by which
 * transcendental functions (tanh, erf, exp) differ between libraries.
 */
export function float32Tolerance(k: number, layers = 1): { atol: number; rtol: number } {
  return { atol: 1e-5, rtol: 8 * Math.sqrt(k) * layers * FLOAT32_UNIT_ROUNDOFF };
}
