// The dense op's own kernels: the bias and activation fused into one pass over the product's
// output, and the bias gradient. The products themselves are the backend's gemm.
#pragma once
#include <cstdint>

#include "../../core/backend.h"
#include "../activation/functions.h"

namespace gradloop {

struct DenseKernels {
  static constexpr OpId kOp = OpId::dense;
  // y[rows, cols] = act(y + bias[cols]); preact (may be null) receives y + bias before the activation;
  // bias may be null.
  void (*biasActivationForward)(Backend& b, float* y, float* preact, const float* bias, int64_t rows, int64_t cols,
                                Activation act, float alpha);
  // dbias[cols] (+)= column sums of dy[rows, cols], in a fixed order.
  void (*biasBackward)(Backend& b, const float* dy, float* dbias, int64_t rows, int64_t cols, bool accumulate);
};

}  // namespace gradloop
