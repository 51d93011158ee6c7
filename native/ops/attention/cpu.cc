// The attention kernel on the CPU.
#include <limits>

#include "kernels.h"

namespace gradloop {
namespace {

void causalMask(Backend&, float* scores, int64_t count, int64_t rows, int64_t cols) {
  const float minusInf = -std::numeric_limits<float>::infinity();
  for (int64_t m = 0; m < count; ++m)
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = i + 1; j < cols; ++j) scores[(m * rows + i) * cols + j] = minusInf;
}

void keyMask(Backend&, float* scores, const void* mask, bool intMask, int64_t batch, int64_t heads, int64_t rows, int64_t cols) {
  auto padded = [&](int64_t e) { return intMask ? static_cast<const int32_t*>(mask)[e] == 0 : static_cast<const float*>(mask)[e] == 0; };
  for (int64_t n = 0; n < batch; ++n)
    for (int64_t j = 0; j < cols; ++j)
      if (padded(n * cols + j))
        for (int64_t m = 0; m < heads * rows; ++m) scores[(n * heads * rows + m) * cols + j] = kMaskedScore;
}

}  // namespace

const void* attentionCpuKernels() {
  static const AttentionKernels kernels{causalMask, keyMask};
  return &kernels;
}

}  // namespace gradloop
