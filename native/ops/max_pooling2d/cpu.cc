// The max_pooling2d kernels on the CPU.
#include <cstring>

#include "kernels.h"

namespace gradloop {
namespace {

// Window by window, a run of channels at a time (channels last), so the comparisons vectorise:
// the first tap in the window sets the maximum, a later one replaces it only when greater (the
// rule of pool::maximum, which the GPU uses per value: the same maxima and places).
void forward(Backend&, const float* x, float* y, int32_t* where, int64_t batch, const PoolGeometry& g) {
  const int64_t O = g.outputs(), I = g.inputs(), C = g.c;
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t oy = 0; oy < g.oh; ++oy)
      for (int64_t ox = 0; ox < g.ow; ++ox) {
        float* out = y + b * O + (oy * g.ow + ox) * C;
        int32_t* at = where + b * O + (oy * g.ow + ox) * C;
        bool first = true;
        for (int64_t i = 0; i < g.ph; ++i) {
          const int64_t yy = oy * g.sh - g.padTop + i;
          if (yy < 0 || yy >= g.h) continue;
          for (int64_t j = 0; j < g.pw; ++j) {
            const int64_t xx = ox * g.sw - g.padLeft + j;
            if (xx < 0 || xx >= g.w) continue;
            const int32_t base = static_cast<int32_t>((yy * g.w + xx) * C);
            const float* in = x + b * I + base;
            if (first) {
              for (int64_t ch = 0; ch < C; ++ch) out[ch] = in[ch], at[ch] = base + static_cast<int32_t>(ch);
              first = false;
              continue;
            }
#pragma omp simd
            for (int64_t ch = 0; ch < C; ++ch) {
              const bool greater = in[ch] > out[ch];
              out[ch] = greater ? in[ch] : out[ch];
              at[ch] = greater ? base + static_cast<int32_t>(ch) : at[ch];
            }
          }
        }
      }
}

void backward(Backend&, const float* dy, const int32_t* where, float* dx, int64_t batch, const PoolGeometry& g, bool accumulate) {
  const int64_t O = g.outputs(), I = g.inputs();
  if (!accumulate) std::memset(dx, 0, static_cast<size_t>(batch * I) * sizeof(float));
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t o = 0; o < O; ++o) dx[b * I + where[b * O + o]] += dy[b * O + o];
}

}  // namespace

const void* max_pooling2dCpuKernels() {
  static const MaxPooling2dKernels kernels{forward, backward};
  return &kernels;
}

}  // namespace gradloop
