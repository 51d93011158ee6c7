// The zero_padding2d kernels on the CPU: row by row, each a run of w * c values.
#include <cstring>

#include "kernels.h"

namespace gradloop {
namespace {

void forward(Backend&, const float* x, float* y, int64_t batch, const PadGeometry& g) {
  std::memset(y, 0, static_cast<size_t>(batch * g.oh * g.ow * g.c) * sizeof(float));
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t r = 0; r < g.h; ++r)
      std::memcpy(y + ((b * g.oh + r + g.top) * g.ow + g.left) * g.c, x + (b * g.h + r) * g.w * g.c,
                  static_cast<size_t>(g.w * g.c) * sizeof(float));
}

void backward(Backend&, const float* dy, float* dx, int64_t batch, const PadGeometry& g, bool accumulate) {
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t r = 0; r < g.h; ++r) {
      const float* src = dy + ((b * g.oh + r + g.top) * g.ow + g.left) * g.c;
      float* dst = dx + (b * g.h + r) * g.w * g.c;
      for (int64_t i = 0; i < g.w * g.c; ++i) dst[i] = accumulate ? dst[i] + src[i] : src[i];
    }
}

}  // namespace

const void* zero_padding2dCpuKernels() {
  static const ZeroPadding2dKernels kernels{forward, backward};
  return &kernels;
}

}  // namespace gradloop
