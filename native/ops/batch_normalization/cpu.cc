// The batch normalization kernels on the CPU. The per-channel sums run in double, group by group
// in order, so the result does not depend on threads; each pass streams the batch once.
#include <cmath>
#include <cstring>
#include <vector>

#include "kernels.h"

namespace gradloop {
namespace {

// sum[c] += f(value index, c) over every value of channel c, in memory order.
template <typename F>
void channelSums(const ChannelLayout& l, double* sum, F f) {
  const int64_t C = l.channels, I = l.inner;
  for (int64_t g = 0; g < l.groups; ++g) {
    const int64_t base = g * C * I;
    if (I == 1) {
      for (int64_t c = 0; c < C; ++c) sum[c] += f(base + c, c);  // channels last: contiguous channels
    } else {
      for (int64_t c = 0; c < C; ++c) {
        double s = 0;
        for (int64_t i = 0, at = base + c * I; i < I; ++i, ++at) s += f(at, c);
        sum[c] += s;
      }
    }
  }
}

// out[at] = f(at, c) for every value.
template <typename F>
void eachValue(const ChannelLayout& l, F f) {
  const int64_t C = l.channels, I = l.inner;
  for (int64_t g = 0; g < l.groups; ++g)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t i = 0, at = (g * C + c) * I; i < I; ++i, ++at) f(at, c);
}

void batchStatistics(Backend&, const float* x, const ChannelLayout& l, float epsilon, float momentum, float* mean,
                     float* invStd, float* movingMean, float* movingVariance) {
  const int64_t C = l.channels;
  const double n = static_cast<double>(l.count());
  std::vector<double> mu(static_cast<size_t>(C), 0.0), var(static_cast<size_t>(C), 0.0);
  channelSums(l, mu.data(), [&](int64_t at, int64_t) { return static_cast<double>(x[at]); });
  for (int64_t c = 0; c < C; ++c) mu[c] /= n;
  channelSums(l, var.data(), [&](int64_t at, int64_t c) {
    const double d = x[at] - mu[c];
    return d * d;
  });
  for (int64_t c = 0; c < C; ++c) {
    var[c] /= n;
    mean[c] = static_cast<float>(mu[c]);
    invStd[c] = static_cast<float>(1.0 / std::sqrt(var[c] + epsilon));
    movingMean[c] = momentum * movingMean[c] + (1 - momentum) * static_cast<float>(mu[c]);
    movingVariance[c] = momentum * movingVariance[c] + (1 - momentum) * static_cast<float>(var[c]);
  }
}

void movingStatistics(Backend&, const float* movingMean, const float* movingVariance, int64_t channels, float epsilon,
                      float* mean, float* invStd) {
  for (int64_t c = 0; c < channels; ++c) {
    mean[c] = movingMean[c];
    invStd[c] = static_cast<float>(1.0 / std::sqrt(static_cast<double>(movingVariance[c]) + epsilon));
  }
}

void normalize(Backend&, const float* x, float* y, const ChannelLayout& l, const float* mean, const float* invStd,
               const float* gamma, const float* beta) {
  // y = x * a + b per channel: a = gamma * invStd, b = beta - mean * a.
  std::vector<float> a(static_cast<size_t>(l.channels)), b(static_cast<size_t>(l.channels));
  for (int64_t c = 0; c < l.channels; ++c) {
    a[c] = (gamma ? gamma[c] : 1.0f) * invStd[c];
    b[c] = (beta ? beta[c] : 0.0f) - mean[c] * a[c];
  }
  eachValue(l, [&](int64_t at, int64_t c) { y[at] = x[at] * a[c] + b[c]; });
}

void backward(Backend&, const float* x, const float* dy, const ChannelLayout& l, const float* mean, const float* invStd,
              const float* gamma, bool batchStatistics, float*, float* dGamma, float* dBeta, bool accumulateParams,
              float* dx, bool accumulateInput) {
  const int64_t C = l.channels;
  std::vector<double> sumDy(static_cast<size_t>(C), 0.0), sumDyXhat(static_cast<size_t>(C), 0.0);
  const bool needSums = dGamma || dBeta || (dx && batchStatistics);
  if (needSums) {
    channelSums(l, sumDy.data(), [&](int64_t at, int64_t) { return static_cast<double>(dy[at]); });
    channelSums(l, sumDyXhat.data(), [&](int64_t at, int64_t c) {
      return static_cast<double>(dy[at]) * ((x[at] - mean[c]) * invStd[c]);
    });
  }
  for (int64_t c = 0; c < C; ++c) {
    if (dGamma) dGamma[c] = static_cast<float>(sumDyXhat[c] + (accumulateParams ? dGamma[c] : 0.0));
    if (dBeta) dBeta[c] = static_cast<float>(sumDy[c] + (accumulateParams ? dBeta[c] : 0.0));
  }
  if (!dx) return;
  // dx = k * (dy - meanDy - xhat * meanDyXhat) with k = gamma * invStd (batch statistics), or k * dy.
  const double n = static_cast<double>(l.count());
  std::vector<float> k(static_cast<size_t>(C)), meanDy(static_cast<size_t>(C), 0.0f), meanDyXhat(static_cast<size_t>(C), 0.0f);
  for (int64_t c = 0; c < C; ++c) {
    k[c] = (gamma ? gamma[c] : 1.0f) * invStd[c];
    if (batchStatistics) meanDy[c] = static_cast<float>(sumDy[c] / n), meanDyXhat[c] = static_cast<float>(sumDyXhat[c] / n);
  }
  eachValue(l, [&](int64_t at, int64_t c) {
    const float xhat = (x[at] - mean[c]) * invStd[c];
    const float g = k[c] * (dy[at] - meanDy[c] - xhat * meanDyXhat[c]);
    dx[at] = accumulateInput ? dx[at] + g : g;
  });
}

}  // namespace

const void* batch_normalizationCpuKernels() {
  static const BatchNormKernels kernels{batchStatistics, movingStatistics, normalize, backward};
  return &kernels;
}

}  // namespace gradloop
