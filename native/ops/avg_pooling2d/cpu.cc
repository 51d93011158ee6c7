// The avg_pooling2d kernels on the CPU.
#include <cstring>

#include "functions.h"
#include "kernels.h"

namespace gradloop {
namespace {

// Calls visit(input pixel's channels, the window's output channels, 1 / the window's size) for every
// input position of every window, in output order.
template <typename Visit>
void eachWindow(int64_t batch, const PoolGeometry& g, Visit visit) {
  const int64_t O = g.outputs(), I = g.inputs();
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t oy = 0; oy < g.oh; ++oy)
      for (int64_t ox = 0; ox < g.ow; ++ox) {
        int64_t y0, y1, x0, x1;
        avgpool::window(g, oy, ox, &y0, &y1, &x0, &x1);
        const float inv = 1.0f / static_cast<float>((y1 - y0) * (x1 - x0));
        const int64_t out = b * O + (oy * g.ow + ox) * g.c;
        for (int64_t yy = y0; yy < y1; ++yy)
          for (int64_t xx = x0; xx < x1; ++xx) visit(b * I + (yy * g.w + xx) * g.c, out, inv);
      }
}

void forward(Backend&, const float* x, float* y, int64_t batch, const PoolGeometry& g) {
  std::memset(y, 0, static_cast<size_t>(batch * g.outputs()) * sizeof(float));
  eachWindow(batch, g, [&](int64_t in, int64_t out, float inv) {
    for (int64_t ch = 0; ch < g.c; ++ch) y[out + ch] += x[in + ch] * inv;
  });
}

void backward(Backend&, const float* dy, float* dx, int64_t batch, const PoolGeometry& g, bool accumulate) {
  if (!accumulate) std::memset(dx, 0, static_cast<size_t>(batch * g.inputs()) * sizeof(float));
  eachWindow(batch, g, [&](int64_t in, int64_t out, float inv) {
    for (int64_t ch = 0; ch < g.c; ++ch) dx[in + ch] += dy[out + ch] * inv;
  });
}

}  // namespace

const void* avg_pooling2dCpuKernels() {
  static const AvgPooling2dKernels kernels{forward, backward};
  return &kernels;
}

}  // namespace gradloop
