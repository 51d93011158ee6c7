// The embedding kernels on the CPU.
#include <cstring>
#include <string>

#include "../../core/tensor.h"
#include "kernels.h"

namespace gradloop {
namespace {

void checkId(int32_t id, int64_t vocab) {
  if (id < 0 || id >= vocab)
    throw RangeError("token id " + std::to_string(id) + " is outside [0, " + std::to_string(vocab) +
                     "); raise inputDim or fix the ids");
}

void forward(Backend&, const int32_t* ids, const float* table, float* out, int64_t count, int64_t dim, int64_t vocab) {
  for (int64_t i = 0; i < count; ++i) {
    checkId(ids[i], vocab);
    std::memcpy(out + i * dim, table + static_cast<int64_t>(ids[i]) * dim, dim * sizeof(float));
  }
}

void backward(Backend&, const int32_t* ids, const float* dout, float* dtable, int64_t count, int64_t dim, int64_t vocab,
              bool accumulate) {
  if (!accumulate) std::memset(dtable, 0, vocab * dim * sizeof(float));
  for (int64_t i = 0; i < count; ++i) {  // sequential: a repeated id sums in a fixed order
    float* row = dtable + static_cast<int64_t>(ids[i]) * dim;
    const float* g = dout + i * dim;
    for (int64_t d = 0; d < dim; ++d) row[d] += g[d];
  }
}

}  // namespace

const void* embeddingCpuKernels() {
  static const EmbeddingKernels kernels{forward, backward};
  return &kernels;
}

}  // namespace gradloop
