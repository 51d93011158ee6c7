// zero_padding2d: rows and columns of zeros around channels-last samples (Keras' ZeroPadding2D):
// [h, w, c] to [top + h + bottom, left + w + right, c]; backward takes the inner part of dy.
#include "../../core/op.h"
#include "kernels.h"

namespace gradloop {
namespace {

class ZeroPadding2d final : public Op {
 public:
  explicit ZeroPadding2d(const NodeSpec& spec)
      : Op(spec), bottom_(spec.integer("bottom", 0, 65536)), right_(spec.integer("right", 0, 65536)) {
    g_.top = spec.integer("top", 0, 65536);
    g_.left = spec.integer("left", 0, 65536);
  }
  const char* type() const override { return "zero_padding2d"; }

  Shape outputShape(const std::vector<Shape>& in, const std::vector<DType>& types) override {
    if (types[0] != DType::Float32 || in[0].size() != 3)
      throw TypeError("layer '" + name_ + "': zeroPadding2d expects float32 samples [height, width, channels], got " + shapeToString(in[0]));
    g_.h = in[0][0], g_.w = in[0][1], g_.c = in[0][2];
    g_.oh = g_.top + g_.h + bottom_, g_.ow = g_.left + g_.w + right_;
    numElements({g_.oh, g_.ow, g_.c}, "layer '" + name_ + "': output");
    return {g_.oh, g_.ow, g_.c};
  }

  void forward(const OpRun& r) override {
    kernelsOf<ZeroPadding2dKernels>(r.backend).forward(r.backend, r.inputs[0]->f(), r.output->f(), r.batch, g_);
  }

  void backward(const OpRun& r) override {
    if (float* dx = r.inputs[0]->grad)
      kernelsOf<ZeroPadding2dKernels>(r.backend).backward(r.backend, r.output->grad, dx, r.batch, g_, r.accumulateInputGrad[0]);
  }

 private:
  int64_t bottom_, right_;
  PadGeometry g_{};
};

}  // namespace

std::unique_ptr<Op> make_zero_padding2d(const NodeSpec& spec) { return std::make_unique<ZeroPadding2d>(spec); }

}  // namespace gradloop
