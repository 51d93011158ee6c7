// A pool window's extent in the input, for the CPU and the GPU alike.
#pragma once
#include "../../core/host_device.h"
#include "kernels.h"

namespace gradloop::avgpool {

// Output (oy, ox): the input rows [*y0, *y1) and columns [*x0, *x1) its window covers.
GRADLOOP_HOST_DEVICE inline void window(const PoolGeometry& g, int64_t oy, int64_t ox, int64_t* y0, int64_t* y1, int64_t* x0, int64_t* x1) {
  const int64_t top = oy * g.sh - g.padTop, left = ox * g.sw - g.padLeft;
  *y0 = top < 0 ? 0 : top;
  *y1 = top + g.ph > g.h ? g.h : top + g.ph;
  *x0 = left < 0 ? 0 : left;
  *x1 = left + g.pw > g.w ? g.w : left + g.pw;
}

}  // namespace gradloop::avgpool
