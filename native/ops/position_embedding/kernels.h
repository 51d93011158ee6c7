// The position embedding op's kernels: a learned [positions, features] table broadcast over the
// batch (added to the input, or alone), and its gradient summed over the batch.
#pragma once
#include <cstdint>

#include "../../core/backend.h"

namespace gradloop {

struct PositionEmbeddingKernels {
  static constexpr OpId kOp = OpId::position_embedding;
  // y[b, i] = (x ? x[b, i] : 0) + table[i] for i < n (n = the input's positions times features).
  void (*forward)(Backend& b, const float* x, const float* table, float* y, int64_t batch, int64_t n);
  // dTable[i] (+)= sum over b of dy[b, i] for i < n, in batch order; the rows of the table past n
  // (positions the input is shorter than) get 0 (or keep theirs when accumulating): total entries.
  void (*backward)(Backend& b, const float* dy, float* dTable, int64_t batch, int64_t n, int64_t total, bool accumulate);
};

}  // namespace gradloop
