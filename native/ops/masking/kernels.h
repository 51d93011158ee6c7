// The masking op's kernels (also used by the recurrent op to read a Masking layer's mask): which
// steps of a sequence are padding, and the values with those steps zeroed.
#pragma once
#include <cstdint>

#include "../../core/backend.h"

namespace gradloop {

struct MaskingKernels {
  static constexpr OpId kOp = OpId::masking;
  // mask[r] = 1 when any of x[r, 0..width) differs from `value`, else 0 (a padded step), r < rows.
  void (*stepMask)(Backend& b, const float* x, float* mask, int64_t rows, int64_t width, float value);
  // y[r, k] (+)= x[r, k] * mask[r] for r < rows, k < width.
  void (*apply)(Backend& b, const float* x, const float* mask, float* y, int64_t rows, int64_t width, bool accumulate);
};

}  // namespace gradloop
