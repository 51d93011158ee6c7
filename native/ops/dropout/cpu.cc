// The dropout kernel on the CPU.
#include "../../core/rng.h"
#include "kernels.h"

namespace gradloop {
namespace {

void apply(Backend&, const float* x, float* y, int64_t n, float rate, uint64_t seed, uint64_t stream, bool accumulate) {
  const float scale = 1.0f / (1.0f - rate);
  for (int64_t i = 0; i < n; ++i) {
    const float g = uniformAt(seed, stream, i) >= rate ? x[i] * scale : 0.0f;
    y[i] = accumulate ? y[i] + g : g;
  }
}

}  // namespace

const void* dropoutCpuKernels() {
  static const DropoutKernels kernels{apply};
  return &kernels;
}

}  // namespace gradloop
