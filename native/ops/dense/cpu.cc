// The dense op's kernels on the CPU.
#include <cstring>

#include "../../cpu/parallel.h"
#include "../../cpu/simd.h"
#include "../activation/gelu_cpu.h"
#include "kernels.h"

namespace gradloop {
namespace {

using activation::apply;

template <Activation A>
void biasActivationRows(float* y, float* preact, const float* bias, int64_t rows, int64_t cols, float alpha) {
  for (int64_t r = 0; r < rows; ++r) {
    float* row = y + r * cols;
    float* pre = preact ? preact + r * cols : nullptr;
    for (int64_t c = 0; c < cols; ++c) {
      float z = bias ? row[c] + bias[c] : row[c];
      if (pre) pre[c] = z;
      row[c] = apply<A>(z, alpha);
    }
  }
}

// Row ranges on the backend's threads (elementwise: any split gives the same values).
void biasActivationForward(Backend&, float* y, float* preact, const float* bias, int64_t rows, int64_t cols,
                           Activation act, float alpha) {
  forEachRange(rows, cols, [&](int64_t first, int64_t last) {
    float* yr = y + first * cols;
    float* pr = preact ? preact + first * cols : nullptr;
    if (act == Activation::Gelu) return gelu_cpu::biasRows(yr, pr, bias, last - first, cols);
    GRADLOOP_ACTIVATION_DISPATCH(act, biasActivationRows, yr, pr, bias, last - first, cols, alpha)
  }, act == Activation::Gelu ? kParallelElements : kParallelMin);
}

void biasBackward(Backend&, const float* dy, float* dbias, int64_t rows, int64_t cols, bool accumulate) {
  // Row by row, so the inner loop streams contiguous memory and vectorises; the fixed order keeps
  // the sum bit-reproducible.
  if (!accumulate) std::memset(dbias, 0, cols * sizeof(float));
  for (int64_t r = 0; r < rows; ++r) {
    const float* row = dy + r * cols;
    for (int64_t c = 0; c < cols; ++c) dbias[c] += row[c];
  }
}

}  // namespace

const void* denseCpuKernels() {
  static const DenseKernels kernels{biasActivationForward, biasBackward};
  return &kernels;
}

}  // namespace gradloop
