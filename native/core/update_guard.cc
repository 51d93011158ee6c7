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

void UpdateGuard::setStateSquares(const double* slot0, const double* slot1) {
  known_ = true;
  for (size_t k = 0; k < slot0_.size(); ++k) {
    slot0_[k] = std::sqrt(slot0[k]);
    slot1_[k] = std::sqrt(slot1[k]);
    known_ = known_ && std::isfinite(slot0_[k]) && std::isfinite(slot1_[k]);
  }
}

bool UpdateGuard::mightOverflow(const OptimizerSpec& spec, const std::vector<double>& weightSquares,
                               const std::vector<double>& gradSquares, float lr, int64_t step) {
  const size_t P = slot0_.size();
  next0_.resize(P);
  next1_.resize(P);
  const bool sgd = spec.type == "sgd";
  // Adam divides m by 1 - beta1^step (bias correction), the same for every parameter. powf, not
  // pow: glibc 2.29 re-versioned the double pow, and the prebuild must run on 2.28.
  const double correction = sgd ? 1 : 1 - static_cast<double>(std::pow(spec.adam.beta1, static_cast<float>(step)));
  bool risky = false;
  for (size_t k = 0; k < P; ++k) {
    const double w = std::sqrt(weightSquares[k]), g = std::sqrt(gradSquares[k]);
    double delta;  // a bound on the update's L2 norm, so on every element's change
    if (sgd) {
      // buf = momentum * buf + g + weightDecay * w
      const double ge = g + spec.sgd.weightDecay * w;
      next0_[k] = spec.sgd.momentum * slot0_[k] + ge;
      next1_[k] = 0;
      delta = spec.sgd.momentum == 0 ? lr * ge : spec.sgd.nesterov ? lr * (ge + spec.sgd.momentum * next0_[k]) : lr * next0_[k];
    } else {
      // The gradient Adam sees includes weightDecay * w unless decoupled (AdamW); v's elements are squares.
      const double ge = g + (spec.adam.decoupled ? 0.0 : spec.adam.weightDecay * w);
      next0_[k] = spec.adam.beta1 * slot0_[k] + (1 - spec.adam.beta1) * ge;
      next1_[k] = spec.adam.beta2 * slot1_[k] + (1 - spec.adam.beta2) * ge * ge;
      // m_hat / (sqrt(v_hat) + eps) <= m_hat / eps, elementwise.
      delta = lr * (next0_[k] / correction) / spec.adam.epsilon + (spec.adam.decoupled ? lr * spec.adam.weightDecay * w : 0);
      if (!(g * g < kSafe)) risky = true;  // g * g itself would overflow in v's update
    }
    const double bound = w + delta;
    if (!(std::isfinite(bound) && bound < kSafe && next0_[k] < kSafe && next1_[k] < kSafe)) risky = true;
  }
  return risky;
}

}  // namespace gradloop
