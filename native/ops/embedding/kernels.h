// The embedding op's kernels: a row gather and its gradient, a scatter-add.
#pragma once
#include <cstdint>

#include "../../core/backend.h"

namespace gradloop {

struct EmbeddingKernels {
  static constexpr OpId kOp = OpId::embedding;
  // out[count, dim] = table[ids[i], :]; an id outside [0, vocab) is a RangeError.
  void (*forward)(Backend& b, const int32_t* ids, const float* table, float* out, int64_t count, int64_t dim,
                  int64_t vocab);
  // dtable[vocab, dim] (+)= scatter-add of dout's rows at ids.
  void (*backward)(Backend& b, const int32_t* ids, const float* dout, float* dtable, int64_t count, int64_t dim,
                   int64_t vocab, bool accumulate);
};

}  // namespace gradloop
