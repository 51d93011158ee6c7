#include "update_guard.h"

#include <cmath>

namespace gradloop {
namespace {
// Well inside float32's largest value (3.4e38): a bound below this cannot overflow in the update.
constexpr double kSafe = 1e37;
}  // namespace

void UpdateGuard::reset(size_t params, bool stateIsZero) {
  slot0_.assign(params, stateIsZero ? 0.0 : INFINITY);
  slot1_.assign(params, stateIsZero ? 0.0 : INFINITY);
  known_ = stateIsZero;
}

void UpdateGuard::setStateNorms(size_t k, double slot0, double slot1) {
  slot0_[k] = slot0;
  slot1_[k] = slot1;
  known_ = true;
  for (size_t i = 0; i < slot0_.size(); ++i) known_ = known_ && std::isfinite(slot0_[i]) && std::isfinite(slot1_[i]);
}

void UpdateGuard::next(const OptimizerSpec& spec, size_t k, double w, double g, double* s0, double* s1) const {
  if (spec.type == "sgd") {
    // buf = momentum * buf + g + weightDecay * w
    *s0 = spec.sgd.momentum * slot0_[k] + g + spec.sgd.weightDecay * w;
    *s1 = 0;
    return;
  }
  // Adam: the gradient it sees includes weightDecay * w unless decoupled (AdamW).
  const double ge = g + (spec.adam.decoupled ? 0.0 : spec.adam.weightDecay * w);
  *s0 = spec.adam.beta1 * slot0_[k] + (1 - spec.adam.beta1) * ge;       // m
  *s1 = spec.adam.beta2 * slot1_[k] + (1 - spec.adam.beta2) * ge * ge;  // v: its elements are squares
}

bool UpdateGuard::mightOverflow(const OptimizerSpec& spec, size_t k, double w, double g, float lr, int64_t step) const {
  double s0, s1;
  next(spec, k, w, g, &s0, &s1);
  double delta;  // a bound on the update's L2 norm, so on every element's change
  if (spec.type == "sgd") {
    const double ge = g + spec.sgd.weightDecay * w;
    delta = spec.sgd.momentum == 0 ? lr * ge : spec.sgd.nesterov ? lr * (ge + spec.sgd.momentum * s0) : lr * s0;
  } else {
    // m_hat / (sqrt(v_hat) + eps) <= m_hat / eps, elementwise.
    // powf, not pow: glibc 2.29 re-versioned the double pow, and the prebuild must run on 2.28.
    const double mHat = s0 / (1 - static_cast<double>(std::pow(spec.adam.beta1, static_cast<float>(step))));
    delta = lr * mHat / spec.adam.epsilon + (spec.adam.decoupled ? lr * spec.adam.weightDecay * w : 0);
    if (!(g * g < kSafe)) return true;  // g * g itself would overflow in v's update
  }
  const double bound = w + delta;
  return !(std::isfinite(bound) && bound < kSafe && s0 < kSafe && s1 < kSafe);
}

void UpdateGuard::advance(const OptimizerSpec& spec, size_t k, double w, double g) {
  double s0, s1;
  next(spec, k, w, g, &s0, &s1);
  slot0_[k] = s0;
  slot1_[k] = s1;
}

}  // namespace gradloop
