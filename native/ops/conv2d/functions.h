// Where column entry (position p, window entry k) reads the input, one value at a time, as the GPU
// kernels need it (the CPU copies whole runs of channels instead): the input element's offset in
// the sample, or -1 for the zero padding.
#pragma once
#include "../../core/host_device.h"
#include "kernels.h"

namespace gradloop::conv2d {

GRADLOOP_HOST_DEVICE inline int64_t source(const ConvGeometry& g, int64_t p, int64_t k) {
  const int64_t oy = p / g.ow, ox = p % g.ow;
  const int64_t ch = k % g.cg, j = (k / g.cg) % g.kw, i = k / (g.cg * g.kw);
  const int64_t y = oy * g.sh - g.padTop + i * g.dh, x = ox * g.sw - g.padLeft + j * g.dw;
  if (y < 0 || y >= g.h || x < 0 || x >= g.w) return -1;
  return (y * g.w + x) * g.c + g.c0 + ch;
}

}  // namespace gradloop::conv2d
