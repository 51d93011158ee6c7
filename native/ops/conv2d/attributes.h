// What conv2d and conv2d_transpose read from their node alike: filters, the window (size, strides,
// dilation), padding, the bias and the fused activation with their regularization.
#pragma once
#include "../../core/op.h"
#include "../activation/kernels.h"
#include "kernels.h"

namespace gradloop {

struct ConvAttributes {
  int64_t filters;
  bool same, useBias;
  Activation act;
  float alpha, kernelL2, biasL2;

  // Also fills the window fields of `g` (kh, kw, sh, sw, dh, dw).
  ConvAttributes(const NodeSpec& spec, ConvGeometry& g)
      : filters(spec.integer("filters", 1, kMaxElements)),
        same(spec.string("padding", "valid") == "same"),
        useBias(spec.number("useBias", 1) != 0),
        act(activationFromName(spec.string("activation", "linear"))),
        alpha(static_cast<float>(spec.number("alpha", 0.3))),
        kernelL2(static_cast<float>(spec.number("kernelL2", 0))),
        biasL2(static_cast<float>(spec.number("biasL2", 0))) {
    g.kh = spec.integer("kernelHeight", 1, 4096);
    g.kw = spec.integer("kernelWidth", 1, 4096);
    g.sh = spec.integer("strideHeight", 1, 4096);
    g.sw = spec.integer("strideWidth", 1, 4096);
    g.dh = spec.integer("dilationHeight", 1, 4096);
    g.dw = spec.integer("dilationWidth", 1, 4096);
  }
};

}  // namespace gradloop
