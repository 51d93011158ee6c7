// flatten: [batch, d1, d2, ...] -> [batch, d1 * d2 * ...]. Memory layout is
// unchanged, so forward and backward are copies; it needs no kernels of its own.
#include "../../core/op.h"

namespace gradloop {
namespace {

class Flatten final : public Op {
 public:
  using Op::Op;
  const char* type() const override { return "flatten"; }

  Shape outputShape(const std::vector<Shape>& in, const std::vector<DType>& types) override {
    if (types[0] != DType::Float32) throw TypeError("layer '" + name_ + "': flatten expects float32 input");
    return {numElements(in[0])};
  }

  void forward(const OpRun& r) override {
    r.backend.copy(r.output->value, r.inputs[0]->value, r.batch * r.output->elements() * sizeof(float));
  }

  void backward(const OpRun& r) override {
    if (float* dx = r.inputs[0]->grad)
      passGradient(r.backend, r.output->grad, dx, r.batch * r.output->elements(), r.accumulateInputGrad[0]);
  }
};

}  // namespace

std::unique_ptr<Op> make_flatten(const NodeSpec& spec) { return std::make_unique<Flatten>(spec); }

}  // namespace gradloop
