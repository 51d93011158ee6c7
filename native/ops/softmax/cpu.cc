// The softmax kernels on the CPU, row by row.
#include <cmath>

#include "kernels.h"

namespace gradloop {
namespace {

void forward(Backend&, const float* x, float* y, int64_t rows, int64_t cols) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* in = x + r * cols;
    float* out = y + r * cols;
    float mx = in[0];
    for (int64_t c = 1; c < cols; ++c) mx = in[c] > mx ? in[c] : mx;
    float sum = 0;
    for (int64_t c = 0; c < cols; ++c) sum += (out[c] = std::exp(in[c] - mx));
    float inv = 1.0f / sum;
    for (int64_t c = 0; c < cols; ++c) out[c] *= inv;
  }
}

void backward(Backend&, const float* y, const float* dy, float* dx, int64_t rows, int64_t cols, bool accumulate) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* yr = y + r * cols;
    const float* dyr = dy + r * cols;
    float* dxr = dx + r * cols;
    float dot = 0;
    for (int64_t c = 0; c < cols; ++c) dot += dyr[c] * yr[c];
    if (accumulate)
      for (int64_t c = 0; c < cols; ++c) dxr[c] += yr[c] * (dyr[c] - dot);
    else
      for (int64_t c = 0; c < cols; ++c) dxr[c] = yr[c] * (dyr[c] - dot);
  }
}

}  // namespace

const void* softmaxCpuKernels() {
  static const SoftmaxKernels kernels{forward, backward};
  return &kernels;
}

}  // namespace gradloop
