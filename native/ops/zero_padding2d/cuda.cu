// The zero_padding2d kernels on the GPU: one thread per output element (forward) and per input
// element (backward).
#include "../../cuda/kernel_utils.cuh"
#include "kernels.h"

namespace gradloop {
namespace {

__global__ void forwardKernel(const float* x, float* y, int64_t n, PadGeometry g) {
  GRADLOOP_GRID_STRIDE(i, n) {
    const int64_t ch = i % g.c, ox = (i / g.c) % g.ow, oy = (i / (g.c * g.ow)) % g.oh, b = i / (g.c * g.ow * g.oh);
    const int64_t yy = oy - g.top, xx = ox - g.left;
    y[i] = yy >= 0 && yy < g.h && xx >= 0 && xx < g.w ? x[((b * g.h + yy) * g.w + xx) * g.c + ch] : 0.0f;
  }
}

__global__ void backwardKernel(const float* dy, float* dx, int64_t n, PadGeometry g, bool accumulate) {
  GRADLOOP_GRID_STRIDE(i, n) {
    const int64_t ch = i % g.c, xx = (i / g.c) % g.w, yy = (i / (g.c * g.w)) % g.h, b = i / (g.c * g.w * g.h);
    const float v = dy[((b * g.oh + yy + g.top) * g.ow + xx + g.left) * g.c + ch];
    dx[i] = accumulate ? dx[i] + v : v;
  }
}

void forward(Backend& b, const float* x, float* y, int64_t batch, const PadGeometry& g) {
  const int64_t n = batch * g.oh * g.ow * g.c;
  forwardKernel<<<cuda::blocksFor(n), cuda::kThreads, 0, cuda::launchOn(b)>>>(x, y, n, g);
  cuda::checkLaunch("zeroPadding2d");
}

void backward(Backend& b, const float* dy, float* dx, int64_t batch, const PadGeometry& g, bool accumulate) {
  const int64_t n = batch * g.h * g.w * g.c;
  backwardKernel<<<cuda::blocksFor(n), cuda::kThreads, 0, cuda::launchOn(b)>>>(dy, dx, n, g, accumulate);
  cuda::checkLaunch("zeroPadding2dBackward");
}

}  // namespace

const void* zero_padding2dCudaKernels() {
  static const ZeroPadding2dKernels kernels{forward, backward};
  return &kernels;
}

}  // namespace gradloop
