// avg_pooling2d: the mean of each pool window over channels-last samples (Keras' AveragePooling2D;
// with 'same' padding the mean is over the input positions only). GlobalAveragePooling2D is this
// with one window the size of the input (layers/average-pooling2d.ts).
#include "../../core/op.h"
#include "../max_pooling2d/geometry.h"
#include "kernels.h"

namespace gradloop {
namespace {

class AvgPooling2d final : public Op {
 public:
  explicit AvgPooling2d(const NodeSpec& spec) : Op(spec), same_(spec.string("padding", "valid") == "same"), g_(poolGeometry(spec)) {}
  const char* type() const override { return "avg_pooling2d"; }

  Shape outputShape(const std::vector<Shape>& in, const std::vector<DType>& types) override {
    poolShape(g_, in[0], types[0], same_, name_, "averagePooling2d");
    return {g_.oh, g_.ow, g_.c};
  }

  void forward(const OpRun& r) override {
    kernelsOf<AvgPooling2dKernels>(r.backend).forward(r.backend, r.inputs[0]->f(), r.output->f(), r.batch, g_);
  }

  void backward(const OpRun& r) override {
    if (float* dx = r.inputs[0]->grad)
      kernelsOf<AvgPooling2dKernels>(r.backend).backward(r.backend, r.output->grad, dx, r.batch, g_, r.accumulateInputGrad[0]);
  }

 private:
  bool same_;
  PoolGeometry g_;
};

}  // namespace

std::unique_ptr<Op> make_avg_pooling2d(const NodeSpec& spec) { return std::make_unique<AvgPooling2d>(spec); }

}  // namespace gradloop
