// The softmax op's kernels, over the last axis of x[rows, cols].
#pragma once
#include <cstdint>

#include "../../core/backend.h"

namespace gradloop {

struct SoftmaxKernels {
  static constexpr OpId kOp = OpId::softmax;
  // y = exp(x - max) / sum(exp(x - max)), per row.
  void (*forward)(Backend& b, const float* x, float* y, int64_t rows, int64_t cols);
  // dx (+)= y * (dy - sum(dy * y)), per row.
  void (*backward)(Backend& b, const float* y, const float* dy, float* dx, int64_t rows, int64_t cols, bool accumulate);
};

}  // namespace gradloop
