// The activation functions and their derivatives: used by the activation op and fused into dense,
// and shared by the CPU and CUDA kernels so both compute the same formulas (the CUDA kernels call
// these from device code).
// Derivatives are taken from the output y where that is exact (relu, leakyRelu with alpha >= 0,
// sigmoid, tanh) and from the input x for gelu.
#pragma once
#include <cmath>

#include <string>

#include "../../core/host_device.h"

namespace gradloop {

enum class Activation { Linear, Relu, LeakyRelu, Sigmoid, Tanh, Gelu };

Activation activationFromName(const std::string& name);  // throws TypeError
// Whether backward needs the pre-activation input (else the output suffices).
inline bool activationNeedsInput(Activation a) { return a == Activation::Gelu; }

}  // namespace gradloop

namespace gradloop::activation {

constexpr float kInvSqrt2 = 0.70710678118654752f;
constexpr float kInvSqrt2Pi = 0.39894228040143268f;

GRADLOOP_HOST_DEVICE inline float sigmoid(float x) {
  // Stable for large |x|: never exponentiates a large positive number.
  if (x >= 0) return 1.0f / (1.0f + std::exp(-x));
  float e = std::exp(x);
  return e / (1.0f + e);
}
// tanh as a rational function of x (odd degree 13 over even degree 6, the fit Eigen's
// generic_fast_tanh_float uses), clamped where tanh rounds to +-1 in float32. glibc's tanhf
// is a scalar call (15% of the embedding benchmark's time, bench/NOTES.md); this is
// multiplies, adds and one divide, which vectorise. Error <= 3.4e-7 absolute and relative
// against float64 tanh on [-12, 12].
GRADLOOP_HOST_DEVICE inline float fastTanh(float x) {
  const float clamp = 7.90531110763549805f;
  x = x > clamp ? clamp : (x < -clamp ? -clamp : x);
  const float x2 = x * x;
  float p = -2.76076847742355e-16f;
  p = p * x2 + 2.00018790482477e-13f;
  p = p * x2 - 8.60467152213735e-11f;
  p = p * x2 + 5.12229709037114e-08f;
  p = p * x2 + 1.48572235717979e-05f;
  p = p * x2 + 6.37261928875436e-04f;
  p = p * x2 + 4.89352455891786e-03f;
  float q = 1.19825839466702e-06f;
  q = q * x2 + 1.18534705686654e-04f;
  q = q * x2 + 2.26843463243900e-03f;
  q = q * x2 + 4.89352518554385e-03f;
  return x * p / q;
}
GRADLOOP_HOST_DEVICE inline float gelu(float x) { return 0.5f * x * (1.0f + std::erf(x * kInvSqrt2)); }
GRADLOOP_HOST_DEVICE inline float geluGrad(float x) {
  return 0.5f * (1.0f + std::erf(x * kInvSqrt2)) + x * kInvSqrt2Pi * std::exp(-0.5f * x * x);
}

template <Activation A>
GRADLOOP_HOST_DEVICE inline float apply(float x, float alpha) {
  if constexpr (A == Activation::Relu) return x > 0 ? x : 0.0f;
  if constexpr (A == Activation::LeakyRelu) return x > 0 ? x : alpha * x;
  if constexpr (A == Activation::Sigmoid) return sigmoid(x);
  if constexpr (A == Activation::Tanh) return fastTanh(x);
  if constexpr (A == Activation::Gelu) return gelu(x);
  return x;
}

// d act / d x, from x (gelu) or y (the rest).
template <Activation A>
GRADLOOP_HOST_DEVICE inline float derivative(float x, float y, float alpha) {
  if constexpr (A == Activation::Relu) return y > 0 ? 1.0f : 0.0f;
  if constexpr (A == Activation::LeakyRelu) return y > 0 ? 1.0f : alpha;
  if constexpr (A == Activation::Sigmoid) return y * (1.0f - y);
  if constexpr (A == Activation::Tanh) return 1.0f - y * y;
  if constexpr (A == Activation::Gelu) return geluGrad(x);
  return 1.0f;
}

}  // namespace gradloop::activation

// Calls fn<A>(args...) with A the runtime activation, so a loop is compiled once per activation.
#define GRADLOOP_ACTIVATION_DISPATCH(act, fn, ...)                                 \
  switch (act) {                                                                   \
    case ::gradloop::Activation::Linear: fn<::gradloop::Activation::Linear>(__VA_ARGS__); break;       \
    case ::gradloop::Activation::Relu: fn<::gradloop::Activation::Relu>(__VA_ARGS__); break;           \
    case ::gradloop::Activation::LeakyRelu: fn<::gradloop::Activation::LeakyRelu>(__VA_ARGS__); break; \
    case ::gradloop::Activation::Sigmoid: fn<::gradloop::Activation::Sigmoid>(__VA_ARGS__); break;     \
    case ::gradloop::Activation::Tanh: fn<::gradloop::Activation::Tanh>(__VA_ARGS__); break;           \
    case ::gradloop::Activation::Gelu: fn<::gradloop::Activation::Gelu>(__VA_ARGS__); break;           \
  }
