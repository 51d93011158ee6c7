// A pooling layer's geometry from its input shape (max_pooling2d and avg_pooling2d): 'valid' or
// TensorFlow's 'same' (ceil(size / stride) windows, the extra padding at the end).
#pragma once
#include <algorithm>
#include <string>

#include "../../core/op.h"
#include "kernels.h"

namespace gradloop {

inline PoolGeometry poolGeometry(const NodeSpec& spec) {
  PoolGeometry g{};
  g.ph = spec.integer("poolHeight", 1, 4096);
  g.pw = spec.integer("poolWidth", 1, 4096);
  g.sh = spec.integer("strideHeight", 1, 4096);
  g.sw = spec.integer("strideWidth", 1, 4096);
  return g;
}

// Fills in the input and output sizes and the padding; throws naming the layer when it does not fit.
inline void poolShape(PoolGeometry& g, const Shape& in, DType type, bool same, const std::string& name, const char* what) {
  if (type != DType::Float32 || in.size() != 3)
    throw TypeError("layer '" + name + "': " + what + " expects float32 samples [height, width, channels], got " + shapeToString(in));
  g.h = in[0], g.w = in[1], g.c = in[2];
  if (same) {
    g.oh = (g.h + g.sh - 1) / g.sh, g.ow = (g.w + g.sw - 1) / g.sw;
    g.padTop = std::max<int64_t>(0, (g.oh - 1) * g.sh + g.ph - g.h) / 2;
    g.padLeft = std::max<int64_t>(0, (g.ow - 1) * g.sw + g.pw - g.w) / 2;
  } else {
    if (g.ph > g.h || g.pw > g.w)
      throw TypeError("layer '" + name + "': a " + std::to_string(g.ph) + "x" + std::to_string(g.pw) + " pool does not fit in input " +
                      shapeToString(in) + "; use padding 'same' or a smaller poolSize");
    g.oh = (g.h - g.ph) / g.sh + 1, g.ow = (g.w - g.pw) / g.sw + 1;
    g.padTop = g.padLeft = 0;
  }
}

}  // namespace gradloop
