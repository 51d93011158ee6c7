// The batch normalization op's own kernels. A batch is seen as [groups, channels, inner]: the
// channel axis in the middle, everything before it (the batch included) folded into groups and
// everything after it into inner (1 for channels last). Statistics are per channel, over the
// groups * inner values of that channel.
#pragma once
#include <cstdint>

#include "../../core/backend.h"
#include "../../core/host_device.h"

namespace gradloop {

struct ChannelLayout {
  int64_t groups, channels, inner;
  GRADLOOP_HOST_DEVICE int64_t count() const { return groups * inner; }  // values per channel
};

struct BatchNormKernels {
  static constexpr OpId kOp = OpId::batch_normalization;
  // Training: the batch's mean and biased variance per channel (two passes, summed in double, in
  // a fixed order); writes mean[c] and invStd[c] = 1 / sqrt(var + epsilon), and moves the moving
  // statistics: moving = momentum * moving + (1 - momentum) * batch (Keras' update).
  void (*batchStatistics)(Backend& b, const float* x, const ChannelLayout& l, float epsilon, float momentum, float* mean,
                          float* invStd, float* movingMean, float* movingVariance);
  // Inference (or a frozen layer): mean and invStd from the moving statistics.
  void (*movingStatistics)(Backend& b, const float* movingMean, const float* movingVariance, int64_t channels,
                           float epsilon, float* mean, float* invStd);
  // y = gamma * (x - mean) * invStd + beta; gamma or beta null: 1 or 0.
  void (*normalize)(Backend& b, const float* x, float* y, const ChannelLayout& l, const float* mean, const float* invStd,
                    const float* gamma, const float* beta);
  // From dy: dGamma = sum(dy * xhat), dBeta = sum(dy) per channel (each null: skipped; written, or
  // added with accumulateParams), and dx (null: skipped; added with accumulateInput). With batch
  // statistics, dx carries their gradient too: gamma * invStd * (dy - mean(dy) - xhat * mean(dy * xhat));
  // with moving ones, gamma * invStd * dy. sums: 2 * channels floats of working space.
  void (*backward)(Backend& b, const float* x, const float* dy, const ChannelLayout& l, const float* mean,
                   const float* invStd, const float* gamma, bool batchStatistics, float* sums, float* dGamma,
                   float* dBeta, bool accumulateParams, float* dx, bool accumulateInput);
};

}  // namespace gradloop
