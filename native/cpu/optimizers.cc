// Fused optimizer updates on the CPU, one pass over a parameter tensor,
// following torch.optim.SGD / Adam / AdamW term by term.
// The tensor is cut into fixed blocks split across cores (parallel.h); each
// element's update is independent, so the weights do not depend on the thread
// count. The loops are compiled for AVX-512 and AVX2 besides the baseline, picked at load time.
// Each loop also sums the squares of the new weights (the per-layer weight norms the history
// records) while they are in registers, instead of a second pass over the weights; the sums
// are added in block order, so they too are the same for any thread count.
#include <cmath>

#include "cpu_backend.h"
#include "parallel.h"
#include "simd.h"

namespace gradloop {

namespace {

GRADLOOP_VECTOR_CLONES
float sgdPlain(float* w, const float* g, int64_t n, float lr, float wd) {
  float sq = 0;
#pragma omp simd reduction(+ : sq)
  for (int64_t i = 0; i < n; ++i) {
    float wi = w[i] - lr * (g[i] + wd * w[i]);
    w[i] = wi;
    sq += wi * wi;
  }
  return sq;
}

// The flags are template parameters so each variant's loop has no branch
// (GCC does not unswitch loops inside OpenMP regions, and then will not vectorise them).
template <bool FirstStep, bool Nesterov>
GRADLOOP_VECTOR_CLONES float sgdMomentum(float* w, const float* g, float* buf, int64_t n, float lr, float wd,
                                         float mu) {
  float sq = 0;
#pragma omp simd reduction(+ : sq)
  for (int64_t i = 0; i < n; ++i) {
    float d = g[i] + wd * w[i];
    float b = FirstStep ? d : mu * buf[i] + d;
    buf[i] = b;
    float wi = w[i] - lr * (Nesterov ? d + mu * b : b);
    w[i] = wi;
    sq += wi * wi;
  }
  return sq;
}

GRADLOOP_VECTOR_CLONES
float adam(float* w, const float* g, float* m, float* v, int64_t n, float stepSize, float invSqrtBc2, float b1, float b2,
           float eps, float l2, float shrink) {
  float sq = 0;
#pragma omp simd reduction(+ : sq)
  for (int64_t i = 0; i < n; ++i) {
    float wi = w[i] * shrink;
    float gi = g[i] + l2 * w[i];
    float mi = b1 * m[i] + (1.0f - b1) * gi;
    float vi = b2 * v[i] + (1.0f - b2) * gi * gi;
    m[i] = mi;
    v[i] = vi;
    float wn = wi - stepSize * mi / (std::sqrt(vi) * invSqrtBc2 + eps);
    w[i] = wn;
    sq += wn * wn;
  }
  return sq;
}

// Small tensors stay on one thread: waking the others costs more than the update.
int updateThreads(int64_t n) { return n >= kParallelMin ? blasThreads() : 1; }

}  // namespace

// d = g + wd w; buf = first ? d : momentum buf + d; d = nesterov ? d + momentum buf : buf; w -= lr d.
double CpuBackend::sgdUpdate(float* w, const float* g, float* buf, int64_t n, float lr, const SgdConfig& cfg,
                             bool firstStep) {
  const float wd = cfg.weightDecay, mu = cfg.momentum;
  auto momentum = !buf ? nullptr
                  : firstStep ? (cfg.nesterov ? sgdMomentum<true, true> : sgdMomentum<true, false>)
                              : (cfg.nesterov ? sgdMomentum<false, true> : sgdMomentum<false, false>);
  return sumOverBlocks(n, updateThreads(n), [&](int64_t b, int64_t e) {
    return momentum ? momentum(w + b, g + b, buf + b, e - b, lr, wd, mu) : sgdPlain(w + b, g + b, e - b, lr, wd);
  });
}

// Adam: g += wd w (L2, coupled). AdamW: w *= 1 - lr wd (decoupled). Then
// m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
// w -= (lr / (1 - b1^t)) m / (sqrt(v) / sqrt(1 - b2^t) + eps).
double CpuBackend::adamUpdate(float* w, const float* g, float* m, float* v, int64_t n, float lr, const AdamConfig& cfg,
                            int64_t step) {
  const double t = static_cast<double>(step);
  const float stepSize = lr / static_cast<float>(1.0 - std::pow(static_cast<double>(cfg.beta1), t));
  const float invSqrtBc2 = 1.0f / static_cast<float>(std::sqrt(1.0 - std::pow(static_cast<double>(cfg.beta2), t)));
  const float l2 = cfg.decoupled ? 0.0f : cfg.weightDecay;
  const float shrink = cfg.decoupled ? 1.0f - lr * cfg.weightDecay : 1.0f;
  return sumOverBlocks(n, updateThreads(n), [&](int64_t b, int64_t e) {
    return adam(w + b, g + b, m + b, v + b, e - b, stepSize, invSqrtBc2, cfg.beta1, cfg.beta2, cfg.epsilon, l2, shrink);
  });
}

}  // namespace gradloop
