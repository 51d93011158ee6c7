// The conv2d kernels on the GPU. im2col: one thread per column entry. col2im: one thread per input
// element, gathering every column entry that read it (no atomics, so the sum's order is fixed).
#include "../../cuda/kernel_utils.cuh"
#include "functions.h"
#include "kernels.h"

namespace gradloop {
namespace {

__global__ void im2colKernel(const float* x, float* col, int64_t n, ConvGeometry g) {
  const int64_t P = g.positions(), K = g.window(), in = g.h * g.w * g.c;
  GRADLOOP_GRID_STRIDE(i, n) {
    const int64_t k = i % K, bp = i / K, p = bp % P, b = bp / P;
    const int64_t s = conv2d::source(g, p, k);
    col[i] = s < 0 ? 0.0f : x[b * in + s];
  }
}

// Input element (y, x, ch) is read by window entry (i, j) of output position (oy, ox) when
// y = oy*sh - padTop + i*dh and x = ox*sw - padLeft + j*dw. One thread per element of the group's
// channels (c0 .. c0 + cg).
__global__ void col2imKernel(const float* col, float* dx, int64_t n, ConvGeometry g, bool accumulate) {
  const int64_t P = g.positions(), K = g.window(), in = g.h * g.w * g.c;
  GRADLOOP_GRID_STRIDE(e, n) {
    const int64_t b = e / (g.h * g.w * g.cg), s = e % (g.h * g.w * g.cg), ch = s % g.cg, x = (s / g.cg) % g.w, y = s / (g.cg * g.w);
    float sum = 0.0f;
    for (int64_t i = 0; i < g.kh; ++i) {
      const int64_t ty = y + g.padTop - i * g.dh;
      if (ty < 0 || ty % g.sh) continue;
      const int64_t oy = ty / g.sh;
      if (oy >= g.oh) continue;
      for (int64_t j = 0; j < g.kw; ++j) {
        const int64_t tx = x + g.padLeft - j * g.dw;
        if (tx < 0 || tx % g.sw) continue;
        const int64_t ox = tx / g.sw;
        if (ox >= g.ow) continue;
        sum += col[(b * P + oy * g.ow + ox) * K + (i * g.kw + j) * g.cg + ch];
      }
    }
    float& d = dx[b * in + (y * g.w + x) * g.c + g.c0 + ch];
    d = accumulate ? d + sum : sum;
  }
}

void im2col(Backend& b, const float* x, float* col, int64_t batch, const ConvGeometry& g) {
  const int64_t n = batch * g.positions() * g.window();
  im2colKernel<<<cuda::blocksFor(n), cuda::kThreads, 0, cuda::launchOn(b)>>>(x, col, n, g);
  cuda::checkLaunch("im2col");
}

void col2im(Backend& b, const float* col, float* dx, int64_t batch, const ConvGeometry& g, bool accumulate) {
  const int64_t n = batch * g.h * g.w * g.cg;
  col2imKernel<<<cuda::blocksFor(n), cuda::kThreads, 0, cuda::launchOn(b)>>>(col, dx, n, g, accumulate);
  cuda::checkLaunch("col2im");
}

}  // namespace

const void* conv2dCudaKernels() {
  static const Conv2dKernels kernels{im2col, col2im};
  return &kernels;
}

}  // namespace gradloop
