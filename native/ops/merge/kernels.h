// The merge op's kernels: n same-shaped inputs combined elementwise (add, subtract, multiply,
// average, maximum, minimum), and the gradient that reaches input k.
#pragma once
#include <cstdint>

#include "../../core/backend.h"

namespace gradloop {

enum class MergeMode { Add, Subtract, Multiply, Average, Maximum, Minimum };

// The inputs by value, so a GPU kernel receives their pointers as arguments.
struct MergeInputs {
  static constexpr int kMax = 16;
  const float* x[kMax];
  int count;
};

struct MergeKernels {
  static constexpr OpId kOp = OpId::merge;
  // y[n] = x0 (op) x1 (op) ...; subtract is x0 - x1 (two inputs).
  void (*forward)(Backend& b, const MergeInputs& in, float* y, int64_t n, MergeMode mode);
  // dx[n] (+)= dy * d y / d x_k. For maximum/minimum the gradient goes to the first input holding
  // the extreme (as TensorFlow breaks ties), so it is counted once.
  void (*backward)(Backend& b, const MergeInputs& in, const float* y, const float* dy, float* dx, int64_t n,
                   MergeMode mode, int k, bool accumulate);
};

}  // namespace gradloop
