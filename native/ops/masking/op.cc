// masking: Keras' Masking. A step (a row of a sample's last axis) whose every feature equals
// maskValue is padding: its values become 0 here, and layers after it that take masks (recurrent
// layers) skip it (the model carries the mask to them: Layer.outputMask). Backward: dx = dy where the step
// is real, 0 where it is padding.
//   scratch per sample: the mask, one value per step.
#include "../../core/op.h"
#include "kernels.h"

namespace gradloop {
namespace {

class Masking final : public Op {
 public:
  explicit Masking(const NodeSpec& spec) : Op(spec), value_(static_cast<float>(spec.number("maskValue", 0))) {}
  const char* type() const override { return "masking"; }
  bool enableDecoding(int64_t) override { return true; }  // position by position

  Shape outputShape(const std::vector<Shape>& in, const std::vector<DType>& types) override {
    if (types[0] != DType::Float32 || in[0].size() < 2)
      throw TypeError("layer '" + name_ + "': masking expects float32 [steps, features] input, got " + shapeToString(in[0]));
    width_ = in[0].back();
    steps_ = numElements(in[0]) / width_;
    return in[0];
  }
  int64_t scratchPerSample() const override { return steps_; }

  void forward(const OpRun& r) override {
    const auto& k = kernelsOf<MaskingKernels>(r.backend);
    k.stepMask(r.backend, r.inputs[0]->f(), r.scratch, r.batch * steps_, width_, value_);
    k.apply(r.backend, r.inputs[0]->f(), r.scratch, r.output->f(), r.batch * steps_, width_, false);
  }

  void backward(const OpRun& r) override {
    if (float* dx = r.inputs[0]->grad)
      kernelsOf<MaskingKernels>(r.backend).apply(r.backend, r.output->grad, r.scratch, dx, r.batch * steps_, width_, r.accumulateInputGrad[0]);
  }

 private:
  float value_;
  int64_t width_ = 1, steps_ = 1;
};

}  // namespace

std::unique_ptr<Op> make_masking(const NodeSpec& spec) { return std::make_unique<Masking>(spec); }

}  // namespace gradloop
