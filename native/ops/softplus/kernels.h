// The softplus op's kernels: y = log(1 + exp(x)), elementwise, and its derivative sigmoid(x).
#pragma once
#include <cstdint>

#include "../../core/backend.h"

namespace gradloop {

struct SoftplusKernels {
  static constexpr OpId kOp = OpId::softplus;
  // y[n] = softplus(x[n]).
  void (*forward)(Backend& b, const float* x, float* y, int64_t n);
  // dx[n] (+)= dy * sigmoid(x).
  void (*backward)(Backend& b, const float* x, const float* dy, float* dx, int64_t n, bool accumulate);
};

}  // namespace gradloop
