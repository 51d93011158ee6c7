// The merge kernels on the CPU.
#include "functions.h"
#include "kernels.h"

namespace gradloop {
namespace {

// Input by input, each pass a plain loop the compiler vectorizes (the per-element form of
// functions.h, which the GPU kernel uses, branches on the mode for every element).
void forward(Backend&, const MergeInputs& in, float* y, int64_t n, MergeMode mode) {
  const float* x0 = in.x[0];
  for (int64_t i = 0; i < n; ++i) y[i] = x0[i];
  for (int j = 1; j < in.count; ++j) {
    const float* x = in.x[j];
    switch (mode) {
      case MergeMode::Add:
      case MergeMode::Average: for (int64_t i = 0; i < n; ++i) y[i] += x[i]; break;
      case MergeMode::Subtract: for (int64_t i = 0; i < n; ++i) y[i] -= x[i]; break;
      case MergeMode::Multiply: for (int64_t i = 0; i < n; ++i) y[i] *= x[i]; break;
      case MergeMode::Maximum: for (int64_t i = 0; i < n; ++i) y[i] = x[i] > y[i] ? x[i] : y[i]; break;
      case MergeMode::Minimum: for (int64_t i = 0; i < n; ++i) y[i] = x[i] < y[i] ? x[i] : y[i]; break;
    }
  }
  if (mode == MergeMode::Average) {
    const float scale = 1.0f / static_cast<float>(in.count);
    for (int64_t i = 0; i < n; ++i) y[i] *= scale;
  }
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
