// One output's window maximum and its place, value by value: the GPU kernel's form (the CPU runs
// whole runs of channels by the same rule).
#pragma once
#include "../../core/host_device.h"
#include "kernels.h"

namespace gradloop::pool {

// Output element o of a sample (oy, ox, ch): writes the maximum to *value, returns its input offset.
GRADLOOP_HOST_DEVICE inline int32_t maximum(const PoolGeometry& g, const float* x, int64_t o, float* value) {
  const int64_t ch = o % g.c, ox = (o / g.c) % g.ow, oy = o / (g.c * g.ow);
  int32_t best = -1;
  float m = 0;
  for (int64_t i = 0; i < g.ph; ++i) {
    const int64_t y = oy * g.sh - g.padTop + i;
    if (y < 0 || y >= g.h) continue;
    for (int64_t j = 0; j < g.pw; ++j) {
      const int64_t xx = ox * g.sw - g.padLeft + j;
      if (xx < 0 || xx >= g.w) continue;
      const int64_t s = (y * g.w + xx) * g.c + ch;
      if (best < 0 || x[s] > m) m = x[s], best = static_cast<int32_t>(s);
    }
  }
  *value = m;
  return best;
}

}  // namespace gradloop::pool
