// The position embedding kernels on the CPU.
#include <cstring>

#include "kernels.h"

namespace gradloop {
namespace {

void forward(Backend&, const float* x, const float* table, float* y, int64_t batch, int64_t n) {
  for (int64_t b = 0; b < batch; ++b) {
    float* yb = y + b * n;
    if (!x) {
      std::memcpy(yb, table, static_cast<size_t>(n) * sizeof(float));
      continue;
    }
    const float* xb = x + b * n;
#pragma omp simd
    for (int64_t i = 0; i < n; ++i) yb[i] = xb[i] + table[i];
  }
}

void backward(Backend&, const float* dy, float* dTable, int64_t batch, int64_t n, int64_t total, bool accumulate) {
  if (!accumulate) std::memset(dTable, 0, static_cast<size_t>(total) * sizeof(float));
  for (int64_t b = 0; b < batch; ++b) {
    const float* g = dy + b * n;
#pragma omp simd
    for (int64_t i = 0; i < n; ++i) dTable[i] += g[i];
  }
}

}  // namespace

const void* position_embeddingCpuKernels() {
  static const PositionEmbeddingKernels kernels{forward, backward};
  return &kernels;
}

}  // namespace gradloop
