// softplus and its derivative, for the CPU and the GPU alike (host and device code).
#pragma once
#include <cmath>

#include "../../core/host_device.h"

namespace gradloop::softplus {

// log(1 + exp(x)) without overflow: for x > 0 it is x + log(1 + exp(-x)).
GRADLOOP_HOST_DEVICE inline float value(float x) { return x > 0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x)); }

// d/dx softplus(x) = sigmoid(x), in the form that never exponentiates a large positive number.
GRADLOOP_HOST_DEVICE inline float derivative(float x) {
  if (x >= 0) return 1.0f / (1.0f + std::exp(-x));
  const float e = std::exp(x);
  return e / (1.0f + e);
}

}  // namespace gradloop::softplus
