// The layer normalization kernels on the CPU: row by row (each row's statistics in double, two
// passes), rows shared among the backend's threads; gamma's and beta's gradients summed in double
// over fixed blocks of rows, the blocks' sums then added in block order, so the bits do not
// depend on the thread count.
#include <algorithm>
#include <cmath>
#include <vector>

#include "../../cpu/parallel.h"
#include "kernels.h"

namespace gradloop {
namespace {

void forwardRows(const float* x, float* y, int64_t first, int64_t last, int64_t cols, float epsilon, const float* gamma,
                 const float* beta, float* mean, float* invStd) {
  for (int64_t r = first; r < last; ++r) {
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

void forward(Backend&, const float* x, float* y, int64_t rows, int64_t cols, float epsilon, const float* gamma,
             const float* beta, float* mean, float* invStd) {
  forEachRange(rows, cols, [&](int64_t first, int64_t last) { forwardRows(x, y, first, last, cols, epsilon, gamma, beta, mean, invStd); });
}

// Rows per block of the parameter gradients' sums.
constexpr int64_t kRowBlock = 64;

// Rows [first, last): dx, and (when asked) gamma's and beta's gradient sums into sumGamma/sumBeta.
void backwardRows(const float* x, const float* dy, int64_t first, int64_t last, int64_t cols, const float* gamma, const float* mean,
                  const float* invStd, float* dx, bool accumulateInput, double* sumGamma, double* sumBeta) {
  for (int64_t r = first; r < last; ++r) {
    const float *xr = x + r * cols, *dyr = dy + r * cols;
    const float mu = mean[r], inv = invStd[r];
    if (sumGamma)
      for (int64_t c = 0; c < cols; ++c) sumGamma[c] += static_cast<double>(dyr[c]) * ((xr[c] - mu) * inv);
    if (sumBeta)
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
}

void backward(Backend&, const float* x, const float* dy, int64_t rows, int64_t cols, const float* gamma, const float* mean,
              const float* invStd, float* dx, bool accumulateInput, float* dGamma, float* dBeta, bool accumulateParams) {
  // Each block's sums (gamma's, then beta's), kept per thread between calls (grown once), so a
  // training step allocates nothing.
  const int64_t blocks = (rows + kRowBlock - 1) / kRowBlock;
  thread_local std::vector<double> sums;
  sums.assign(static_cast<size_t>(2 * cols * blocks), 0.0);
  double* partial = sums.data();
  forEachRange(blocks, kRowBlock * cols, [&](int64_t firstBlock, int64_t lastBlock) {
    for (int64_t k = firstBlock; k < lastBlock; ++k)
      backwardRows(x, dy, k * kRowBlock, std::min(rows, (k + 1) * kRowBlock), cols, gamma, mean, invStd, dx, accumulateInput,
                   dGamma ? partial + 2 * k * cols : nullptr, dBeta ? partial + (2 * k + 1) * cols : nullptr);
  });
  for (int64_t c = 0; dGamma && c < cols; ++c) {
    double total = accumulateParams ? dGamma[c] : 0.0;
    for (int64_t k = 0; k < blocks; ++k) total += partial[2 * k * cols + c];
    dGamma[c] = static_cast<float>(total);
  }
  for (int64_t c = 0; dBeta && c < cols; ++c) {
    double total = accumulateParams ? dBeta[c] : 0.0;
    for (int64_t k = 0; k < blocks; ++k) total += partial[(2 * k + 1) * cols + c];
    dBeta[c] = static_cast<float>(total);
  }
}

}  // namespace

const void* layer_normalizationCpuKernels() {
  static const LayerNormKernels kernels{forward, backward};
  return &kernels;
}

}  // namespace gradloop
