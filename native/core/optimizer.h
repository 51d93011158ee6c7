// Optimizers as PyTorch defines them (torch.optim.SGD, Adam, AdamW, RMSprop, Adagrad, Adadelta,
// Adamax, NAdam, amsgrad; and Lion). Their state is up to three tensors per parameter, allocated
// once by the program; each update is one fused backend call per parameter tensor: sgdUpdate and
// adamUpdate, or ruleUpdate with a rule of optimizer_rules.h.
#pragma once
#include <string>
#include <vector>

#include "backend.h"

namespace gradloop {

constexpr int kMaxOptimizerSlots = 3;

struct OptimizerSpec {
  std::string type;  // "sgd" | "adam" | "adamw" | "rmsprop" | "adagrad" | "adadelta" | "adamax" | "nadam" | "lion"
  SgdConfig sgd;
  AdamConfig adam;
  bool amsgrad = false;  // adam, adamw
  RuleScalars rule;      // the rules' constant hyperparameters (beta2: RMSprop's alpha, Adadelta's rho)
  float lrDecay = 0;        // adagrad
  float momentumDecay = 0;  // nadam
};

class Optimizer {
 public:
  explicit Optimizer(const OptimizerSpec& spec);  // throws TypeError/RangeError
  int stateTensors() const;                       // per parameter, at most kMaxOptimizerSlots
  // The slots' names in checkpoints: "momentum" (SGD), "m" and "v" (Adam), PyTorch's state names
  // for the others (square_avg, grad_avg, momentum_buffer, sum, acc_delta, exp_avg, exp_inf, ...).
  std::vector<std::string> slotNames() const;
  // The rule ruleUpdate runs (the optimizers after SGD and Adam), if any.
  bool ruled() const { return ruled_; }
  OptimizerRule rule() const { return rule_; }
  // state[0..stateTensors()) are this parameter's slots; step is 1-based. Writes the sum of
  // squares of the updated weights into *weightSquares (backend memory).
  void update(Backend& backend, float* w, const float* g, float* const* state, int64_t n, float lr,
              int64_t step, double* weightSquares) const;
  const OptimizerSpec& spec() const { return spec_; }

 private:
  OptimizerSpec spec_;
  bool adam_ = false;
  bool ruled_ = false;  // runs rule_ through Backend::ruleUpdate
  OptimizerRule rule_ = OptimizerRule::RmsProp;
  // NAdam: the product of mu_1 .. mu_step, for the step it was last computed for.
  mutable int64_t muStep_ = 0;
  mutable double muProduct_ = 1;
  double nadamMu(int64_t step) const;
};

}  // namespace gradloop
