// softplus: y = log(1 + exp(x)), elementwise; a smooth relu. Backward: dx = dy * sigmoid(x).
#include "../../core/op.h"
#include "kernels.h"

namespace gradloop {
namespace {

class Softplus final : public Op {
 public:
  using Op::Op;
  const char* type() const override { return "softplus"; }
  bool enableDecoding(int64_t) override { return true; }  // position by position

  Shape outputShape(const std::vector<Shape>& in, const std::vector<DType>& types) override {
    if (types[0] != DType::Float32) throw TypeError("layer '" + name_ + "': softplus expects float32 input");
    return in[0];
  }

  void forward(const OpRun& r) override {
    kernelsOf<SoftplusKernels>(r.backend).forward(r.backend, r.inputs[0]->f(), r.output->f(), r.batch * r.output->elements());
  }

  void backward(const OpRun& r) override {
    if (float* dx = r.inputs[0]->grad)
      kernelsOf<SoftplusKernels>(r.backend).backward(r.backend, r.inputs[0]->f(), r.output->grad, dx,
                                                     r.batch * r.output->elements(), r.accumulateInputGrad[0]);
  }
};

}  // namespace

std::unique_ptr<Op> make_softplus(const NodeSpec& spec) { return std::make_unique<Softplus>(spec); }

}  // namespace gradloop
