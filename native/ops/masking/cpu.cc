// The masking kernels on the CPU.
#include "kernels.h"

namespace gradloop {
namespace {

void stepMask(Backend&, const float* x, float* mask, int64_t rows, int64_t width, float value) {
  for (int64_t r = 0; r < rows; ++r) {
    bool real = false;
    for (int64_t k = 0; k < width && !real; ++k) real = x[r * width + k] != value;
    mask[r] = real ? 1.0f : 0.0f;
  }
}

void apply(Backend&, const float* x, const float* mask, float* y, int64_t rows, int64_t width, bool accumulate) {
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t k = 0; k < width; ++k) {
      const float v = x[r * width + k] * mask[r];
      y[r * width + k] = accumulate ? y[r * width + k] + v : v;
    }
}

}  // namespace

const void* maskingCpuKernels() {
  static const MaskingKernels kernels{stepMask, apply};
  return &kernels;
}

}  // namespace gradloop
