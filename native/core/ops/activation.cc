// Standalone activation layers (relu, leakyRelu, sigmoid, tanh, gelu): y = act(x), elementwise.
// The kernels are shared with dense's fused activation; see the backend.
#include "ops.h"

namespace gradloop {
namespace {

class ActivationOp final : public Op {
 public:
  explicit ActivationOp(const NodeSpec& spec)
      : Op(spec),
        act_(activationFromName(spec.string("activation", ""))),
        alpha_(static_cast<float>(spec.number("alpha", 0.3))) {}
  const char* type() const override { return "activation"; }

  Shape outputShape(const std::vector<Shape>& in, const std::vector<DType>& types) override {
    if (types[0] != DType::Float32) throw TypeError("layer '" + name_ + "': activations expect float32 input");
    return in[0];
  }

  void forward(const OpRun& r) override {
    r.backend.activationForward(r.inputs[0]->f(), r.output->f(), r.batch * r.output->elements(), act_, alpha_);
  }

  void backward(const OpRun& r) override {
    if (float* dx = r.inputs[0]->grad)
      r.backend.activationBackward(r.inputs[0]->f(), r.output->f(), r.output->grad, dx,
                                   r.batch * r.output->elements(), act_, alpha_, r.accumulateInputGrad[0]);
  }

 private:
  Activation act_;
  float alpha_;
};

}  // namespace

std::unique_ptr<Op> makeActivation(const NodeSpec& spec) { return std::make_unique<ActivationOp>(spec); }

}  // namespace gradloop
