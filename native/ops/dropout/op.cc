// dropout (inverted): in training y = x * keep / (1 - rate), keep drawn from a
// counter-based RNG per (seed, step, node, element); at inference y = x.
// Backward regenerates the same mask instead of storing it.
#include "../../core/op.h"
#include "../../core/rng.h"
#include "kernels.h"

namespace gradloop {
namespace {

class Dropout final : public Op {
 public:
  explicit Dropout(const NodeSpec& spec)
      : Op(spec),
        rate_(static_cast<float>(spec.number("rate"))),
        salt_(mix64(static_cast<uint64_t>(spec.integer("seed", 0, kMaxSafeInteger, 0)) + 1)) {
    if (!(rate_ >= 0 && rate_ < 1)) throw RangeError("layer '" + name_ + "': rate must be in [0, 1)");
  }
  const char* type() const override { return "dropout"; }
  bool enableDecoding(int64_t) override { return true; }  // position by position

  Shape outputShape(const std::vector<Shape>& in, const std::vector<DType>& types) override {
    if (types[0] != DType::Float32) throw TypeError("layer '" + name_ + "': dropout expects float32 input");
    return in[0];
  }

  void forward(const OpRun& r) override {
    int64_t n = r.batch * r.output->elements();
    if (r.training && rate_ > 0)
      kernelsOf<DropoutKernels>(r.backend).apply(r.backend, r.inputs[0]->f(), r.output->f(), n, rate_, r.seed ^ salt_,
                                                 r.stream, false);
    else
      r.backend.copy(r.output->value, r.inputs[0]->value, n * sizeof(float));
  }

  void backward(const OpRun& r) override {
    float* dx = r.inputs[0]->grad;
    if (!dx) return;
    int64_t n = r.batch * r.output->elements();
    if (r.training && rate_ > 0)
      kernelsOf<DropoutKernels>(r.backend).apply(r.backend, r.output->grad, dx, n, rate_, r.seed ^ salt_, r.stream,
                                                 r.accumulateInputGrad[0]);
    else
      passGradient(r.backend, r.output->grad, dx, n, r.accumulateInputGrad[0]);
  }

 private:
  float rate_;
  uint64_t salt_;  // the layer's own seed, mixed into fit's
};

}  // namespace

std::unique_ptr<Op> make_dropout(const NodeSpec& spec) { return std::make_unique<Dropout>(spec); }

}  // namespace gradloop
