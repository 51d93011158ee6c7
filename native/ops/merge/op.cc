// merge: n inputs of one shape combined elementwise; Keras' Add, Subtract, Multiply, Average,
// Maximum and Minimum layers (residual connections, gates). Backward: each input's share of dy.
#include "../../core/op.h"
#include "kernels.h"

namespace gradloop {
namespace {

MergeMode modeFrom(const NodeSpec& spec) {
  const std::string m = spec.string("mode", "");
  if (m == "add") return MergeMode::Add;
  if (m == "subtract") return MergeMode::Subtract;
  if (m == "multiply") return MergeMode::Multiply;
  if (m == "average") return MergeMode::Average;
  if (m == "maximum") return MergeMode::Maximum;
  if (m == "minimum") return MergeMode::Minimum;
  throw TypeError("layer '" + spec.name + "': unknown merge mode '" + m + "'");
}

class Merge final : public Op {
 public:
  explicit Merge(const NodeSpec& spec) : Op(spec), mode_(modeFrom(spec)) {}
  const char* type() const override { return "merge"; }
  bool enableDecoding(int64_t) override { return true; }  // position by position

  Shape outputShape(const std::vector<Shape>& in, const std::vector<DType>& types) override {
    if (in.size() < 2 || in.size() > MergeInputs::kMax)
      throw TypeError("layer '" + name_ + "': a merge takes 2 to " + std::to_string(MergeInputs::kMax) + " inputs, got " +
                      std::to_string(in.size()));
    if (mode_ == MergeMode::Subtract && in.size() != 2)
      throw TypeError("layer '" + name_ + "': subtract takes exactly 2 inputs, got " + std::to_string(in.size()));
    for (size_t k = 0; k < in.size(); ++k) {
      if (types[k] != DType::Float32) throw TypeError("layer '" + name_ + "': expects float32 inputs");
      if (in[k] != in[0])
        throw TypeError("layer '" + name_ + "': inputs must have one shape, got " + shapeToString(in[0]) + " and " +
                        shapeToString(in[k]));
    }
    return in[0];
  }

  void forward(const OpRun& r) override {
    kernelsOf<MergeKernels>(r.backend).forward(r.backend, inputs(r), r.output->f(), r.batch * r.output->elements(), mode_);
  }

  void backward(const OpRun& r) override {
    const MergeInputs in = inputs(r);
    const int64_t n = r.batch * r.output->elements();
    for (size_t k = 0; k < r.inputs.size(); ++k) {
      float* dx = r.inputs[k]->grad;
      if (!dx) continue;
      // Where d y / d x_k is a constant (add, subtract, average: a residual connection's case), the
      // gradient is dy scaled: the backend's copy or axpy; the others need the inputs (kernel).
      const float c = mode_ == MergeMode::Add ? 1.0f
                      : mode_ == MergeMode::Average ? 1.0f / static_cast<float>(in.count)
                      : mode_ == MergeMode::Subtract ? (k == 0 ? 1.0f : -1.0f) : 0.0f;
      if (c == 1.0f) passGradient(r.backend, r.output->grad, dx, n, r.accumulateInputGrad[k]);
      else if (c != 0.0f && r.accumulateInputGrad[k]) r.backend.axpy(dx, r.output->grad, n, c);
      else if (c != 0.0f) r.backend.copy(dx, r.output->grad, static_cast<size_t>(n) * 4), r.backend.scale(dx, n, c);
      else
        kernelsOf<MergeKernels>(r.backend).backward(r.backend, in, r.output->f(), r.output->grad, dx, n, mode_,
                                                    static_cast<int>(k), r.accumulateInputGrad[k]);
    }
  }

 private:
  static MergeInputs inputs(const OpRun& r) {
    MergeInputs in{};
    in.count = static_cast<int>(r.inputs.size());
    for (size_t k = 0; k < r.inputs.size(); ++k) in.x[k] = r.inputs[k]->f();
    return in;
  }
  MergeMode mode_;
};

}  // namespace

std::unique_ptr<Op> make_merge(const NodeSpec& spec) { return std::make_unique<Merge>(spec); }

}  // namespace gradloop
