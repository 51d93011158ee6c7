// The dropout op's kernel: keep element i when uniformAt(seed, stream, i) >= rate, scaled by
// 1 / (1 - rate). The same counter-based draw on every backend, so the masks are identical.
#pragma once
#include <cstdint>

#include "../../core/backend.h"

namespace gradloop {

struct DropoutKernels {
  static constexpr OpId kOp = OpId::dropout;
  // y[n] (+)= mask * x[n] / (1 - rate); forward (accumulate false) and backward (x = dy) alike,
  // since the mask is regenerated rather than stored.
  void (*apply)(Backend& b, const float* x, float* y, int64_t n, float rate, uint64_t seed, uint64_t stream,
                bool accumulate);
};

}  // namespace gradloop
