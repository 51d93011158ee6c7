// The permute op's kernel: a sample's axes reordered (a transpose for two axes).
#pragma once
#include <cstdint>

#include "../../core/backend.h"

namespace gradloop {

// The permutation of one sample, by value (a GPU kernel receives it as an argument): for each
// output axis its size, and the stride in the input of the axis it takes.
struct PermuteLayout {
  static constexpr int kMaxRank = 8;
  int rank;
  int64_t outDims[kMaxRank];
  int64_t inStrides[kMaxRank];
  int64_t elements;  // per sample
};

struct PermuteKernels {
  static constexpr OpId kOp = OpId::permute;
  // y[b, o] (+)= x[b, in(o)] for every sample b of `batch` and output element o.
  void (*forward)(Backend& b, const float* x, float* y, int64_t batch, const PermuteLayout& layout, bool accumulate);
};

}  // namespace gradloop
