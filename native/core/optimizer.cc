#include "optimizer.h"

#include <cmath>

#include "tensor.h"

namespace gradloop {

namespace {
void requireFinite(float v, const char* what, bool positive) {
  if (!std::isfinite(v) || v < 0 || (positive && v == 0))
    throw RangeError(std::string("optimizer: ") + what + " must be a finite " + (positive ? "positive" : "non-negative") +
                     " number");
}

// base^step by repeated squaring (libm's pow would tie the binary to glibc 2.29; see cpu/optimizers.cc).
double integerPower(double base, int64_t step) {
  double result = 1;
  for (; step > 0; step >>= 1, base *= base)
    if (step & 1) result *= base;
  return result;
}
// exp(x) for |x| of a few units, in double: halved until tiny, a Taylor series, squared back (no
// libm exp, for the same reason).
double expDouble(double x) {
  int halvings = 0;
  while (std::fabs(x) > 1.0 / 256) x /= 2, ++halvings;
  double term = 1, sum = 1;
  for (int k = 1; k < 12; ++k) sum += term *= x / k;
  while (halvings-- > 0) sum *= sum;
  return sum;
}
}  // namespace

Optimizer::Optimizer(const OptimizerSpec& spec) : spec_(spec) {
  const RuleScalars& r = spec.rule;
  auto beta = [](float v, const char* what) {
    if (!(v >= 0 && v < 1)) throw RangeError(std::string("optimizer: ") + what + " must be in [0, 1)");
  };
  if (spec.type == "sgd") {
    requireFinite(spec.sgd.momentum, "momentum", false);
    requireFinite(spec.sgd.weightDecay, "weightDecay", false);
    if (spec.sgd.nesterov && spec.sgd.momentum <= 0) throw RangeError("optimizer: nesterov needs momentum > 0");
    return;
  }
  if (spec.type == "adam" || spec.type == "adamw") {
    adam_ = !spec.amsgrad;
    spec_.adam.decoupled = spec.type == "adamw";
    beta(spec.adam.beta1, "beta1");
    beta(spec.adam.beta2, "beta2");
    requireFinite(spec.adam.epsilon, "epsilon", true);
    requireFinite(spec.adam.weightDecay, "weightDecay", false);
    if (spec.amsgrad) {
      ruled_ = true, rule_ = OptimizerRule::Amsgrad;
      spec_.rule.beta1 = spec.adam.beta1, spec_.rule.beta2 = spec.adam.beta2, spec_.rule.epsilon = spec.adam.epsilon;
      spec_.rule.weightDecay = spec.adam.weightDecay, spec_.rule.decoupled = spec_.adam.decoupled;
    }
    return;
  }
  ruled_ = true;
  if (spec.type == "rmsprop") rule_ = OptimizerRule::RmsProp;
  else if (spec.type == "adagrad") rule_ = OptimizerRule::Adagrad;
  else if (spec.type == "adadelta") rule_ = OptimizerRule::Adadelta;
  else if (spec.type == "adamax") rule_ = OptimizerRule::Adamax;
  else if (spec.type == "nadam") rule_ = OptimizerRule::Nadam;
  else if (spec.type == "lion") rule_ = OptimizerRule::Lion;
  else
    throw TypeError("optimizer: unknown optimizer '" + spec.type + "'; expected 'sgd', 'adam', 'adamw', 'rmsprop', 'adagrad', 'adadelta', 'adamax', 'nadam' or 'lion'");
  requireFinite(r.weightDecay, "weightDecay", false);
  requireFinite(r.momentum, "momentum", false);
  requireFinite(r.initial, "initialAccumulatorValue", false);
  requireFinite(spec.lrDecay, "lrDecay", false);
  requireFinite(spec.momentumDecay, "momentumDecay", false);
  if (rule_ != OptimizerRule::Lion) requireFinite(r.epsilon, "epsilon", true);
  if (rule_ == OptimizerRule::RmsProp || rule_ == OptimizerRule::Adadelta) beta(r.beta2, rule_ == OptimizerRule::RmsProp ? "alpha" : "rho");
  if (rule_ == OptimizerRule::Adamax || rule_ == OptimizerRule::Nadam || rule_ == OptimizerRule::Lion) beta(r.beta1, "beta1"), beta(r.beta2, "beta2");
  spec_.rule.decoupled = rule_ == OptimizerRule::Lion;
}

int Optimizer::stateTensors() const {
  if (adam_) return 2;
  if (!ruled_) return spec_.sgd.momentum > 0 ? 1 : 0;
  switch (rule_) {
    case OptimizerRule::RmsProp: return 1 + (spec_.rule.centered ? 1 : 0) + (spec_.rule.momentum > 0 ? 1 : 0);
    case OptimizerRule::Adagrad: return 1;
    case OptimizerRule::Lion: return 1;
    case OptimizerRule::Amsgrad: return 3;
    default: return 2;  // Adadelta, Adamax, NAdam
  }
}

std::vector<std::string> Optimizer::slotNames() const {
  if (adam_) return {"m", "v"};  // Adam's exp_avg, exp_avg_sq
  if (!ruled_) return spec_.sgd.momentum > 0 ? std::vector<std::string>{"momentum"} : std::vector<std::string>{};
  switch (rule_) {
    case OptimizerRule::RmsProp: {
      std::vector<std::string> names{"square_avg"};
      if (spec_.rule.centered) names.push_back("grad_avg");
      if (spec_.rule.momentum > 0) names.push_back("momentum_buffer");
      return names;
    }
    case OptimizerRule::Adagrad: return {"sum"};
    case OptimizerRule::Adadelta: return {"square_avg", "acc_delta"};
    case OptimizerRule::Adamax: return {"exp_avg", "exp_inf"};
    case OptimizerRule::Nadam: return {"exp_avg", "exp_avg_sq"};
    case OptimizerRule::Lion: return {"exp_avg"};
    case OptimizerRule::Amsgrad: return {"m", "v", "max_exp_avg_sq"};
  }
  return {};
}

// NAdam's momentum schedule: mu_t = beta1 (1 - 0.5 * 0.96^(t momentumDecay)).
double Optimizer::nadamMu(int64_t step) const {
  const double decay = expDouble(spec_.momentumDecay * -0.040821994520255166);  // 0.96^momentumDecay; ln 0.96
  return spec_.rule.beta1 * (1.0 - 0.5 * integerPower(decay, step));
}

void Optimizer::update(Backend& backend, float* w, const float* g, float* const* state, int64_t n, float lr,
                       int64_t step, double* weightSquares) const {
  if (adam_) return backend.adamUpdate(w, g, state[0], state[1], n, lr, spec_.adam, step, weightSquares);
  if (!ruled_) return backend.sgdUpdate(w, g, spec_.sgd.momentum > 0 ? state[0] : nullptr, n, lr, spec_.sgd, step == 1, weightSquares);
  RuleScalars c = spec_.rule;
  c.lr = lr;
  const double t = static_cast<double>(step);
  switch (rule_) {
    case OptimizerRule::Adagrad:
      c.stepSize = static_cast<float>(lr / (1.0 + (t - 1) * spec_.lrDecay));
      c.firstStep = step == 1;
      break;
    case OptimizerRule::Adamax:
      c.stepSize = static_cast<float>(lr / (1.0 - integerPower(c.beta1, step)));
      break;
    case OptimizerRule::Amsgrad:
      c.stepSize = static_cast<float>(lr / (1.0 - integerPower(c.beta1, step)));
      c.invSqrtBc2 = static_cast<float>(1.0 / std::sqrt(1.0 - integerPower(c.beta2, step)));
      break;
    case OptimizerRule::Nadam: {
      if (muStep_ != step) {  // the product of mu_1 .. mu_step, kept from step to step (recomputed after a resume)
        if (muStep_ != step - 1) muStep_ = 0, muProduct_ = 1;
        for (int64_t k = muStep_ + 1; k <= step; ++k) muProduct_ *= nadamMu(k);
        muStep_ = step;
      }
      const double mu = nadamMu(step), next = nadamMu(step + 1);
      c.stepSize = static_cast<float>(lr * (1.0 - mu) / (1.0 - muProduct_));
      c.stepSize2 = static_cast<float>(lr * next / (1.0 - muProduct_ * next));
      c.invSqrtBc2 = static_cast<float>(1.0 / std::sqrt(1.0 - integerPower(c.beta2, step)));
      break;
    }
    default: break;
  }
  const int slots = stateTensors();
  float* s[3] = {state[0], slots > 1 ? state[1] : nullptr, slots > 2 ? state[2] : nullptr};
  backend.ruleUpdate(rule_, w, g, s, n, c, weightSquares);
}

}  // namespace gradloop
