// The attention op's own kernels: the causal and padding masks on a batch of score matrices.
// Everything else it runs is the backend's matrix product and the softmax and dropout ops' kernels.
#pragma once
#include <cstdint>

#include "../../core/backend.h"

namespace gradloop {

struct AttentionKernels {
  static constexpr OpId kOp = OpId::attention;
  // scores[m, i, j] = -inf where j > i, for `count` matrices of [rows, cols] (a query attends to
  // itself and the keys before it).
  void (*causalMask)(Backend& b, float* scores, int64_t count, int64_t rows, int64_t cols);
  // scores[n, h, i, j] = kMaskedScore where mask[n, j] == 0 (a padded key, Keras' value_mask),
  // for `batch` samples of `heads` matrices [rows, cols]; mask is [batch, cols], float32 or int32
  // (token ids, 0 the padding id).
  void (*keyMask)(Backend& b, float* scores, const void* mask, bool intMask, int64_t batch, int64_t heads, int64_t rows, int64_t cols);
};

// Keras' large negative number for float32 masks: a query whose every key is padded gets uniform
// weights (as in Keras) rather than the NaN that -inf would give.
constexpr float kMaskedScore = -1e9f;

}  // namespace gradloop
