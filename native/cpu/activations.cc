// Elementwise activations, softmax and dropout on the CPU; each forward next to its backward.
// Derivatives are taken from the output y where that is exact (relu, leakyRelu with alpha >= 0,
// sigmoid, tanh) and from the input x for gelu.
#include <cmath>
#include <cstring>

#include "../core/rng.h"
#include "cpu_backend.h"

namespace gradloop {
namespace {

constexpr float kInvSqrt2 = 0.70710678118654752f;
constexpr float kInvSqrt2Pi = 0.39894228040143268f;

inline float sigmoid(float x) {
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
inline float fastTanh(float x) {
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
inline float gelu(float x) { return 0.5f * x * (1.0f + std::erf(x * kInvSqrt2)); }
inline float geluGrad(float x) {
  return 0.5f * (1.0f + std::erf(x * kInvSqrt2)) + x * kInvSqrt2Pi * std::exp(-0.5f * x * x);
}

template <Activation A>
inline float apply(float x, float alpha) {
  if constexpr (A == Activation::Relu) return x > 0 ? x : 0.0f;
  if constexpr (A == Activation::LeakyRelu) return x > 0 ? x : alpha * x;
  if constexpr (A == Activation::Sigmoid) return sigmoid(x);
  if constexpr (A == Activation::Tanh) return fastTanh(x);
  if constexpr (A == Activation::Gelu) return gelu(x);
  return x;
}

// d act / d x, from x (gelu) or y (the rest).
template <Activation A>
inline float derivative(float x, float y, float alpha) {
  if constexpr (A == Activation::Relu) return y > 0 ? 1.0f : 0.0f;
  if constexpr (A == Activation::LeakyRelu) return y > 0 ? 1.0f : alpha;
  if constexpr (A == Activation::Sigmoid) return y * (1.0f - y);
  if constexpr (A == Activation::Tanh) return 1.0f - y * y;
  if constexpr (A == Activation::Gelu) return geluGrad(x);
  return 1.0f;
}

template <Activation A>
void biasActivationRows(float* y, float* preact, const float* bias, int64_t rows, int64_t cols, float alpha) {
  for (int64_t r = 0; r < rows; ++r) {
    float* row = y + r * cols;
    float* pre = preact ? preact + r * cols : nullptr;
    for (int64_t c = 0; c < cols; ++c) {
      float z = bias ? row[c] + bias[c] : row[c];
      if (pre) pre[c] = z;
      row[c] = apply<A>(z, alpha);
    }
  }
}

template <Activation A>
void forwardN(const float* x, float* y, int64_t n, float alpha) {
  for (int64_t i = 0; i < n; ++i) y[i] = apply<A>(x[i], alpha);
}

template <Activation A>
void backwardN(const float* x, const float* y, const float* dy, float* dx, int64_t n, float alpha, bool accumulate) {
  if (accumulate)
    for (int64_t i = 0; i < n; ++i) dx[i] += dy[i] * derivative<A>(x ? x[i] : 0.0f, y ? y[i] : 0.0f, alpha);
  else
    for (int64_t i = 0; i < n; ++i) dx[i] = dy[i] * derivative<A>(x ? x[i] : 0.0f, y ? y[i] : 0.0f, alpha);
}

// Calls fn<A>(args...) with A the runtime activation, so each loop is compiled per activation.
#define GRADLOOP_DISPATCH(act, fn, ...)                                          \
  switch (act) {                                                                 \
    case Activation::Linear: fn<Activation::Linear>(__VA_ARGS__); break;         \
    case Activation::Relu: fn<Activation::Relu>(__VA_ARGS__); break;             \
    case Activation::LeakyRelu: fn<Activation::LeakyRelu>(__VA_ARGS__); break;   \
    case Activation::Sigmoid: fn<Activation::Sigmoid>(__VA_ARGS__); break;       \
    case Activation::Tanh: fn<Activation::Tanh>(__VA_ARGS__); break;             \
    case Activation::Gelu: fn<Activation::Gelu>(__VA_ARGS__); break;             \
  }

}  // namespace

void CpuBackend::biasActivationForward(float* y, float* preact, const float* bias, int64_t rows, int64_t cols,
                                       Activation act, float alpha) {
  GRADLOOP_DISPATCH(act, biasActivationRows, y, preact, bias, rows, cols, alpha)
}

void CpuBackend::activationForward(const float* x, float* y, int64_t n, Activation act, float alpha) {
  GRADLOOP_DISPATCH(act, forwardN, x, y, n, alpha)
}

void CpuBackend::activationBackward(const float* x, const float* y, const float* dy, float* dx, int64_t n,
                                    Activation act, float alpha, bool accumulate) {
  GRADLOOP_DISPATCH(act, backwardN, x, y, dy, dx, n, alpha, accumulate)
}

// ---- softmax over rows ----

void CpuBackend::softmaxForward(const float* x, float* y, int64_t rows, int64_t cols) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* in = x + r * cols;
    float* out = y + r * cols;
    float mx = in[0];
    for (int64_t c = 1; c < cols; ++c) mx = in[c] > mx ? in[c] : mx;
    float sum = 0;
    for (int64_t c = 0; c < cols; ++c) sum += (out[c] = std::exp(in[c] - mx));
    float inv = 1.0f / sum;
    for (int64_t c = 0; c < cols; ++c) out[c] *= inv;
  }
}

void CpuBackend::softmaxBackward(const float* y, const float* dy, float* dx, int64_t rows, int64_t cols,
                                 bool accumulate) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* yr = y + r * cols;
    const float* dyr = dy + r * cols;
    float* dxr = dx + r * cols;
    float dot = 0;
    for (int64_t c = 0; c < cols; ++c) dot += dyr[c] * yr[c];
    if (accumulate)
      for (int64_t c = 0; c < cols; ++c) dxr[c] += yr[c] * (dyr[c] - dot);
    else
      for (int64_t c = 0; c < cols; ++c) dxr[c] = yr[c] * (dyr[c] - dot);
  }
}

// ---- dropout ----

void CpuBackend::dropoutForward(const float* x, float* y, int64_t n, float rate, uint64_t seed, uint64_t stream) {
  const float scale = 1.0f / (1.0f - rate);
  for (int64_t i = 0; i < n; ++i) y[i] = uniformAt(seed, stream, i) >= rate ? x[i] * scale : 0.0f;
}

void CpuBackend::dropoutBackward(const float* dy, float* dx, int64_t n, float rate, uint64_t seed, uint64_t stream,
                                 bool accumulate) {
  const float scale = 1.0f / (1.0f - rate);
  for (int64_t i = 0; i < n; ++i) {
    float g = uniformAt(seed, stream, i) >= rate ? dy[i] * scale : 0.0f;
    dx[i] = accumulate ? dx[i] + g : g;
  }
}

}  // namespace gradloop
