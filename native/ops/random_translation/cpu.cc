// The random translation kernels on the CPU: a row of channels copied at a time.
#include <algorithm>
#include <cstring>
#include <vector>

#include "functions.h"

namespace gradloop {
namespace {

void forward(Backend&, const float* x, float* y, int64_t batch, const Translation& t) {
  const int64_t in = t.h * t.w * t.c;
  const size_t run = static_cast<size_t>(t.c) * sizeof(float);
  for (int64_t b = 0; b < batch; ++b) {
    const int64_t dy = translation::shift(t, b, 0), dx = translation::shift(t, b, 1);
    for (int64_t i = 0; i < t.h; ++i) {
      const int64_t si = translation::source(i - dy, t.h, t.fill);
      for (int64_t j = 0; j < t.w; ++j) {
        const int64_t sj = translation::source(j - dx, t.w, t.fill);
        float* out = y + b * in + (i * t.w + j) * t.c;
        if (si < 0 || sj < 0) std::fill(out, out + t.c, t.fillValue);
        else std::memcpy(out, x + b * in + (si * t.w + sj) * t.c, run);
      }
    }
  }
}

// Output (i, j) read input (source(i - dy), source(j - dx)): every output adds its gradient there,
// in output order (the GPU gathers the same terms in the same order per input element).
void backward(Backend&, const float* dy, float* dx, int64_t batch, const Translation& t, bool accumulate) {
  const int64_t in = t.h * t.w * t.c;
  if (!accumulate) std::memset(dx, 0, static_cast<size_t>(batch * in) * sizeof(float));
  for (int64_t b = 0; b < batch; ++b) {
    const int64_t sy = translation::shift(t, b, 0), sx = translation::shift(t, b, 1);
    for (int64_t i = 0; i < t.h; ++i) {
      const int64_t si = translation::source(i - sy, t.h, t.fill);
      if (si < 0) continue;
      for (int64_t j = 0; j < t.w; ++j) {
        const int64_t sj = translation::source(j - sx, t.w, t.fill);
        if (sj < 0) continue;
        const float* g = dy + b * in + (i * t.w + j) * t.c;
        float* d = dx + b * in + (si * t.w + sj) * t.c;
        for (int64_t ch = 0; ch < t.c; ++ch) d[ch] += g[ch];
      }
    }
  }
}

}  // namespace

const void* random_translationCpuKernels() {
  static const RandomTranslationKernels kernels{forward, backward};
  return &kernels;
}

}  // namespace gradloop
