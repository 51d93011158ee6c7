// random_translation: Keras' RandomTranslation, a data augmentation layer. In training each
// sample is moved by a whole number of pixels drawn per sample and step (heightFactor and
// widthFactor of the size at most), the uncovered border filled as Keras' fillMode says; at
// inference it passes the input through. Backward adds each output's gradient to the input
// element it read (so it works anywhere in a model, not only first).
#include "../../core/op.h"
#include "../../core/rng.h"
#include "kernels.h"

namespace gradloop {
namespace {

FillMode fillModeFromName(const std::string& name, const std::string& layer) {
  if (name == "constant") return FillMode::Constant;
  if (name == "reflect") return FillMode::Reflect;
  if (name == "wrap") return FillMode::Wrap;
  if (name == "nearest") return FillMode::Nearest;
  throw TypeError("layer '" + layer + "': unknown fillMode '" + name + "'; use 'reflect', 'wrap', 'nearest' or 'constant'");
}

class RandomTranslation final : public Op {
 public:
  explicit RandomTranslation(const NodeSpec& spec)
      : Op(spec), salt_(mix64(static_cast<uint64_t>(spec.integer("seed", 0, kMaxSafeInteger, 0)) + 0x7261ULL)) {
    t_.lowH = static_cast<float>(spec.number("heightLower"));
    t_.highH = static_cast<float>(spec.number("heightUpper"));
    t_.lowW = static_cast<float>(spec.number("widthLower"));
    t_.highW = static_cast<float>(spec.number("widthUpper"));
    for (float f : {t_.lowH, t_.highH, t_.lowW, t_.highW})
      if (!(f >= -1 && f <= 1)) throw RangeError("layer '" + name_ + "': translation factors must be in [-1, 1]");
    if (t_.lowH > t_.highH || t_.lowW > t_.highW) throw RangeError("layer '" + name_ + "': a factor's lower bound is above its upper bound");
    t_.fill = fillModeFromName(spec.string("fillMode", "reflect"), name_);
    t_.fillValue = static_cast<float>(spec.number("fillValue", 0));
  }
  const char* type() const override { return "random_translation"; }

  Shape outputShape(const std::vector<Shape>& in, const std::vector<DType>& types) override {
    if (types[0] != DType::Float32 || in[0].size() != 3)
      throw TypeError("layer '" + name_ + "': randomTranslation expects float32 samples [height, width, channels], got " + shapeToString(in[0]));
    t_.h = in[0][0], t_.w = in[0][1], t_.c = in[0][2];
    return in[0];
  }

  void forward(const OpRun& r) override {
    const int64_t n = r.batch * r.output->elements();
    if (!r.training) return r.backend.copy(r.output->value, r.inputs[0]->value, n * sizeof(float));
    kernelsOf<RandomTranslationKernels>(r.backend).forward(r.backend, r.inputs[0]->f(), r.output->f(), r.batch, draw(r));
  }

  void backward(const OpRun& r) override {
    float* dx = r.inputs[0]->grad;
    if (!dx) return;  // the usual case: the first layer
    const int64_t n = r.batch * r.output->elements();
    if (!r.training) return passGradient(r.backend, r.output->grad, dx, n, r.accumulateInputGrad[0]);
    kernelsOf<RandomTranslationKernels>(r.backend).backward(r.backend, r.output->grad, dx, r.batch, draw(r), r.accumulateInputGrad[0]);
  }

 private:
  Translation draw(const OpRun& r) const {
    Translation t = t_;
    t.seed = r.seed ^ salt_, t.stream = r.stream;
    return t;
  }

  uint64_t salt_;  // the layer's own seed, mixed into fit's
  Translation t_{};
};

}  // namespace

std::unique_ptr<Op> make_random_translation(const NodeSpec& spec) { return std::make_unique<RandomTranslation>(spec); }

}  // namespace gradloop
