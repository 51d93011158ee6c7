// The avg_pooling2d kernels on the GPU: one thread per output (forward) and per input element
// (backward, gathering every window that covers it: no atomics, a fixed order).
#include "../../cuda/kernel_utils.cuh"
#include "functions.h"
#include "kernels.h"

namespace gradloop {
namespace {

__global__ void forwardKernel(const float* x, float* y, int64_t n, PoolGeometry g) {
  const int64_t O = g.outputs(), I = g.inputs();
  GRADLOOP_GRID_STRIDE(i, n) {
    const int64_t b = i / O, o = i % O, ch = o % g.c, ox = (o / g.c) % g.ow, oy = o / (g.c * g.ow);
    int64_t y0, y1, x0, x1;
    avgpool::window(g, oy, ox, &y0, &y1, &x0, &x1);
    float s = 0;
    for (int64_t yy = y0; yy < y1; ++yy)
      for (int64_t xx = x0; xx < x1; ++xx) s += x[b * I + (yy * g.w + xx) * g.c + ch];
    y[i] = s * (1.0f / static_cast<float>((y1 - y0) * (x1 - x0)));
  }
}

__global__ void backwardKernel(const float* dy, float* dx, int64_t n, PoolGeometry g, bool accumulate) {
  const int64_t O = g.outputs(), I = g.inputs();
  GRADLOOP_GRID_STRIDE(e, n) {
    const int64_t b = e / I, s = e % I, ch = s % g.c, x = (s / g.c) % g.w, y = s / (g.c * g.w);
    // The windows covering (y, x): oy with oy*sh - padTop <= y < oy*sh - padTop + ph, likewise ox.
    const int64_t oyLast = min(g.oh - 1, (y + g.padTop) / g.sh), oxLast = min(g.ow - 1, (x + g.padLeft) / g.sw);
    const int64_t yFrom = y + g.padTop - g.ph + 1, xFrom = x + g.padLeft - g.pw + 1;
    const int64_t oyFirst = yFrom <= 0 ? 0 : (yFrom + g.sh - 1) / g.sh, oxFirst = xFrom <= 0 ? 0 : (xFrom + g.sw - 1) / g.sw;
    float sum = 0.0f;
    for (int64_t oy = oyFirst; oy <= oyLast; ++oy) {
      for (int64_t ox = oxFirst; ox <= oxLast; ++ox) {
        int64_t y0, y1, x0, x1;
        avgpool::window(g, oy, ox, &y0, &y1, &x0, &x1);
        sum += dy[b * O + (oy * g.ow + ox) * g.c + ch] * (1.0f / static_cast<float>((y1 - y0) * (x1 - x0)));
      }
    }
    dx[e] = accumulate ? dx[e] + sum : sum;
  }
}

void forward(Backend& b, const float* x, float* y, int64_t batch, const PoolGeometry& g) {
  const int64_t n = batch * g.outputs();
  forwardKernel<<<cuda::blocksFor(n), cuda::kThreads, 0, cuda::launchOn(b)>>>(x, y, n, g);
  cuda::checkLaunch("avgPooling2d");
}

void backward(Backend& b, const float* dy, float* dx, int64_t batch, const PoolGeometry& g, bool accumulate) {
  const int64_t n = batch * g.inputs();
  backwardKernel<<<cuda::blocksFor(n), cuda::kThreads, 0, cuda::launchOn(b)>>>(dy, dx, n, g, accumulate);
  cuda::checkLaunch("avgPooling2dBackward");
}

}  // namespace

const void* avg_pooling2dCudaKernels() {
  static const AvgPooling2dKernels kernels{forward, backward};
  return &kernels;
}

}  // namespace gradloop
