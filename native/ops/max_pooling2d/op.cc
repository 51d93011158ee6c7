// max_pooling2d: the maximum of each pool window over channels-last samples (Keras'
// MaxPooling2D). Forward keeps where each maximum was (scratch, as int32); backward sends dy there.
#include <algorithm>

#include "../../core/op.h"
#include "kernels.h"

namespace gradloop {
namespace {

class MaxPooling2d final : public Op {
 public:
  explicit MaxPooling2d(const NodeSpec& spec) : Op(spec), same_(spec.string("padding", "valid") == "same") {
    g_.ph = spec.integer("poolHeight", 1, 4096);
    g_.pw = spec.integer("poolWidth", 1, 4096);
    g_.sh = spec.integer("strideHeight", 1, 4096);
    g_.sw = spec.integer("strideWidth", 1, 4096);
  }
  const char* type() const override { return "max_pooling2d"; }

  Shape outputShape(const std::vector<Shape>& in, const std::vector<DType>& types) override {
    if (types[0] != DType::Float32 || in[0].size() != 3)
      throw TypeError("layer '" + name_ + "': maxPooling2d expects float32 samples [height, width, channels], got " + shapeToString(in[0]));
    g_.h = in[0][0], g_.w = in[0][1], g_.c = in[0][2];
    if (same_) {
      g_.oh = (g_.h + g_.sh - 1) / g_.sh, g_.ow = (g_.w + g_.sw - 1) / g_.sw;
      g_.padTop = std::max<int64_t>(0, (g_.oh - 1) * g_.sh + g_.ph - g_.h) / 2;
      g_.padLeft = std::max<int64_t>(0, (g_.ow - 1) * g_.sw + g_.pw - g_.w) / 2;
    } else {
      if (g_.ph > g_.h || g_.pw > g_.w)
        throw TypeError("layer '" + name_ + "': a " + std::to_string(g_.ph) + "x" + std::to_string(g_.pw) + " pool does not fit in input " +
                        shapeToString(in[0]) + "; use padding 'same' or a smaller poolSize");
      g_.oh = (g_.h - g_.ph) / g_.sh + 1, g_.ow = (g_.w - g_.pw) / g_.sw + 1;
      g_.padTop = g_.padLeft = 0;
    }
    return {g_.oh, g_.ow, g_.c};
  }

  int64_t scratchPerSample() const override { return g_.outputs(); }  // where each maximum was

  void forward(const OpRun& r) override {
    kernelsOf<MaxPooling2dKernels>(r.backend).forward(r.backend, r.inputs[0]->f(), r.output->f(), where(r), r.batch, g_);
  }

  void backward(const OpRun& r) override {
    if (float* dx = r.inputs[0]->grad)
      kernelsOf<MaxPooling2dKernels>(r.backend).backward(r.backend, r.output->grad, where(r), dx, r.batch, g_, r.accumulateInputGrad[0]);
  }

 private:
  static int32_t* where(const OpRun& r) { return reinterpret_cast<int32_t*>(r.scratch); }
  bool same_;
  PoolGeometry g_{};
};

}  // namespace

std::unique_ptr<Op> make_max_pooling2d(const NodeSpec& spec) { return std::make_unique<MaxPooling2d>(spec); }

}  // namespace gradloop
