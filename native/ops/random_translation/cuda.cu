// The random translation kernels on the GPU: one thread per value. Backward gathers, for each
// input element, the outputs that read it (rows then columns, in output order, as the CPU adds
// them), so no atomics and a fixed order.
#include "../../cuda/kernel_utils.cuh"
#include "functions.h"

namespace gradloop {
namespace {

__global__ void forwardKernel(const float* x, float* y, int64_t n, Translation t) {
  const int64_t in = t.h * t.w * t.c;
  GRADLOOP_GRID_STRIDE(e, n) {
    const int64_t b = e / in, s = e % in, ch = s % t.c, j = (s / t.c) % t.w, i = s / (t.c * t.w);
    const int64_t si = translation::source(i - translation::shift(t, b, 0), t.h, t.fill);
    const int64_t sj = translation::source(j - translation::shift(t, b, 1), t.w, t.fill);
    y[e] = si < 0 || sj < 0 ? t.fillValue : x[b * in + (si * t.w + sj) * t.c + ch];
  }
}

__global__ void backwardKernel(const float* dy, float* dx, int64_t n, Translation t, bool accumulate) {
  const int64_t in = t.h * t.w * t.c;
  GRADLOOP_GRID_STRIDE(e, n) {
    const int64_t b = e / in, s = e % in, ch = s % t.c, sj = (s / t.c) % t.w, si = s / (t.c * t.w);
    const int64_t shiftY = translation::shift(t, b, 0), shiftX = translation::shift(t, b, 1);
    float sum = 0.0f;
    for (int64_t i = 0; i < t.h; ++i) {
      if (translation::source(i - shiftY, t.h, t.fill) != si) continue;
      for (int64_t j = 0; j < t.w; ++j)
        if (translation::source(j - shiftX, t.w, t.fill) == sj) sum += dy[b * in + (i * t.w + j) * t.c + ch];
    }
    dx[e] = accumulate ? dx[e] + sum : sum;
  }
}

void forward(Backend& b, const float* x, float* y, int64_t batch, const Translation& t) {
  const int64_t n = batch * t.h * t.w * t.c;
  forwardKernel<<<cuda::blocksFor(n), cuda::kThreads, 0, cuda::launchOn(b)>>>(x, y, n, t);
  cuda::checkLaunch("random translation");
}

void backward(Backend& b, const float* dy, float* dx, int64_t batch, const Translation& t, bool accumulate) {
  const int64_t n = batch * t.h * t.w * t.c;
  backwardKernel<<<cuda::blocksFor(n), cuda::kThreads, 0, cuda::launchOn(b)>>>(dy, dx, n, t, accumulate);
  cuda::checkLaunch("random translation backward");
}

}  // namespace

const void* random_translationCudaKernels() {
  static const RandomTranslationKernels kernels{forward, backward};
  return &kernels;
}

}  // namespace gradloop
