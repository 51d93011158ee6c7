// The max_pooling2d op's kernels: each window's maximum (and where it was), and the gradient
// routed back to that place.
#pragma once
#include <cstdint>

#include "../../core/backend.h"
#include "../../core/host_device.h"

namespace gradloop {

// One sample's geometry, channels last: input [h, w, c], output [oh, ow, c], a ph x pw window
// moved by (sh, sw), 'same' padding (padTop, padLeft) being outside every maximum.
struct PoolGeometry {
  int64_t h, w, c, oh, ow, ph, pw, sh, sw, padTop, padLeft;
  GRADLOOP_HOST_DEVICE int64_t outputs() const { return oh * ow * c; }
  GRADLOOP_HOST_DEVICE int64_t inputs() const { return h * w * c; }
};

struct MaxPooling2dKernels {
  static constexpr OpId kOp = OpId::max_pooling2d;
  // y[batch, oh, ow, c] = the window's maximum; where[...] = its input offset in the sample (the first on ties).
  void (*forward)(Backend& b, const float* x, float* y, int32_t* where, int64_t batch, const PoolGeometry& g);
  // dx (+)= dy at each window's maximum (summed where windows overlap, in a fixed order).
  void (*backward)(Backend& b, const float* dy, const int32_t* where, float* dx, int64_t batch, const PoolGeometry& g, bool accumulate);
};

}  // namespace gradloop
