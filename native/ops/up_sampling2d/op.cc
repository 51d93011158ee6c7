// up_sampling2d: nearest-neighbour upsampling of channels-last samples (Keras' UpSampling2D with
// interpolation 'nearest'): [h, w, c] to [h * sh, w * sw, c]; backward sums each block.
#include "../../core/op.h"
#include "kernels.h"

namespace gradloop {
namespace {

class UpSampling2d final : public Op {
 public:
  explicit UpSampling2d(const NodeSpec& spec) : Op(spec) {
    g_.sh = spec.integer("sizeHeight", 1, 4096);
    g_.sw = spec.integer("sizeWidth", 1, 4096);
  }
  const char* type() const override { return "up_sampling2d"; }

  Shape outputShape(const std::vector<Shape>& in, const std::vector<DType>& types) override {
    if (types[0] != DType::Float32 || in[0].size() != 3)
      throw TypeError("layer '" + name_ + "': upSampling2d expects float32 samples [height, width, channels], got " + shapeToString(in[0]));
    g_.h = in[0][0], g_.w = in[0][1], g_.c = in[0][2];
    const Shape out{checkedMultiply(g_.h, g_.sh, "layer '" + name_ + "': output"), checkedMultiply(g_.w, g_.sw, "layer '" + name_ + "': output"), g_.c};
    numElements(out, "layer '" + name_ + "': output");
    return out;
  }

  void forward(const OpRun& r) override {
    kernelsOf<UpSampling2dKernels>(r.backend).forward(r.backend, r.inputs[0]->f(), r.output->f(), r.batch, g_);
  }

  void backward(const OpRun& r) override {
    if (float* dx = r.inputs[0]->grad)
      kernelsOf<UpSampling2dKernels>(r.backend).backward(r.backend, r.output->grad, dx, r.batch, g_, r.accumulateInputGrad[0]);
  }

 private:
  UpGeometry g_{};
};

}  // namespace

std::unique_ptr<Op> make_up_sampling2d(const NodeSpec& spec) { return std::make_unique<UpSampling2d>(spec); }

}  // namespace gradloop
