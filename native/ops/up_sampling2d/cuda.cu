// The up_sampling2d kernels on the GPU: one thread per output element (forward) and per input
// element, summing its block in the CPU's order (backward).
#include "../../cuda/kernel_utils.cuh"
#include "kernels.h"

namespace gradloop {
namespace {

__global__ void forwardKernel(const float* x, float* y, int64_t n, UpGeometry g) {
  const int64_t oh = g.h * g.sh, ow = g.w * g.sw;
  GRADLOOP_GRID_STRIDE(i, n) {
    const int64_t ch = i % g.c, ox = (i / g.c) % ow, oy = (i / (g.c * ow)) % oh, b = i / (g.c * ow * oh);
    y[i] = x[((b * g.h + oy / g.sh) * g.w + ox / g.sw) * g.c + ch];
  }
}

__global__ void backwardKernel(const float* dy, float* dx, int64_t n, UpGeometry g, bool accumulate) {
  const int64_t oh = g.h * g.sh, ow = g.w * g.sw;
  GRADLOOP_GRID_STRIDE(e, n) {
    const int64_t ch = e % g.c, x = (e / g.c) % g.w, y = (e / (g.c * g.w)) % g.h, b = e / (g.c * g.w * g.h);
    float s = 0;
    for (int64_t i = 0; i < g.sh; ++i)
      for (int64_t j = 0; j < g.sw; ++j) s += dy[((b * oh + y * g.sh + i) * ow + x * g.sw + j) * g.c + ch];
    dx[e] = accumulate ? dx[e] + s : s;
  }
}

void forward(Backend& b, const float* x, float* y, int64_t batch, const UpGeometry& g) {
  const int64_t n = batch * g.h * g.sh * g.w * g.sw * g.c;
  forwardKernel<<<cuda::blocksFor(n), cuda::kThreads, 0, cuda::launchOn(b)>>>(x, y, n, g);
  cuda::checkLaunch("upSampling2d");
}

void backward(Backend& b, const float* dy, float* dx, int64_t batch, const UpGeometry& g, bool accumulate) {
  const int64_t n = batch * g.h * g.w * g.c;
  backwardKernel<<<cuda::blocksFor(n), cuda::kThreads, 0, cuda::launchOn(b)>>>(dy, dx, n, g, accumulate);
  cuda::checkLaunch("upSampling2dBackward");
}

}  // namespace

const void* up_sampling2dCudaKernels() {
  static const UpSampling2dKernels kernels{forward, backward};
  return &kernels;
}

}  // namespace gradloop
