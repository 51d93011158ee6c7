// The zero_padding2d op's kernels: a sample [h, w, c] inside a frame of zeros, and the gradient
// of the part inside.
#pragma once
#include <cstdint>

#include "../../core/backend.h"
#include "../../core/host_device.h"

namespace gradloop {

struct PadGeometry {
  int64_t h, w, c, top, left, oh, ow;  // input [h, w, c], output [oh, ow, c]
};

struct ZeroPadding2dKernels {
  static constexpr OpId kOp = OpId::zero_padding2d;
  // y[batch, oh, ow, c]: x where it lands, zeros elsewhere.
  void (*forward)(Backend& b, const float* x, float* y, int64_t batch, const PadGeometry& g);
  // dx[batch, h, w, c] (+)= dy at the input's place.
  void (*backward)(Backend& b, const float* dy, float* dx, int64_t batch, const PadGeometry& g, bool accumulate);
};

}  // namespace gradloop
