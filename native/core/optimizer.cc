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
}  // namespace

Optimizer::Optimizer(const OptimizerSpec& spec) : spec_(spec) {
  if (spec.type == "sgd") {
    adam_ = false;
    requireFinite(spec.sgd.momentum, "momentum", false);
    requireFinite(spec.sgd.weightDecay, "weightDecay", false);
    if (spec.sgd.nesterov && spec.sgd.momentum <= 0) throw RangeError("optimizer: nesterov needs momentum > 0");
  } else if (spec.type == "adam" || spec.type == "adamw") {
    adam_ = true;
    spec_.adam.decoupled = spec.type == "adamw";
    if (!(spec.adam.beta1 >= 0 && spec.adam.beta1 < 1)) throw RangeError("optimizer: beta1 must be in [0, 1)");
    if (!(spec.adam.beta2 >= 0 && spec.adam.beta2 < 1)) throw RangeError("optimizer: beta2 must be in [0, 1)");
    requireFinite(spec.adam.epsilon, "epsilon", true);
    requireFinite(spec.adam.weightDecay, "weightDecay", false);
  } else {
    throw TypeError("optimizer: unknown optimizer '" + spec.type + "'; expected 'sgd', 'adam' or 'adamw'");
  }
}

int Optimizer::stateTensors() const {
  if (adam_) return 2;
  return spec_.sgd.momentum > 0 ? 1 : 0;
}

void Optimizer::update(Backend& backend, float* w, const float* g, float* const* state, int64_t n, float lr,
                       int64_t step, double* weightSquares) const {
  if (adam_) return backend.adamUpdate(w, g, state[0], state[1], n, lr, spec_.adam, step, weightSquares);
  backend.sgdUpdate(w, g, spec_.sgd.momentum > 0 ? state[0] : nullptr, n, lr, spec_.sgd, step == 1, weightSquares);
}

}  // namespace gradloop
