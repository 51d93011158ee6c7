// The conv2d kernels on the CPU.
#include <cstring>

#include "kernels.h"

namespace gradloop {
namespace {

// Window by window: each tap (i, j) of a window reads c contiguous channels (channels last), so a
// column row is kh * kw copies of c floats (or zeros where the tap is in the padding). The
// per-element form in functions.h (one division per value) is what the GPU kernel uses.
void im2col(Backend&, const float* x, float* col, int64_t batch, const ConvGeometry& g) {
  const int64_t P = g.positions(), K = g.window(), in = g.h * g.w * g.c;
  const size_t run = static_cast<size_t>(g.cg) * sizeof(float);
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t oy = 0; oy < g.oh; ++oy)
      for (int64_t ox = 0; ox < g.ow; ++ox) {
        float* row = col + (b * P + oy * g.ow + ox) * K;
        for (int64_t i = 0; i < g.kh; ++i) {
          const int64_t y = oy * g.sh - g.padTop + i * g.dh;
          for (int64_t j = 0; j < g.kw; ++j, row += g.cg) {
            const int64_t xx = ox * g.sw - g.padLeft + j * g.dw;
            if (y < 0 || y >= g.h || xx < 0 || xx >= g.w) std::memset(row, 0, run);
            else std::memcpy(row, x + b * in + (y * g.w + xx) * g.c + g.c0, run);
          }
        }
      }
}

void col2im(Backend&, const float* col, float* dx, int64_t batch, const ConvGeometry& g, bool accumulate) {
  const int64_t P = g.positions(), K = g.window(), in = g.h * g.w * g.c;
  if (!accumulate && g.cg == g.c) std::memset(dx, 0, static_cast<size_t>(batch * in) * sizeof(float));
  else if (!accumulate)
    for (int64_t at = g.c0; at < batch * in; at += g.c) std::memset(dx + at, 0, static_cast<size_t>(g.cg) * sizeof(float));
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t oy = 0; oy < g.oh; ++oy)
      for (int64_t ox = 0; ox < g.ow; ++ox) {
        const float* row = col + (b * P + oy * g.ow + ox) * K;
        for (int64_t i = 0; i < g.kh; ++i) {
          const int64_t y = oy * g.sh - g.padTop + i * g.dh;
          for (int64_t j = 0; j < g.kw; ++j, row += g.cg) {
            const int64_t xx = ox * g.sw - g.padLeft + j * g.dw;
            if (y < 0 || y >= g.h || xx < 0 || xx >= g.w) continue;
            float* d = dx + b * in + (y * g.w + xx) * g.c + g.c0;
            for (int64_t ch = 0; ch < g.cg; ++ch) d[ch] += row[ch];
          }
        }
      }
}

}  // namespace

const void* conv2dCpuKernels() {
  static const Conv2dKernels kernels{im2col, col2im};
  return &kernels;
}

}  // namespace gradloop
