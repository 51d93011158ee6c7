// The merge kernels on the CPU.
#include "functions.h"
#include "kernels.h"

namespace gradloop {
namespace {

void forward(Backend&, const MergeInputs& in, float* y, int64_t n, MergeMode mode) {
  for (int64_t i = 0; i < n; ++i) y[i] = merge::value(in, i, mode);
}

void backward(Backend&, const MergeInputs& in, const float* y, const float* dy, float* dx, int64_t n, MergeMode mode,
              int k, bool accumulate) {
  for (int64_t i = 0; i < n; ++i) {
    const float g = dy[i] * merge::derivative(in, y[i], i, mode, k);
    dx[i] = accumulate ? dx[i] + g : g;
  }
}

}  // namespace

const void* mergeCpuKernels() {
  static const MergeKernels kernels{forward, backward};
  return &kernels;
}

}  // namespace gradloop
