// Standalone activation layers (relu, leakyRelu, sigmoid, tanh, gelu): y = act(x), elementwise.
// The formulas are in functions.h, shared with dense's fused activation and both backends.
#include "../../core/op.h"
#include "kernels.h"

namespace gradloop {

Activation activationFromName(const std::string& name) {
  if (name == "linear" || name.empty()) return Activation::Linear;
  if (name == "relu") return Activation::Relu;
  if (name == "leakyRelu") return Activation::LeakyRelu;
  if (name == "sigmoid") return Activation::Sigmoid;
  if (name == "tanh") return Activation::Tanh;
  if (name == "gelu") return Activation::Gelu;
  throw TypeError("unknown activation '" + name + "'; expected one of linear, relu, leakyRelu, sigmoid, tanh, gelu");
}

namespace {

class ActivationOp final : public Op {
 public:
  explicit ActivationOp(const NodeSpec& spec)
      : Op(spec),
        act_(activationFromName(spec.string("activation", ""))),
        alpha_(static_cast<float>(spec.number("alpha", 0.3))) {}
  const char* type() const override { return "activation"; }
  bool enableDecoding(int64_t) override { return true; }  // position by position

  Shape outputShape(const std::vector<Shape>& in, const std::vector<DType>& types) override {
    if (types[0] != DType::Float32) throw TypeError("layer '" + name_ + "': activations expect float32 input");
    return in[0];
  }

  void forward(const OpRun& r) override {
    kernelsOf<ActivationKernels>(r.backend).forward(r.backend, r.inputs[0]->f(), r.output->f(),
                                                    r.batch * r.output->elements(), act_, alpha_);
  }

  void backward(const OpRun& r) override {
    if (float* dx = r.inputs[0]->grad)
      kernelsOf<ActivationKernels>(r.backend).backward(r.backend, r.inputs[0]->f(), r.output->f(), r.output->grad, dx,
                                                       r.batch * r.output->elements(), act_, alpha_,
                                                       r.accumulateInputGrad[0]);
  }

 private:
  Activation act_;
  float alpha_;
};

}  // namespace

std::unique_ptr<Op> make_activation(const NodeSpec& spec) { return std::make_unique<ActivationOp>(spec); }

}  // namespace gradloop
