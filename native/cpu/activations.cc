// Elementwise activations, softmax and dropout on the CPU; each forward next to its backward.
// The formulas themselves are in core/activation_math.h, shared with the CUDA backend.
#include <cmath>
#include <cstring>

#include "../core/activation_math.h"
#include "../core/rng.h"
#include "cpu_backend.h"

namespace gradloop {
namespace {

using activation::apply;
using activation::derivative;

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
