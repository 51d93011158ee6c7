// The avg_pooling2d op's kernels: each window's mean over the input positions it covers (the
// padding of 'same' is not counted, as in Keras), and that mean's gradient spread back.
#pragma once
#include <cstdint>

#include "../../core/backend.h"
#include "../max_pooling2d/kernels.h"

namespace gradloop {

struct AvgPooling2dKernels {
  static constexpr OpId kOp = OpId::avg_pooling2d;
  // y[batch, oh, ow, c] = mean of the window's input positions (PoolGeometry: max_pooling2d/kernels.h).
  void (*forward)(Backend& b, const float* x, float* y, int64_t batch, const PoolGeometry& g);
  // dx (+)= dy / (positions in the window) for every window covering each input element.
  void (*backward)(Backend& b, const float* dy, float* dx, int64_t batch, const PoolGeometry& g, bool accumulate);
};

}  // namespace gradloop
