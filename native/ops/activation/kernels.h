// The activation op's kernels (also used by dense, which fuses its activation into the product's
// output pass, and by any op whose backward needs an activation's derivative).
#pragma once
#include <cstdint>

#include "../../core/backend.h"
#include "functions.h"

namespace gradloop {

struct ActivationKernels {
  static constexpr OpId kOp = OpId::activation;
  // y[n] = act(x[n]).
  void (*forward)(Backend& b, const float* x, float* y, int64_t n, Activation act, float alpha);
  // dx[n] (+)= dy * act'(x); x is the activation's input, y its output (either may be null when the
  // derivative does not need it: activationNeedsInput).
  void (*backward)(Backend& b, const float* x, const float* y, const float* dy, float* dx, int64_t n, Activation act,
                   float alpha, bool accumulate);
};

}  // namespace gradloop
