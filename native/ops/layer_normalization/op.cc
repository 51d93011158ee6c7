// layer_normalization: Keras' LayerNormalization over the last axis (the transformer's): each
// sample position is normalized by the mean and variance of its own features, in training and
// inference alike, then gamma * xhat + beta.
//   scratch: each row's mean and 1 / sqrt(variance + epsilon), kept from forward for backward.
#include <cmath>

#include "../../core/op.h"
#include "kernels.h"

namespace gradloop {
namespace {

class LayerNormalization final : public Op {
 public:
  explicit LayerNormalization(const NodeSpec& spec)
      : Op(spec),
        epsilon_(static_cast<float>(spec.number("epsilon", 1e-3))),
        center_(spec.number("center", 1) != 0),
        scale_(spec.number("scale", 1) != 0),
        gammaL2_(static_cast<float>(spec.number("gammaL2", 0))),
        betaL2_(static_cast<float>(spec.number("betaL2", 0))) {
    if (!(epsilon_ > 0) || !std::isfinite(epsilon_)) throw RangeError("layer '" + name_ + "': epsilon must be a finite number > 0");
  }
  const char* type() const override { return "layer_normalization"; }
  bool enableDecoding(int64_t) override { return true; }  // position by position

  Shape outputShape(const std::vector<Shape>& in, const std::vector<DType>& types) override {
    if (types[0] != DType::Float32 || in[0].empty())
      throw TypeError("layer '" + name_ + "': layer normalization needs float32 samples with at least one axis, got " + shapeToString(in[0]));
    cols_ = in[0].back();
    rowsPerSample_ = numElements(in[0]) / cols_;
    return in[0];
  }

  std::vector<ParamInfo> params() const override {
    std::vector<ParamInfo> p;
    if (scale_) p.push_back({"gamma", {cols_}, gammaL2_});
    if (center_) p.push_back({"beta", {cols_}, betaL2_});
    return p;
  }

  int64_t scratchPerSample() const override { return 2 * rowsPerSample_; }

  void forward(const OpRun& r) override {
    const int64_t rows = r.batch * rowsPerSample_;
    kernelsOf<LayerNormKernels>(r.backend).forward(r.backend, r.inputs[0]->f(), r.output->f(), rows, cols_, epsilon_, gamma(r),
                                                   beta(r), r.scratch, r.scratch + rows);
  }

  void backward(const OpRun& r) override {
    const int64_t rows = r.batch * rowsPerSample_;
    float* dGamma = scale_ ? r.paramGrads[0] : nullptr;
    float* dBeta = center_ ? r.paramGrads[scale_ ? 1 : 0] : nullptr;
    kernelsOf<LayerNormKernels>(r.backend).backward(r.backend, r.inputs[0]->f(), r.output->grad, rows, cols_, gamma(r),
                                                    r.scratch, r.scratch + rows, r.inputs[0]->grad, r.accumulateInputGrad[0],
                                                    dGamma, dBeta, r.accumulateParamGrad);
  }

 private:
  const float* gamma(const OpRun& r) const { return scale_ ? r.params[0] : nullptr; }
  const float* beta(const OpRun& r) const { return center_ ? r.params[scale_ ? 1 : 0] : nullptr; }

  float epsilon_;
  bool center_, scale_;
  float gammaL2_, betaL2_;
  int64_t cols_ = 1, rowsPerSample_ = 1;
};

}  // namespace

std::unique_ptr<Op> make_layer_normalization(const NodeSpec& spec) { return std::make_unique<LayerNormalization>(spec); }

}  // namespace gradloop
