// The layer normalization kernels on the CPU: row by row (each row's statistics in double, two
// passes), and gamma's and beta's gradients summed over rows in order, in double.
#include <cmath>
#include <vector>

#include "kernels.h"

namespace gradloop {
namespace {

void forward(Backend&, const float* x, float* y, int64_t rows, int64_t cols, float epsilon, const float* gamma,
             const float* beta, float* mean, float* invStd) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * cols;
    float* yr = y + r * cols;
    double s = 0, q = 0;
    for (int64_t c = 0; c < cols; ++c) s += xr[c];
    const float mu = static_cast<float>(s / static_cast<double>(cols));
    for (int64_t c = 0; c < cols; ++c) {
      const float d = xr[c] - mu;
      q += static_cast<double>(d) * d;
    }
    const float inv = static_cast<float>(1.0 / std::sqrt(q / static_cast<double>(cols) + epsilon));
    mean[r] = mu, invStd[r] = inv;
#pragma omp simd
    for (int64_t c = 0; c < cols; ++c) yr[c] = (xr[c] - mu) * inv * (gamma ? gamma[c] : 1.0f) + (beta ? beta[c] : 0.0f);
  }
}

void backward(Backend&, const float* x, const float* dy, int64_t rows, int64_t cols, const float* gamma, const float* mean,
              const float* invStd, float* dx, bool accumulateInput, float* dGamma, float* dBeta, bool accumulateParams) {
  // Kept per thread between calls (grown once), so a training step allocates nothing.
  thread_local std::vector<double> sums;
  sums.assign(static_cast<size_t>(2 * cols), 0.0);
  double *sumGamma = sums.data(), *sumBeta = sumGamma + cols;
  for (int64_t r = 0; r < rows; ++r) {
    const float *xr = x + r * cols, *dyr = dy + r * cols;
    const float mu = mean[r], inv = invStd[r];
    if (dGamma)
      for (int64_t c = 0; c < cols; ++c) sumGamma[c] += static_cast<double>(dyr[c]) * ((xr[c] - mu) * inv);
    if (dBeta)
      for (int64_t c = 0; c < cols; ++c) sumBeta[c] += dyr[c];
    if (!dx) continue;
    // g = dy * gamma; dx = inv * (g - mean(g) - xhat * mean(g * xhat)).
    double sg = 0, sgx = 0;
    for (int64_t c = 0; c < cols; ++c) {
      const float g = dyr[c] * (gamma ? gamma[c] : 1.0f);
      sg += g;
      sgx += static_cast<double>(g) * ((xr[c] - mu) * inv);
    }
    const float meanG = static_cast<float>(sg / static_cast<double>(cols)), meanGx = static_cast<float>(sgx / static_cast<double>(cols));
    float* dxr = dx + r * cols;
#pragma omp simd
    for (int64_t c = 0; c < cols; ++c) {
      const float v = inv * (dyr[c] * (gamma ? gamma[c] : 1.0f) - meanG - (xr[c] - mu) * inv * meanGx);
      dxr[c] = accumulateInput ? dxr[c] + v : v;
    }
  }
  for (int64_t c = 0; dGamma && c < cols; ++c) dGamma[c] = static_cast<float>(sumGamma[c] + (accumulateParams ? dGamma[c] : 0.0));
  for (int64_t c = 0; dBeta && c < cols; ++c) dBeta[c] = static_cast<float>(sumBeta[c] + (accumulateParams ? dBeta[c] : 0.0));
}

}  // namespace

const void* layer_normalizationCpuKernels() {
  static const LayerNormKernels kernels{forward, backward};
  return &kernels;
}

}  // namespace gradloop
