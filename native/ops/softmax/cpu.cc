// The softmax kernels on the CPU, row by row: rows shared among the backend's threads (each row
// on its own, so any split gives the same values), exp vectorised (cpu/fast_math.h).
#include "../../cpu/fast_math.h"
#include "../../cpu/parallel.h"
#include "kernels.h"

namespace gradloop {
namespace {

GRADLOOP_KERNEL_BODY void forwardRowsBody(const float* x, float* y, int64_t rows, int64_t cols) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* in = x + r * cols;
    float* out = y + r * cols;
    float mx = in[0];
    for (int64_t c = 1; c < cols; ++c) mx = in[c] > mx ? in[c] : mx;
    for (int64_t c = 0; c < cols; ++c) out[c] = fastmath::exp(in[c] - mx);
    float sum = 0;
    for (int64_t c = 0; c < cols; ++c) sum += out[c];
    float inv = 1.0f / sum;
    for (int64_t c = 0; c < cols; ++c) out[c] *= inv;
  }
}
GRADLOOP_ISA_KERNEL(void, forwardRows, (const float* x, float* y, int64_t rows, int64_t cols), (x, y, rows, cols))

void forward(Backend&, const float* x, float* y, int64_t rows, int64_t cols) {
  forEachRange(rows, cols, [&](int64_t first, int64_t last) { forwardRows(x + first * cols, y + first * cols, last - first, cols); });
}

void backwardRows(const float* y, const float* dy, float* dx, int64_t rows, int64_t cols, bool accumulate) {
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

void backward(Backend&, const float* y, const float* dy, float* dx, int64_t rows, int64_t cols, bool accumulate) {
  forEachRange(rows, cols, [&](int64_t first, int64_t last) {
    backwardRows(y + first * cols, dy + first * cols, dx + first * cols, last - first, cols, accumulate);
  });
}

}  // namespace

const void* softmaxCpuKernels() {
  static const SoftmaxKernels kernels{forward, backward};
  return &kernels;
}

}  // namespace gradloop
