// The optimizers beyond SGD and Adam (whose tuned kernels are the backend's sgdUpdate and
// adamUpdate), each as one element's update, as PyTorch defines them (torch.optim.RMSprop,
// Adagrad, Adadelta, Adamax, NAdam, Adam/AdamW with amsgrad; Lion as its paper, Chen et al. 2023,
// and lion-pytorch define it). Whatever depends only on the step (bias corrections, NAdam's
// momentum schedule) is computed once on the host (Optimizer::update) into RuleScalars, so an
// element's update is plain arithmetic, the same code in the CPU loop and the CUDA kernel.
// A new optimizer is one rule here, its scalars in Optimizer::update and its options in
// src/optim/optimizers.ts.
#pragma once
#include <cmath>
#include <cstdint>
#include <type_traits>

#include "host_device.h"

namespace gradloop {

enum class OptimizerRule { RmsProp, Adagrad, Adadelta, Adamax, Nadam, Lion, Amsgrad };

// The per-step numbers a rule reads; each rule's comment says which.
struct RuleScalars {
  float lr = 0;            // the learning rate of this step
  float weightDecay = 0;   // L2 added to the gradient (coupled), or the weights' shrink when decoupled
  bool decoupled = false;  // AdamW's and Lion's decay: w *= 1 - lr weightDecay first
  float beta1 = 0, beta2 = 0, epsilon = 0;
  float momentum = 0;      // RMSprop
  bool centered = false;   // RMSprop
  float stepSize = 0;      // Adagrad: lr / (1 + (t - 1) lrDecay); Adamax, AMSGrad: lr / (1 - beta1^t); NAdam: lr (1 - mu_t) / (1 - prod mu)
  float stepSize2 = 0;     // NAdam: lr mu_{t+1} / (1 - prod mu mu_{t+1})
  float invSqrtBc2 = 0;    // NAdam, AMSGrad: 1 / sqrt(1 - beta2^t)
  float initial = 0;       // Adagrad: the accumulator's starting value
  bool firstStep = false;  // Adagrad: the accumulator starts at `initial`
};

namespace rules {

// One element: the weight w and gradient g in, the new weight out; s0..s2 this element's state
// slots (as many as Optimizer::stateTensors says; the others are unused).
template <OptimizerRule R>
GRADLOOP_HOST_DEVICE inline float update(float w, float g, float* s0, float* s1, float* s2, const RuleScalars& c) {
  if constexpr (R == OptimizerRule::RmsProp) {
    // beta2 is alpha. v = a v + (1 - a) g^2; centered: ga = a ga + (1 - a) g, avg = sqrt(v - ga^2) + eps;
    // momentum: buf = m buf + g / avg, w -= lr buf; else w -= lr g / avg.
    g += c.weightDecay * w;
    const float v = c.beta2 * *s0 + (1.0f - c.beta2) * g * g;
    *s0 = v;
    float avg = v;
    if (c.centered) {
      const float ga = c.beta2 * *s1 + (1.0f - c.beta2) * g;
      *s1 = ga;
      avg = v - ga * ga;
    }
    const float step = g / (std::sqrt(avg) + c.epsilon);
    if (c.momentum > 0) {
      float* buf = c.centered ? s2 : s1;
      *buf = c.momentum * *buf + step;
      return w - c.lr * *buf;
    }
    return w - c.lr * step;
  } else if constexpr (R == OptimizerRule::Adagrad) {
    // sum = (first step: initial) + g^2; w -= stepSize g / (sqrt(sum) + eps).
    g += c.weightDecay * w;
    const float sum = (c.firstStep ? c.initial : *s0) + g * g;
    *s0 = sum;
    return w - c.stepSize * g / (std::sqrt(sum) + c.epsilon);
  } else if constexpr (R == OptimizerRule::Adadelta) {
    // beta2 is rho. v = r v + (1 - r) g^2; delta = sqrt(u + eps) / sqrt(v + eps) g;
    // u = r u + (1 - r) delta^2; w -= lr delta.
    g += c.weightDecay * w;
    const float v = c.beta2 * *s0 + (1.0f - c.beta2) * g * g;
    *s0 = v;
    const float delta = std::sqrt(*s1 + c.epsilon) / std::sqrt(v + c.epsilon) * g;
    *s1 = c.beta2 * *s1 + (1.0f - c.beta2) * delta * delta;
    return w - c.lr * delta;
  } else if constexpr (R == OptimizerRule::Adamax) {
    // m = b1 m + (1 - b1) g; u = max(b2 u, |g| + eps); w -= stepSize m / u.
    g += c.weightDecay * w;
    const float m = c.beta1 * *s0 + (1.0f - c.beta1) * g;
    const float a = c.beta2 * *s1, b = std::fabs(g) + c.epsilon;
    const float u = a > b ? a : b;
    *s0 = m, *s1 = u;
    return w - c.stepSize * m / u;
  } else if constexpr (R == OptimizerRule::Nadam) {
    // m, v as Adam; denom = sqrt(v) invSqrtBc2 + eps; w -= stepSize g / denom + stepSize2 m / denom.
    g += c.weightDecay * w;
    const float m = c.beta1 * *s0 + (1.0f - c.beta1) * g;
    const float v = c.beta2 * *s1 + (1.0f - c.beta2) * g * g;
    *s0 = m, *s1 = v;
    const float denom = std::sqrt(v) * c.invSqrtBc2 + c.epsilon;
    return w - c.stepSize * g / denom - c.stepSize2 * m / denom;
  } else if constexpr (R == OptimizerRule::Lion) {
    // w *= 1 - lr wd; w -= lr sign(b1 m + (1 - b1) g); m = b2 m + (1 - b2) g.
    w *= 1.0f - c.lr * c.weightDecay;
    const float u = c.beta1 * *s0 + (1.0f - c.beta1) * g;
    *s0 = c.beta2 * *s0 + (1.0f - c.beta2) * g;
    return w - c.lr * static_cast<float>((u > 0) - (u < 0));
  } else {  // Amsgrad: Adam (or AdamW when decoupled) dividing by the largest v so far.
    const float wi = c.decoupled ? w * (1.0f - c.lr * c.weightDecay) : w;
    if (!c.decoupled) g += c.weightDecay * w;
    const float m = c.beta1 * *s0 + (1.0f - c.beta1) * g;
    const float v = c.beta2 * *s1 + (1.0f - c.beta2) * g * g;
    const float vmax = *s2 > v ? *s2 : v;
    *s0 = m, *s1 = v, *s2 = vmax;
    return wi - c.stepSize * m / (std::sqrt(vmax) * c.invSqrtBc2 + c.epsilon);
  }
}

}  // namespace rules

// Calls f(std::integral_constant<OptimizerRule, R>) for the rule, so each backend compiles a loop per rule.
template <typename F>
inline void withRule(OptimizerRule rule, F&& f) {
  switch (rule) {
    case OptimizerRule::RmsProp: return f(std::integral_constant<OptimizerRule, OptimizerRule::RmsProp>{});
    case OptimizerRule::Adagrad: return f(std::integral_constant<OptimizerRule, OptimizerRule::Adagrad>{});
    case OptimizerRule::Adadelta: return f(std::integral_constant<OptimizerRule, OptimizerRule::Adadelta>{});
    case OptimizerRule::Adamax: return f(std::integral_constant<OptimizerRule, OptimizerRule::Adamax>{});
    case OptimizerRule::Nadam: return f(std::integral_constant<OptimizerRule, OptimizerRule::Nadam>{});
    case OptimizerRule::Lion: return f(std::integral_constant<OptimizerRule, OptimizerRule::Lion>{});
    case OptimizerRule::Amsgrad: return f(std::integral_constant<OptimizerRule, OptimizerRule::Amsgrad>{});
  }
}

}  // namespace gradloop
