// repeat_vector: [f] -> [n, f], the sample repeated n times (Keras' RepeatVector). Forward is n
// strided copies, backward adds the n slices of dy; the backend's copyBlocks, no kernels of its own.
#include "../../core/op.h"

namespace gradloop {
namespace {

class RepeatVector final : public Op {
 public:
  explicit RepeatVector(const NodeSpec& spec) : Op(spec), n_(spec.integer("n", 1, kMaxElements)) {}
  const char* type() const override { return "repeat_vector"; }

  Shape outputShape(const std::vector<Shape>& in, const std::vector<DType>& types) override {
    if (types[0] != DType::Float32 || in[0].size() != 1)
      throw TypeError("layer '" + name_ + "': repeatVector expects float32 samples of shape [features], got " + shapeToString(in[0]));
    width_ = in[0][0];
    return {n_, width_};
  }

  void forward(const OpRun& r) override {
    for (int64_t k = 0; k < n_; ++k)
      r.backend.copyBlocks(r.output->f() + k * width_, n_ * width_, r.inputs[0]->f(), width_, r.batch, width_, false);
  }

  void backward(const OpRun& r) override {
    float* dx = r.inputs[0]->grad;
    if (!dx) return;
    for (int64_t k = 0; k < n_; ++k)
      r.backend.copyBlocks(dx, width_, r.output->grad + k * width_, n_ * width_, r.batch, width_, k > 0 || r.accumulateInputGrad[0]);
  }

 private:
  int64_t n_, width_ = 0;
};

}  // namespace

std::unique_ptr<Op> make_repeat_vector(const NodeSpec& spec) { return std::make_unique<RepeatVector>(spec); }

}  // namespace gradloop
