// The losses beyond softmaxCrossEntropy and binaryCrossEntropy (which have kernels of their own),
// as Keras defines them: the element-wise ones (mse among them) as a value and a derivative per
// (prediction, target) pair, the same code in the CPU loop and the CUDA kernel (one warp per row);
// categoricalCrossEntropy and cosineSimilarity, which need a whole row, are written out in both
// backends' ruleLoss. A new element-wise loss is
// one rule here, its name in loss.cc and its entry in src/model/losses.ts.
#pragma once
#include <cmath>
#include <type_traits>

#include "host_device.h"

namespace gradloop {

enum class LossRule {
  Mae,       // |p - t|, mean over every element
  LogCosh,   // log(cosh(p - t)), mean over every element
  Hinge,     // max(1 - t p, 0) with 0/1 targets read as -1/1, mean over every element
  Poisson,   // p - t log(p + 1e-7), mean over every element
  Kld,       // t log(t / p), both clipped to [1e-7, 1]; summed over a row, mean over rows
  CategoricalCrossEntropy,  // -sum t log softmax(z) over a row of logits z; mean over rows
  CosineSimilarity,         // -(t / |t|) . (p / |p|) over a row; mean over rows
  Huber,     // d^2 / 2 where |d| <= delta, else delta (|d| - delta / 2), d = p - t; mean over every element
  Mse,       // (p - t)^2, mean over every element (LossKind::MeanSquaredError)
};

// Element-wise rules only: whether the rule's mean runs over rows (its terms summed along a row).
inline bool lossSumsRows(LossRule rule) { return rule == LossRule::Kld; }
inline bool isRowLoss(LossRule rule) { return rule == LossRule::CategoricalCrossEntropy || rule == LossRule::CosineSimilarity; }

namespace lossrules {

constexpr float kEpsilon = 1e-7f;  // Keras' epsilon()

// The loss term of one element and its derivative with respect to the prediction; `param` is
// Huber's delta.
template <LossRule R>
GRADLOOP_HOST_DEVICE inline float value(float p, float t, float param) {
  if constexpr (R == LossRule::Mse) return (p - t) * (p - t);
  if constexpr (R == LossRule::Mae) return std::fabs(p - t);
  if constexpr (R == LossRule::Huber) {
    const float a = std::fabs(p - t);
    return a <= param ? 0.5f * a * a : param * (a - 0.5f * param);
  }
  if constexpr (R == LossRule::LogCosh) {  // x + softplus(-2x) - log 2, stable for large |x|
    const float x = p - t, a = std::fabs(x);
    return a + std::log1p(std::exp(-2.0f * a)) - 0.69314718056f;
  }
  if constexpr (R == LossRule::Hinge) {
    const float s = t == 0.0f ? -1.0f : t;  // 0/1 labels as -1/1 (Keras)
    const float m = 1.0f - s * p;
    return m > 0 ? m : 0.0f;
  }
  if constexpr (R == LossRule::Poisson) return p - t * std::log(p + kEpsilon);
  if constexpr (R == LossRule::Kld) {
    const float tc = t < kEpsilon ? kEpsilon : (t > 1.0f ? 1.0f : t), pc = p < kEpsilon ? kEpsilon : (p > 1.0f ? 1.0f : p);
    return tc * std::log(tc / pc);
  }
  return 0.0f;
}
template <LossRule R>
GRADLOOP_HOST_DEVICE inline float derivative(float p, float t, float param) {
  if constexpr (R == LossRule::Mse) return 2.0f * (p - t);
  if constexpr (R == LossRule::Mae) return p > t ? 1.0f : (p < t ? -1.0f : 0.0f);
  if constexpr (R == LossRule::Huber) {
    const float d = p - t;
    return d > param ? param : (d < -param ? -param : d);
  }
  if constexpr (R == LossRule::LogCosh) return std::tanh(p - t);
  if constexpr (R == LossRule::Hinge) {
    const float s = t == 0.0f ? -1.0f : t;
    return 1.0f - s * p > 0 ? -s : 0.0f;
  }
  if constexpr (R == LossRule::Poisson) return 1.0f - t / (p + kEpsilon);
  if constexpr (R == LossRule::Kld) {
    const float tc = t < kEpsilon ? kEpsilon : (t > 1.0f ? 1.0f : t);
    return p > kEpsilon && p < 1.0f ? -tc / p : 0.0f;  // the clip's flat parts pass nothing
  }
  return 0.0f;
}

}  // namespace lossrules

// Calls f(std::integral_constant<LossRule, R>) for an element-wise rule.
template <typename F>
inline void withLossRule(LossRule rule, F&& f) {
  switch (rule) {
    case LossRule::Mae: return f(std::integral_constant<LossRule, LossRule::Mae>{});
    case LossRule::LogCosh: return f(std::integral_constant<LossRule, LossRule::LogCosh>{});
    case LossRule::Hinge: return f(std::integral_constant<LossRule, LossRule::Hinge>{});
    case LossRule::Poisson: return f(std::integral_constant<LossRule, LossRule::Poisson>{});
    case LossRule::Huber: return f(std::integral_constant<LossRule, LossRule::Huber>{});
    case LossRule::Mse: return f(std::integral_constant<LossRule, LossRule::Mse>{});
    default: return f(std::integral_constant<LossRule, LossRule::Kld>{});
  }
}

}  // namespace gradloop
