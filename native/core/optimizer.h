// Optimizers as PyTorch defines them (torch.optim.SGD, Adam, AdamW). Their
// state is one or two tensors per parameter, allocated once by the program;
// each update is one fused backend call per parameter tensor.
#pragma once
#include <string>

#include "backend.h"

namespace gradloop {

struct OptimizerSpec {
  std::string type;  // "sgd" | "adam" | "adamw"
  SgdConfig sgd;
  AdamConfig adam;
};

class Optimizer {
 public:
  explicit Optimizer(const OptimizerSpec& spec);  // throws TypeError/RangeError
  int stateTensors() const;                       // per parameter
  // state[0..stateTensors()) are this parameter's slots; step is 1-based. Writes the sum of
  // squares of the updated weights into *weightSquares (backend memory).
  void update(Backend& backend, float* w, const float* g, float* const* state, int64_t n, float lr,
              int64_t step, double* weightSquares) const;
  const OptimizerSpec& spec() const { return spec_; }

 private:
  OptimizerSpec spec_;
  bool adam_;
};

}  // namespace gradloop
