// The up_sampling2d kernels on the CPU.
#include "kernels.h"

namespace gradloop {
namespace {

void forward(Backend&, const float* x, float* y, int64_t batch, const UpGeometry& g) {
  const int64_t oh = g.h * g.sh, ow = g.w * g.sw;
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t oy = 0; oy < oh; ++oy)
      for (int64_t ox = 0; ox < ow; ++ox) {
        const float* src = x + ((b * g.h + oy / g.sh) * g.w + ox / g.sw) * g.c;
        float* dst = y + ((b * oh + oy) * ow + ox) * g.c;
        for (int64_t ch = 0; ch < g.c; ++ch) dst[ch] = src[ch];
      }
}

void backward(Backend&, const float* dy, float* dx, int64_t batch, const UpGeometry& g, bool accumulate) {
  const int64_t oh = g.h * g.sh, ow = g.w * g.sw;
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t y = 0; y < g.h; ++y)
      for (int64_t x = 0; x < g.w; ++x)
        for (int64_t ch = 0; ch < g.c; ++ch) {
          float s = 0;
          for (int64_t i = 0; i < g.sh; ++i)
            for (int64_t j = 0; j < g.sw; ++j) s += dy[((b * oh + y * g.sh + i) * ow + x * g.sw + j) * g.c + ch];
          float& d = dx[((b * g.h + y) * g.w + x) * g.c + ch];
          d = accumulate ? d + s : s;
        }
}

}  // namespace

const void* up_sampling2dCpuKernels() {
  static const UpSampling2dKernels kernels{forward, backward};
  return &kernels;
}

}  // namespace gradloop
