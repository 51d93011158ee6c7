// max_pooling2d: the maximum of each pool window over channels-last samples (Keras'
// MaxPooling2D). Forward keeps where each maximum was (scratch, as int32); backward sends dy there.
#include "../../core/op.h"
#include "geometry.h"
#include "kernels.h"

namespace gradloop {
namespace {

class MaxPooling2d final : public Op {
 public:
  explicit MaxPooling2d(const NodeSpec& spec) : Op(spec), same_(spec.string("padding", "valid") == "same"), g_(poolGeometry(spec)) {}
  const char* type() const override { return "max_pooling2d"; }

  Shape outputShape(const std::vector<Shape>& in, const std::vector<DType>& types) override {
    poolShape(g_, in[0], types[0], same_, name_, "maxPooling2d");
    return {g_.oh, g_.ow, g_.c};
  }

  int64_t scratchPerSample() const override { return g_.outputs(); }  // where each maximum was

  void forward(const OpRun& r) override {
    kernelsOf<MaxPooling2dKernels>(r.backend).forward(r.backend, r.inputs[0]->f(), r.output->f(), where(r), r.batch, g_);
  }

  void backward(const OpRun& r) override {
    if (float* dx = r.inputs[0]->grad)
      kernelsOf<MaxPooling2dKernels>(r.backend).backward(r.backend, r.output->grad, where(r), dx, r.batch, g_, r.accumulateInputGrad[0]);
  }

 private:
  static int32_t* where(const OpRun& r) { return reinterpret_cast<int32_t*>(r.scratch); }
  bool same_;
  PoolGeometry g_;
};

}  // namespace

std::unique_ptr<Op> make_max_pooling2d(const NodeSpec& spec) { return std::make_unique<MaxPooling2d>(spec); }

}  // namespace gradloop
