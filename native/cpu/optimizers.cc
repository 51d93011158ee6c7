// Fused optimizer updates on the CPU, one pass over a parameter tensor,
// following torch.optim.SGD / Adam / AdamW term by term, and the other optimizers' rules
// (core/optimizer_rules.h).
// The tensor is cut into fixed blocks split across cores (parallel.h); each
// element's update is independent, so the weights do not depend on the thread
// count. The loops are compiled for AVX-512 and AVX2 besides the baseline, picked at first use (simd.h).
// Each loop also sums the squares of the new weights (the per-layer weight norms the history
// records) while they are in registers, instead of a second pass over the weights; the sums
// are added in block order, so they too are the same for any thread count.
#include <cmath>

#include "cpu_backend.h"
#include "parallel.h"
#include "simd.h"

namespace gradloop {

namespace {

GRADLOOP_KERNEL_BODY float sgdPlainBody(float* w, const float* g, int64_t n, float lr, float wd) {
  float sq = 0;
#pragma omp simd reduction(+ : sq)
  for (int64_t i = 0; i < n; ++i) {
    float wi = w[i] - lr * (g[i] + wd * w[i]);
    w[i] = wi;
    sq += wi * wi;
  }
  return sq;
}

GRADLOOP_ISA_KERNEL(float, sgdPlain, (float* w, const float* g, int64_t n, float lr, float wd), (w, g, n, lr, wd))

// The flags are template parameters so each variant's loop has no branch to unswitch.
template <bool FirstStep, bool Nesterov>
GRADLOOP_KERNEL_BODY float sgdMomentumBody(float* w, const float* g, float* buf, int64_t n, float lr, float wd,
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

template <bool FirstStep, bool Nesterov>
GRADLOOP_AVX512 float sgdMomentumAvx512(float* w, const float* g, float* buf, int64_t n, float lr, float wd, float mu) {
  return sgdMomentumBody<FirstStep, Nesterov>(w, g, buf, n, lr, wd, mu);
}
template <bool FirstStep, bool Nesterov>
GRADLOOP_AVX2 float sgdMomentumAvx2(float* w, const float* g, float* buf, int64_t n, float lr, float wd, float mu) {
  return sgdMomentumBody<FirstStep, Nesterov>(w, g, buf, n, lr, wd, mu);
}
template <bool FirstStep, bool Nesterov>
float sgdMomentumBaseline(float* w, const float* g, float* buf, int64_t n, float lr, float wd, float mu) {
  return sgdMomentumBody<FirstStep, Nesterov>(w, g, buf, n, lr, wd, mu);
}
template <bool FirstStep, bool Nesterov>
float sgdMomentum(float* w, const float* g, float* buf, int64_t n, float lr, float wd, float mu) {
  static float (*const chosen)(float*, const float*, float*, int64_t, float, float, float) =
      pickIsa(sgdMomentumAvx512<FirstStep, Nesterov>, sgdMomentumAvx2<FirstStep, Nesterov>,
              sgdMomentumBaseline<FirstStep, Nesterov>);
  return chosen(w, g, buf, n, lr, wd, mu);
}

GRADLOOP_KERNEL_BODY float adamBody(float* w, const float* g, float* m, float* v, int64_t n, float stepSize,
                                    float invSqrtBc2, float b1, float b2, float eps, float l2, float shrink) {
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
GRADLOOP_ISA_KERNEL(float, adam,
                    (float* w, const float* g, float* m, float* v, int64_t n, float stepSize, float invSqrtBc2,
                     float b1, float b2, float eps, float l2, float shrink),
                    (w, g, m, v, n, stepSize, invSqrtBc2, b1, b2, eps, l2, shrink))

// base^step by repeated squaring: the step is an integer, and libm's pow would tie the binary to
// glibc 2.29 (pow's newest symbol version) while the prebuild must load on glibc 2.28.
double integerPower(double base, int64_t step) {
  double result = 1;
  for (; step > 0; step >>= 1, base *= base)
    if (step & 1) result *= base;
  return result;
}

// Small tensors stay on one thread: waking the others costs more than the update.
int updateThreads(int64_t n) { return n >= kParallelMin ? blasThreads() : 1; }

// The other optimizers' rules (optimizer_rules.h), one loop per rule in each ISA variant.
template <OptimizerRule R>
GRADLOOP_KERNEL_BODY float ruleBody(float* w, const float* g, float* s0, float* s1, float* s2, int64_t n, const RuleScalars& c) {
  float sq = 0;
#pragma omp simd reduction(+ : sq)
  for (int64_t i = 0; i < n; ++i) {
    const float wi = rules::update<R>(w[i], g[i], s0 + i, s1 + i, s2 + i, c);
    w[i] = wi;
    sq += wi * wi;
  }
  return sq;
}
template <OptimizerRule R>
GRADLOOP_AVX512 float ruleAvx512(float* w, const float* g, float* s0, float* s1, float* s2, int64_t n, const RuleScalars& c) {
  return ruleBody<R>(w, g, s0, s1, s2, n, c);
}
template <OptimizerRule R>
GRADLOOP_AVX2 float ruleAvx2(float* w, const float* g, float* s0, float* s1, float* s2, int64_t n, const RuleScalars& c) {
  return ruleBody<R>(w, g, s0, s1, s2, n, c);
}
template <OptimizerRule R>
float ruleBaseline(float* w, const float* g, float* s0, float* s1, float* s2, int64_t n, const RuleScalars& c) {
  return ruleBody<R>(w, g, s0, s1, s2, n, c);
}
template <OptimizerRule R>
float ruleStep(float* w, const float* g, float* s0, float* s1, float* s2, int64_t n, const RuleScalars& c) {
  static float (*const chosen)(float*, const float*, float*, float*, float*, int64_t, const RuleScalars&) =
      pickIsa(ruleAvx512<R>, ruleAvx2<R>, ruleBaseline<R>);
  return chosen(w, g, s0, s1, s2, n, c);
}

}  // namespace

// d = g + wd w; buf = first ? d : momentum buf + d; d = nesterov ? d + momentum buf : buf; w -= lr d.
void CpuBackend::sgdUpdate(float* w, const float* g, float* buf, int64_t n, float lr, const SgdConfig& cfg,
                           bool firstStep, double* weightSquares) {
  const float wd = cfg.weightDecay, mu = cfg.momentum;
  auto momentum = !buf ? nullptr
                  : firstStep ? (cfg.nesterov ? sgdMomentum<true, true> : sgdMomentum<true, false>)
                              : (cfg.nesterov ? sgdMomentum<false, true> : sgdMomentum<false, false>);
  *weightSquares = sumOverBlocks(n, updateThreads(n), [&](int64_t b, int64_t e) {
    return momentum ? momentum(w + b, g + b, buf + b, e - b, lr, wd, mu) : sgdPlain(w + b, g + b, e - b, lr, wd);
  });
}

// Adam: g += wd w (L2, coupled). AdamW: w *= 1 - lr wd (decoupled). Then
// m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
// w -= (lr / (1 - b1^t)) m / (sqrt(v) / sqrt(1 - b2^t) + eps).
void CpuBackend::adamUpdate(float* w, const float* g, float* m, float* v, int64_t n, float lr, const AdamConfig& cfg,
                            int64_t step, double* weightSquares) {
  const float stepSize = lr / static_cast<float>(1.0 - integerPower(cfg.beta1, step));
  const float invSqrtBc2 = 1.0f / static_cast<float>(std::sqrt(1.0 - integerPower(cfg.beta2, step)));
  const float l2 = cfg.decoupled ? 0.0f : cfg.weightDecay;
  const float shrink = cfg.decoupled ? 1.0f - lr * cfg.weightDecay : 1.0f;
  *weightSquares = sumOverBlocks(n, updateThreads(n), [&](int64_t b, int64_t e) {
    return adam(w + b, g + b, m + b, v + b, e - b, stepSize, invSqrtBc2, cfg.beta1, cfg.beta2, cfg.epsilon, l2, shrink);
  });
}

// Unused slots point at the first one: a rule never touches a slot it does not have, and the
// loop needs no null test.
void CpuBackend::ruleUpdate(OptimizerRule rule, float* w, const float* g, float* const* slots, int64_t n, const RuleScalars& c,
                            double* weightSquares) {
  float* s[3] = {slots[0], slots[1] ? slots[1] : slots[0], slots[2] ? slots[2] : slots[0]};
  withRule(rule, [&](auto r) {
    constexpr OptimizerRule R = decltype(r)::value;
    *weightSquares = sumOverBlocks(n, updateThreads(n), [&](int64_t b, int64_t e) { return ruleStep<R>(w + b, g + b, s[0] + b, s[1] + b, s[2] + b, e - b, c); });
  });
}

}  // namespace gradloop
