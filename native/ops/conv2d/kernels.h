// The conv2d op's own kernels: im2col (each output position's receptive field as one row, so the
// convolution is one matrix product) and col2im (the reverse, adding overlapping contributions).
#pragma once
#include <cstdint>

#include "../../core/backend.h"
#include "../../core/host_device.h"

namespace gradloop {

// One sample's geometry, channels last: input [h, w, c], output [oh, ow, filters], a kh x kw window
// moved by (sh, sw), dilated by (dh, dw), padded by (padTop, padLeft) zeros ('same'). A grouped
// convolution (groups > 1, depthwise) reads cg channels from c0 on; an ungrouped one all c from 0.
struct ConvGeometry {
  int64_t h, w, c, oh, ow, kh, kw, sh, sw, dh, dw, padTop, padLeft;
  int64_t cg, c0;
  GRADLOOP_HOST_DEVICE int64_t positions() const { return oh * ow; }
  GRADLOOP_HOST_DEVICE int64_t window() const { return kh * kw * cg; }  // a row of the column matrix: (i, j, channel)
};

struct Conv2dKernels {
  static constexpr OpId kOp = OpId::conv2d;
  // col[batch * positions, window] from x[batch, h, w, c] (channels c0 .. c0 + cg); zeros where
  // the window leaves the input.
  void (*im2col)(Backend& b, const float* x, float* col, int64_t batch, const ConvGeometry& g);
  // dx[batch, h, w, c] (+)= the sum of every column entry that read each input element (channels
  // c0 .. c0 + cg only; the others are left as they are).
  void (*col2im)(Backend& b, const float* col, float* dx, int64_t batch, const ConvGeometry& g, bool accumulate);
};

}  // namespace gradloop
