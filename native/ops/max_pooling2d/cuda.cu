// The max_pooling2d kernels on the GPU. Backward: one thread per input element, adding dy of every
// output whose window covers it and chose it (no atomics: a fixed order where windows overlap).
#include "../../cuda/kernel_utils.cuh"
#include "functions.h"
#include "kernels.h"

namespace gradloop {
namespace {

__global__ void forwardKernel(const float* x, float* y, int32_t* where, int64_t n, PoolGeometry g) {
  const int64_t O = g.outputs(), I = g.inputs();
  GRADLOOP_GRID_STRIDE(i, n) {
    const int64_t b = i / O;
    where[i] = pool::maximum(g, x + b * I, i % O, &y[i]);
  }
}

__global__ void backwardKernel(const float* dy, const int32_t* where, float* dx, int64_t n, PoolGeometry g, bool accumulate) {
  const int64_t O = g.outputs(), I = g.inputs();
  GRADLOOP_GRID_STRIDE(e, n) {
    const int64_t b = e / I, s = e % I, ch = s % g.c, x = (s / g.c) % g.w, y = s / (g.c * g.w);
    float sum = 0.0f;
    for (int64_t i = 0; i < g.ph; ++i) {
      const int64_t ty = y + g.padTop - i;
      if (ty < 0 || ty % g.sh) continue;
      const int64_t oy = ty / g.sh;
      if (oy >= g.oh) continue;
      for (int64_t j = 0; j < g.pw; ++j) {
        const int64_t tx = x + g.padLeft - j;
        if (tx < 0 || tx % g.sw) continue;
        const int64_t ox = tx / g.sw;
        if (ox >= g.ow) continue;
        const int64_t o = b * O + (oy * g.ow + ox) * g.c + ch;
        if (where[o] == s) sum += dy[o];
      }
    }
    dx[e] = accumulate ? dx[e] + sum : sum;
  }
}

void forward(Backend& b, const float* x, float* y, int32_t* where, int64_t batch, const PoolGeometry& g) {
  const int64_t n = batch * g.outputs();
  forwardKernel<<<cuda::blocksFor(n), cuda::kThreads, 0, cuda::launchOn(b)>>>(x, y, where, n, g);
  cuda::checkLaunch("maxPooling2d");
}

void backward(Backend& b, const float* dy, const int32_t* where, float* dx, int64_t batch, const PoolGeometry& g, bool accumulate) {
  const int64_t n = batch * g.inputs();
  backwardKernel<<<cuda::blocksFor(n), cuda::kThreads, 0, cuda::launchOn(b)>>>(dy, where, dx, n, g, accumulate);
  cuda::checkLaunch("maxPooling2dBackward");
}

}  // namespace

const void* max_pooling2dCudaKernels() {
  static const MaxPooling2dKernels kernels{forward, backward};
  return &kernels;
}

}  // namespace gradloop
