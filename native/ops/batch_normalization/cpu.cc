// The batch normalization kernels on the CPU. Per-channel sums add float partials over blocks of
// kBlockGroups groups into double totals, block after block: a fixed order (the same bits for any
// run), and inner loops over contiguous channels (channels last) or values (channels first) that
// vectorise. Backward gathers both of its sums in one pass. The per-channel working arrays are kept
// per thread between calls (thread_local, grown once), so a training step allocates nothing.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "kernels.h"

namespace gradloop {
namespace {

constexpr int64_t kBlockGroups = 64;

// sums[k][c] += f_k(at, c) over every value of channel c, for K sums at once.
template <int K, typename F>
void channelSums(const ChannelLayout& l, double* const (&sums)[K], F f) {
  const int64_t C = l.channels, I = l.inner;
  thread_local std::vector<float> partial;
  partial.resize(static_cast<size_t>(K * C));
  for (int64_t g0 = 0; g0 < l.groups; g0 += kBlockGroups) {
    std::fill(partial.begin(), partial.end(), 0.0f);
    const int64_t g1 = std::min(l.groups, g0 + kBlockGroups);
    for (int64_t g = g0; g < g1; ++g) {
      if (I == 1) {  // channels last: a row of C channels
        const int64_t base = g * C;
        for (int64_t c = 0; c < C; ++c) {
          float v[K];
          f(base + c, c, v);
          for (int k = 0; k < K; ++k) partial[k * C + c] += v[k];
        }
      } else {
        for (int64_t c = 0; c < C; ++c) {
          float s[K] = {};
          for (int64_t i = 0, at = (g * C + c) * I; i < I; ++i, ++at) {
            float v[K];
            f(at, c, v);
            for (int k = 0; k < K; ++k) s[k] += v[k];
          }
          for (int k = 0; k < K; ++k) partial[k * C + c] += s[k];
        }
      }
    }
    for (int k = 0; k < K; ++k)
      for (int64_t c = 0; c < C; ++c) sums[k][c] += partial[k * C + c];
  }
}

// y[at] = x[at] * a[c] + b[c] over every value.
void affine(const ChannelLayout& l, const float* x, float* y, const float* a, const float* b) {
  const int64_t C = l.channels, I = l.inner;
  for (int64_t g = 0; g < l.groups; ++g) {
    if (I == 1) {
      const float* xr = x + g * C;
      float* yr = y + g * C;
#pragma omp simd
      for (int64_t c = 0; c < C; ++c) yr[c] = xr[c] * a[c] + b[c];
    } else {
      for (int64_t c = 0; c < C; ++c) {
        const float* xr = x + (g * C + c) * I;
        float* yr = y + (g * C + c) * I;
        const float ac = a[c], bc = b[c];
#pragma omp simd
        for (int64_t i = 0; i < I; ++i) yr[i] = xr[i] * ac + bc;
      }
    }
  }
}

void batchStatistics(Backend&, const float* x, const ChannelLayout& l, float epsilon, float momentum, float* mean,
                     float* invStd, float* movingMean, float* movingVariance) {
  const int64_t C = l.channels;
  const double n = static_cast<double>(l.count());
  thread_local std::vector<double> sums;
  thread_local std::vector<float> means;
  sums.assign(static_cast<size_t>(2 * C), 0.0);
  means.resize(static_cast<size_t>(C));
  double *mu = sums.data(), *var = mu + C;
  float* muF = means.data();
  double* const sumX[1] = {mu};
  channelSums(l, sumX, [&](int64_t at, int64_t, float* v) { v[0] = x[at]; });
  for (int64_t c = 0; c < C; ++c) mu[c] /= n, muF[c] = static_cast<float>(mu[c]);
  // Two passes: the squared deviations from the mean, not E[x^2] - E[x]^2, which cancels.
  double* const sumSq[1] = {var};
  channelSums(l, sumSq, [&](int64_t at, int64_t c, float* v) {
    const float d = x[at] - muF[c];
    v[0] = d * d;
  });
  for (int64_t c = 0; c < C; ++c) {
    var[c] /= n;
    mean[c] = muF[c];
    invStd[c] = static_cast<float>(1.0 / std::sqrt(var[c] + epsilon));
    movingMean[c] = momentum * movingMean[c] + (1 - momentum) * muF[c];
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
  thread_local std::vector<float> coefficients;
  coefficients.resize(static_cast<size_t>(2 * l.channels));
  float *a = coefficients.data(), *b = a + l.channels;
  for (int64_t c = 0; c < l.channels; ++c) {
    a[c] = (gamma ? gamma[c] : 1.0f) * invStd[c];
    b[c] = (beta ? beta[c] : 0.0f) - mean[c] * a[c];
  }
  affine(l, x, y, a, b);
}

void backward(Backend&, const float* x, const float* dy, const ChannelLayout& l, const float* mean, const float* invStd,
              const float* gamma, bool batchStatistics, float*, float* dGamma, float* dBeta, bool accumulateParams,
              float* dx, bool accumulateInput) {
  const int64_t C = l.channels;
  thread_local std::vector<double> totals;
  totals.assign(static_cast<size_t>(2 * C), 0.0);
  double *sumDy = totals.data(), *sumDyXhat = sumDy + C;
  if (dGamma || dBeta || (dx && batchStatistics)) {
    double* const sums[2] = {sumDy, sumDyXhat};
    channelSums(l, sums, [&](int64_t at, int64_t c, float* v) {
      v[0] = dy[at];
      v[1] = dy[at] * ((x[at] - mean[c]) * invStd[c]);
    });
  }
  for (int64_t c = 0; c < C; ++c) {
    if (dGamma) dGamma[c] = static_cast<float>(sumDyXhat[c] + (accumulateParams ? dGamma[c] : 0.0));
    if (dBeta) dBeta[c] = static_cast<float>(sumDy[c] + (accumulateParams ? dBeta[c] : 0.0));
  }
  if (!dx) return;
  // dx = k * (dy - meanDy - xhat * meanDyXhat), k = gamma * invStd (batch statistics), or k * dy:
  // as dx = dy * k + x * p + q per channel, p = -k * invStd * meanDyXhat, q = -k * (meanDy - mean * invStd * meanDyXhat).
  const double n = static_cast<double>(l.count());
  thread_local std::vector<float> factors;
  factors.resize(static_cast<size_t>(3 * C));
  float *k = factors.data(), *p = k + C, *q = p + C;
  for (int64_t c = 0; c < C; ++c) {
    k[c] = (gamma ? gamma[c] : 1.0f) * invStd[c];
    const float meanDy = batchStatistics ? static_cast<float>(sumDy[c] / n) : 0.0f;
    const float meanDyXhat = batchStatistics ? static_cast<float>(sumDyXhat[c] / n) : 0.0f;
    p[c] = -k[c] * invStd[c] * meanDyXhat;
    q[c] = -k[c] * (meanDy - mean[c] * invStd[c] * meanDyXhat);
  }
  const int64_t I = l.inner;
  for (int64_t g = 0; g < l.groups; ++g)
    for (int64_t c0 = 0; c0 < (I == 1 ? 1 : C); ++c0) {
      // One contiguous run: a row of channels (channels last) or one channel's inner values.
      const int64_t begin = I == 1 ? g * C : (g * C + c0) * I, length = I == 1 ? C : I;
      const float *xr = x + begin, *dyr = dy + begin;
      float* dxr = dx + begin;
#pragma omp simd
      for (int64_t e = 0; e < length; ++e) {
        const int64_t c = I == 1 ? e : c0;
        const float v = dyr[e] * k[c] + xr[e] * p[c] + q[c];
        dxr[e] = accumulateInput ? dxr[e] + v : v;
      }
    }
}

}  // namespace

const void* batch_normalizationCpuKernels() {
  static const BatchNormKernels kernels{batchStatistics, movingStatistics, normalize, backward};
  return &kernels;
}

}  // namespace gradloop
