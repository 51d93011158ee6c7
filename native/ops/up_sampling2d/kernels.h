// The up_sampling2d op's kernels: each input pixel repeated into an sh x sw block (nearest
// neighbour), and the gradient summed back over the block.
#pragma once
#include <cstdint>

#include "../../core/backend.h"
#include "../../core/host_device.h"

namespace gradloop {

struct UpGeometry {
  int64_t h, w, c, sh, sw;  // input [h, w, c], output [h * sh, w * sw, c]
};

struct UpSampling2dKernels {
  static constexpr OpId kOp = OpId::up_sampling2d;
  void (*forward)(Backend& b, const float* x, float* y, int64_t batch, const UpGeometry& g);
  // dx[batch, h, w, c] (+)= the sum of dy over each pixel's block.
  void (*backward)(Backend& b, const float* dy, float* dx, int64_t batch, const UpGeometry& g, bool accumulate);
};

}  // namespace gradloop
