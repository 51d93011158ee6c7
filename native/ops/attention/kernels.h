// The attention op's own kernel: the causal mask on a batch of score matrices. Everything else
// it runs is the backend's matrix product and the softmax and dropout ops' kernels.
#pragma once
#include <cstdint>

#include "../../core/backend.h"

namespace gradloop {

struct AttentionKernels {
  static constexpr OpId kOp = OpId::attention;
  // scores[m, i, j] = -inf where j > i, for `count` matrices of [rows, cols] (a query attends to
  // itself and the keys before it).
  void (*causalMask)(Backend& b, float* scores, int64_t count, int64_t rows, int64_t cols);
};

}  // namespace gradloop
