#include "update_guard.h"

#include <cmath>

namespace gradloop {
namespace {
// Well inside float32's largest value (3.4e38): a bound below this cannot overflow in the update.
constexpr double kSafe = 1e37;
}  // namespace

void UpdateGuard::reset(size_t params, bool stateIsZero) {
  for (auto& slot : slot_) slot.assign(params, stateIsZero ? 0.0 : INFINITY);
  known_ = stateIsZero;
}

void UpdateGuard::setStateSquares(const double* slot0, const double* slot1, const double* slot2) {
  known_ = true;
  const double* squares[kMaxOptimizerSlots] = {slot0, slot1, slot2};
  for (int s = 0; s < kMaxOptimizerSlots; ++s)
    for (size_t k = 0; k < slot_[s].size(); ++k) {
      slot_[s][k] = std::sqrt(squares[s][k]);
      known_ = known_ && std::isfinite(slot_[s][k]);
    }
}

// The rules' bounds, element by element through L2 norms (an element's magnitude is at most its
// tensor's norm; a tensor of squares has a norm at most the square of the tensor's): ge bounds
// the gradient the rule sees, and a division by sqrt(...) + eps at most multiplies by 1 / eps.
double UpdateGuard::ruleDelta(const Optimizer& optimizer, size_t k, double w, double g, int64_t n, float lr, int64_t step) {
  const RuleScalars& c = optimizer.spec().rule;
  const double ge = g + (c.decoupled ? 0.0 : c.weightDecay * w), eps = c.epsilon, b1 = c.beta1, b2 = c.beta2;
  double* next[kMaxOptimizerSlots] = {&next_[0][k], &next_[1][k], &next_[2][k]};
  const double s0 = slot_[0][k], s1 = slot_[1][k], s2 = slot_[2][k];
  const double bc1 = 1 - std::pow(static_cast<float>(b1), static_cast<float>(step));  // powf: see mightOverflow
  switch (optimizer.rule()) {
    case OptimizerRule::RmsProp: {  // square_avg (, grad_avg) (, momentum_buffer)
      *next[0] = b2 * s0 + (1 - b2) * ge * ge;
      int at = 1;
      if (c.centered) *next[at] = b2 * slot_[at][k] + (1 - b2) * ge, ++at;
      const double scaled = ge / eps;
      if (c.momentum > 0) {
        *next[at] = c.momentum * slot_[at][k] + scaled;
        return lr * *next[at];
      }
      return lr * scaled;
    }
    case OptimizerRule::Adagrad: {
      const double start = step == 1 ? c.initial * std::sqrt(static_cast<double>(n)) : s0;
      *next[0] = start + ge * ge;
      return lr * ge / eps;  // the decayed rate is at most lr
    }
    case OptimizerRule::Adadelta: {
      // |delta| = sqrt(u + eps) / sqrt(v + eps) |g| <= sqrt(|u|_max + eps) / sqrt(eps) |g|.
      *next[0] = b2 * s0 + (1 - b2) * ge * ge;
      const double delta = std::sqrt(s1 + eps) / std::sqrt(eps) * ge;
      *next[1] = b2 * s1 + (1 - b2) * delta * delta;
      return lr * delta;
    }
    case OptimizerRule::Adamax: {  // exp_inf >= eps elementwise
      *next[0] = b1 * s0 + (1 - b1) * ge;
      *next[1] = b2 * s1 + ge + eps * std::sqrt(static_cast<double>(n));
      return lr / bc1 * *next[0] / eps;
    }
    case OptimizerRule::Nadam: {  // both terms' factors are at most lr / (1 - mu_product) <= lr / (1 - beta1)
      *next[0] = b1 * s0 + (1 - b1) * ge;
      *next[1] = b2 * s1 + (1 - b2) * ge * ge;
      return lr / (1 - b1) * (ge + *next[0]) / eps;
    }
    case OptimizerRule::Lion:  // each element moves by lr, and the weights shrink
      *next[0] = b2 * s0 + (1 - b2) * ge;
      return lr * std::sqrt(static_cast<double>(n)) + lr * c.weightDecay * w;
    case OptimizerRule::Amsgrad: {
      *next[0] = b1 * s0 + (1 - b1) * ge;
      *next[1] = b2 * s1 + (1 - b2) * ge * ge;
      *next[2] = s2 + *next[1];  // max(vmax, v) <= vmax + v
      return lr / bc1 * *next[0] / eps + (c.decoupled ? lr * c.weightDecay * w : 0);
    }
  }
  return INFINITY;
}

bool UpdateGuard::mightOverflow(const Optimizer& optimizer, const std::vector<double>& weightSquares,
                                const std::vector<double>& gradSquares, const std::vector<int64_t>& sizes, float lr, int64_t step) {
  const OptimizerSpec& spec = optimizer.spec();
  const size_t P = slot_[0].size();
  for (auto& next : next_) next.assign(P, 0.0);
  const bool sgd = spec.type == "sgd";
  // Adam divides m by 1 - beta1^step (bias correction), the same for every parameter. powf, not
  // pow: glibc 2.29 re-versioned the double pow, and the prebuild must run on 2.28.
  const double correction = sgd ? 1 : 1 - static_cast<double>(std::pow(spec.adam.beta1, static_cast<float>(step)));
  bool risky = false;
  for (size_t k = 0; k < P; ++k) {
    const double w = std::sqrt(weightSquares[k]), g = std::sqrt(gradSquares[k]);
    double delta;  // a bound on the update's L2 norm, so on every element's change
    if (optimizer.ruled()) {
      delta = ruleDelta(optimizer, k, w, g, sizes[k], lr, step);
      if (!(g * g < kSafe)) risky = true;  // a square of the gradient would overflow in the state
    } else if (sgd) {
      // buf = momentum * buf + g + weightDecay * w
      const double ge = g + spec.sgd.weightDecay * w;
      next_[0][k] = spec.sgd.momentum * slot_[0][k] + ge;
      delta = spec.sgd.momentum == 0 ? lr * ge : spec.sgd.nesterov ? lr * (ge + spec.sgd.momentum * next_[0][k]) : lr * next_[0][k];
    } else {
      // The gradient Adam sees includes weightDecay * w unless decoupled (AdamW); v's elements are squares.
      const double ge = g + (spec.adam.decoupled ? 0.0 : spec.adam.weightDecay * w);
      next_[0][k] = spec.adam.beta1 * slot_[0][k] + (1 - spec.adam.beta1) * ge;
      next_[1][k] = spec.adam.beta2 * slot_[1][k] + (1 - spec.adam.beta2) * ge * ge;
      // m_hat / (sqrt(v_hat) + eps) <= m_hat / eps, elementwise.
      delta = lr * (next_[0][k] / correction) / spec.adam.epsilon + (spec.adam.decoupled ? lr * spec.adam.weightDecay * w : 0);
      if (!(g * g < kSafe)) risky = true;  // g * g itself would overflow in v's update
    }
    const double bound = w + delta;
    if (!(std::isfinite(bound) && bound < kSafe && next_[0][k] < kSafe && next_[1][k] < kSafe && next_[2][k] < kSafe)) risky = true;
  }
  return risky;
}

}  // namespace gradloop
