// dense: y = act(x · kernel + bias), applied over the last axis of x.
//   x [rows, in], kernel [in, units], bias [units], y [rows, units],
//   rows = batch * (elements of x per sample / in).
// Bias and activation are fused into one pass over y after the GEMM.
#include "../../core/op.h"
#include "../activation/kernels.h"
#include "kernels.h"

namespace gradloop {
namespace {

class Dense final : public Op {
 public:
  explicit Dense(const NodeSpec& spec)
      : Op(spec),
        units_(spec.integer("units", 1, kMaxElements)),
        useBias_(spec.number("useBias", 1) != 0),
        act_(activationFromName(spec.string("activation", "linear"))),
        alpha_(static_cast<float>(spec.number("alpha", 0.3))),
        kernelL2_(static_cast<float>(spec.number("kernelL2", 0))),
        biasL2_(static_cast<float>(spec.number("biasL2", 0))) {
  }
  const char* type() const override { return "dense"; }
  bool enableDecoding(int64_t) override { return true; }  // position by position

  Shape outputShape(const std::vector<Shape>& in, const std::vector<DType>& types) override {
    if (types[0] != DType::Float32)
      throw TypeError("layer '" + name_ + "': dense expects float32 input; put an embedding layer first for int32 token ids");
    if (in[0].empty()) throw TypeError("layer '" + name_ + "': dense needs an input with at least one dimension");
    inputs_ = in[0].back();
    rowsPerSample_ = numElements(in[0], "layer '" + name_ + "': input") / inputs_;  // dimensions >= 1
    numElements({inputs_, units_}, "layer '" + name_ + "': kernel");
    Shape out = in[0];
    out.back() = units_;
    return out;
  }

  std::vector<ParamInfo> params() const override {
    std::vector<ParamInfo> p{{"kernel", {inputs_, units_}, kernelL2_}};
    if (useBias_) p.push_back({"bias", {units_}, biasL2_});
    return p;
  }

  // [0, n): dZ (gradient before the activation); [n, 2n): pre-activation, kept only for gelu.
  int64_t scratchPerSample() const override {
    int64_t n = rowsPerSample_ * units_;
    if (act_ == Activation::Linear) return 0;
    return activationNeedsInput(act_) ? 2 * n : n;
  }

  void forward(const OpRun& r) override {
    const int64_t rows = r.batch * rowsPerSample_;
    float* y = r.output->f();
    r.backend.gemm(false, false, rows, units_, inputs_, 1.0f, r.inputs[0]->f(), inputs_, r.params[0], units_, 0.0f, y,
                   units_);
    if (useBias_ || act_ != Activation::Linear)
      kernelsOf<DenseKernels>(r.backend).biasActivationForward(
          r.backend, y, activationNeedsInput(act_) ? r.scratch + rows * units_ : nullptr, useBias_ ? r.params[1] : nullptr,
          rows, units_, act_, alpha_);
  }

  void backward(const OpRun& r) override {
    const int64_t rows = r.batch * rowsPerSample_;
    const float* dz = r.output->grad;
    if (act_ != Activation::Linear) {
      const float* preact = activationNeedsInput(act_) ? r.scratch + rows * units_ : nullptr;
      kernelsOf<ActivationKernels>(r.backend).backward(r.backend, preact, r.output->f(), r.output->grad, r.scratch,
                                                       rows * units_, act_, alpha_, false);
      dz = r.scratch;
    }
    const float beta = r.accumulateParamGrad ? 1.0f : 0.0f;
    if (useBias_ && r.paramGrads[1])  // null: frozen
      kernelsOf<DenseKernels>(r.backend).biasBackward(r.backend, dz, r.paramGrads[1], rows, units_, r.accumulateParamGrad);
    // dKernel[in, units] = x^T · dz
    if (r.paramGrads[0])
      r.backend.gemm(true, false, inputs_, units_, rows, 1.0f, r.inputs[0]->f(), inputs_, dz, units_, beta,
                     r.paramGrads[0], units_);
    // dx[rows, in] = dz · kernel^T
    if (float* dx = r.inputs[0]->grad)
      r.backend.gemm(false, true, rows, inputs_, units_, 1.0f, dz, units_, r.params[0], units_,
                     r.accumulateInputGrad[0] ? 1.0f : 0.0f, dx, inputs_);
  }

 private:
  int64_t units_, inputs_ = 0, rowsPerSample_ = 1;
  bool useBias_;
  Activation act_;
  float alpha_, kernelL2_, biasL2_;
};

}  // namespace

std::unique_ptr<Op> make_dense(const NodeSpec& spec) { return std::make_unique<Dense>(spec); }

}  // namespace gradloop
