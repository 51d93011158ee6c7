// The layer normalization op's kernels: each row (a sample's last axis, `cols` values) normalized
// by its own mean and variance, then scaled by gamma and shifted by beta per column.
#pragma once
#include <cstdint>

#include "../../core/backend.h"

namespace gradloop {

struct LayerNormKernels {
  static constexpr OpId kOp = OpId::layer_normalization;
  // y = gamma * (x - mean) * invStd + beta per row; writes each row's mean and invStd (for backward).
  // gamma or beta null: 1 or 0.
  void (*forward)(Backend& b, const float* x, float* y, int64_t rows, int64_t cols, float epsilon, const float* gamma,
                  const float* beta, float* mean, float* invStd);
  // dx (+)= invStd * (g - mean(g) - xhat * mean(g * xhat)) with g = dy * gamma, per row (dx null: skipped);
  // dGamma (+)= sum over rows of dy * xhat, dBeta (+)= sum of dy (each null: skipped; added with
  // accumulateParams), summed over rows in a fixed order.
  void (*backward)(Backend& b, const float* x, const float* dy, int64_t rows, int64_t cols, const float* gamma,
                   const float* mean, const float* invStd, float* dx, bool accumulateInput, float* dGamma, float* dBeta,
                   bool accumulateParams);
};

}  // namespace gradloop
