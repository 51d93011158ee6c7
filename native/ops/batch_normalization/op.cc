// batch_normalization: Keras' BatchNormalization over one axis of the sample (the channels; the
// last by default). Training normalizes with the batch's statistics and moves the moving ones
// (parameters that are not trained: the op updates them in its forward pass); inference, and a
// frozen layer as in Keras, normalizes with the moving statistics. Then gamma * xhat + beta.
//   scratch (2 * channels floats for the whole batch, which scratchPerSample covers for any batch
//   of at least one sample): [0, C) the mean used, [C, 2C) 1 / sqrt(variance + epsilon); the
//   backward pass then uses [2C, 4C) for its per-channel sums.
#include <cmath>

#include "../../core/op.h"
#include "kernels.h"

namespace gradloop {
namespace {

class BatchNormalization final : public Op {
 public:
  explicit BatchNormalization(const NodeSpec& spec)
      : Op(spec),
        axis_(spec.integer("axis", 0, 64)),
        epsilon_(static_cast<float>(spec.number("epsilon", 1e-3))),
        momentum_(static_cast<float>(spec.number("momentum", 0.99))),
        center_(spec.number("center", 1) != 0),
        scale_(spec.number("scale", 1) != 0),
        gammaL2_(static_cast<float>(spec.number("gammaL2", 0))),
        betaL2_(static_cast<float>(spec.number("betaL2", 0))) {
    if (!(epsilon_ > 0) || !std::isfinite(epsilon_)) throw RangeError("layer '" + name_ + "': epsilon must be a finite number > 0");
    if (!(momentum_ >= 0 && momentum_ <= 1)) throw RangeError("layer '" + name_ + "': momentum must be in [0, 1]");
  }
  const char* type() const override { return "batch_normalization"; }

  Shape outputShape(const std::vector<Shape>& in, const std::vector<DType>& types) override {
    if (types[0] != DType::Float32 || axis_ >= static_cast<int64_t>(in[0].size()))
      throw TypeError("layer '" + name_ + "': batch normalization over axis " + std::to_string(axis_ + 1) +
                      " (counting the batch as 0) needs float32 samples with that axis, got " + shapeToString(in[0]));
    outer_ = 1, inner_ = 1;
    for (int64_t k = 0; k < axis_; ++k) outer_ *= in[0][k];
    channels_ = in[0][axis_];
    for (size_t k = axis_ + 1; k < in[0].size(); ++k) inner_ *= in[0][k];
    return in[0];
  }

  std::vector<ParamInfo> params() const override {
    std::vector<ParamInfo> p;
    if (scale_) p.push_back({"gamma", {channels_}, gammaL2_});
    if (center_) p.push_back({"beta", {channels_}, betaL2_});
    p.push_back({"moving_mean", {channels_}, 0, false});
    p.push_back({"moving_variance", {channels_}, 0, false});
    return p;
  }

  int64_t scratchPerSample() const override { return 4 * channels_; }
  void setFrozen(bool frozen) override { frozen_ = frozen; }

  void forward(const OpRun& r) override {
    const auto& k = kernelsOf<BatchNormKernels>(r.backend);
    const ChannelLayout l = layout(r);
    float *mean = r.scratch, *invStd = r.scratch + channels_;
    if (usesBatchStatistics(r))
      k.batchStatistics(r.backend, r.inputs[0]->f(), l, epsilon_, momentum_, mean, invStd, movingMean(r), movingVariance(r));
    else
      k.movingStatistics(r.backend, movingMean(r), movingVariance(r), channels_, epsilon_, mean, invStd);
    k.normalize(r.backend, r.inputs[0]->f(), r.output->f(), layout(r), mean, invStd, gamma(r), beta(r));
  }

  void backward(const OpRun& r) override {
    float* dGamma = scale_ ? r.paramGrads[0] : nullptr;
    float* dBeta = center_ ? r.paramGrads[scale_ ? 1 : 0] : nullptr;
    kernelsOf<BatchNormKernels>(r.backend).backward(r.backend, r.inputs[0]->f(), r.output->grad, layout(r), r.scratch,
                                                    r.scratch + channels_, gamma(r), usesBatchStatistics(r),
                                                    r.scratch + 2 * channels_, dGamma, dBeta, r.accumulateParamGrad,
                                                    r.inputs[0]->grad, r.accumulateInputGrad[0]);
  }

 private:
  bool usesBatchStatistics(const OpRun& r) const { return r.training && !frozen_; }
  ChannelLayout layout(const OpRun& r) const { return {r.batch * outer_, channels_, inner_}; }
  const float* gamma(const OpRun& r) const { return scale_ ? r.params[0] : nullptr; }
  const float* beta(const OpRun& r) const { return center_ ? r.params[scale_ ? 1 : 0] : nullptr; }
  float* movingMean(const OpRun& r) const { return r.params[r.params.size() - 2]; }
  float* movingVariance(const OpRun& r) const { return r.params[r.params.size() - 1]; }

  int64_t axis_;
  float epsilon_, momentum_;
  bool center_, scale_;
  float gammaL2_, betaL2_;
  bool frozen_ = false;
  int64_t outer_ = 1, channels_ = 1, inner_ = 1;
};

}  // namespace

std::unique_ptr<Op> make_batch_normalization(const NodeSpec& spec) { return std::make_unique<BatchNormalization>(spec); }

}  // namespace gradloop
