// softmax over the last axis: y = exp(x - max) / sum(exp(x - max)).
// Backward: dx = y * (dy - sum(dy * y)) per row.
#include "../../core/op.h"
#include "kernels.h"

namespace gradloop {
namespace {

class Softmax final : public Op {
 public:
  using Op::Op;
  const char* type() const override { return "softmax"; }
  bool enableDecoding(int64_t) override { return true; }  // position by position

  Shape outputShape(const std::vector<Shape>& in, const std::vector<DType>& types) override {
    if (types[0] != DType::Float32 || in[0].empty())
      throw TypeError("layer '" + name_ + "': softmax expects a float32 input with at least one dimension");
    cols_ = in[0].back();
    return in[0];
  }

  void forward(const OpRun& r) override {
    int64_t rows = r.batch * r.output->elements() / cols_;
    kernelsOf<SoftmaxKernels>(r.backend).forward(r.backend, r.inputs[0]->f(), r.output->f(), rows, cols_);
  }

  void backward(const OpRun& r) override {
    int64_t rows = r.batch * r.output->elements() / cols_;
    if (float* dx = r.inputs[0]->grad)
      kernelsOf<SoftmaxKernels>(r.backend).backward(r.backend, r.output->f(), r.output->grad, dx, rows, cols_,
                                                    r.accumulateInputGrad[0]);
  }

 private:
  int64_t cols_ = 1;
};

}  // namespace

std::unique_ptr<Op> make_softmax(const NodeSpec& spec) { return std::make_unique<Softmax>(spec); }

}  // namespace gradloop
