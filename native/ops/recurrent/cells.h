// The three recurrent cells' arithmetic for one sample and one unit of one time step, forward and
// backward side by side, shared by the CPU and CUDA kernels (device code calls these too). Gate
// order and formulas are Keras': SimpleRNN h = act(z); LSTM gates i, f, c, o; GRU gates z, r, h
// with reset_after (the recurrent product's candidate part is reset after the product, as
// cuDNN and ONNX's linear_before_reset). A masked step (a padded position) keeps the state and
// outputs 0; its gradients pass straight through to the step before.
//
// Pre-activations come in `gates` (the input projection plus, for SimpleRNN and LSTM, the
// recurrent product); forward overwrites them with the activations, which backward reads.
// Derivatives are taken from those outputs, so every supported activation must have one that
// the output determines (tanh, sigmoid, relu, linear).
#pragma once
#include <cstdint>
#include <type_traits>

#include "../../core/host_device.h"
#include "../activation/functions.h"

namespace gradloop {

enum class Cell { SimpleRnn, Lstm, Gru };

namespace recurrent {

// sigmoid through the vectorisable tanh: sigmoid(x) = (1 + tanh(x / 2)) / 2.
template <Activation A>
GRADLOOP_HOST_DEVICE inline float act(float x) {
  if constexpr (A == Activation::Tanh) return activation::fastTanh(x);
  if constexpr (A == Activation::Sigmoid) return 0.5f * activation::fastTanh(0.5f * x) + 0.5f;
  if constexpr (A == Activation::Relu) return x > 0 ? x : 0.0f;
  return x;
}
// d act / d x from the output y.
template <Activation A>
GRADLOOP_HOST_DEVICE inline float grad(float y) {
  if constexpr (A == Activation::Tanh) return 1.0f - y * y;
  if constexpr (A == Activation::Sigmoid) return y * (1.0f - y);
  if constexpr (A == Activation::Relu) return y > 0 ? 1.0f : 0.0f;
  return 1.0f;
}

// The activations a recurrent layer takes, as template arguments of the kernels.
inline bool supported(Activation a) {
  return a == Activation::Tanh || a == Activation::Sigmoid || a == Activation::Relu || a == Activation::Linear;
}

// One time step's buffers: row n of each at its base + n * stride (floats). The op fills what its
// cell reads; the rest stays null.
struct StepViews {
  int64_t batch = 0, units = 0;
  float* gates = nullptr;          // [batch, G * units]: pre-activations in, activations out
  const float* rec = nullptr;      // GRU: the recurrent product plus its bias [batch, 3 * units]
  int64_t gatesStride = 0;         // for gates, rec, dz and dzRec
  const float* hPrev = nullptr;    // the state before the step
  const float* cPrev = nullptr;    // LSTM's cell state before the step
  int64_t prevStride = 0;
  float* hNext = nullptr;          // the state after it
  float* cNext = nullptr;
  int64_t nextStride = 0;
  float* y = nullptr;              // forward: the step's output (null: none is kept)
  const float* dy = nullptr;       // backward: its gradient (null: none)
  int64_t yStride = 0;
  const void* mask = nullptr;      // [batch] at this step (stride maskStride): 0 = padding; null: none
  bool intMask = false;            // int32 token ids (0 the padding id) rather than float32
  int64_t maskStride = 0;
  float* dh = nullptr;             // backward, [batch, units] each: the state's gradient, carried
  float* dc = nullptr;             //   from the step after to the step before
  float* dz = nullptr;             // backward: the input side's pre-activation gradients
  float* dzRec = nullptr;          // GRU: the recurrent product's (differs in the candidate part)
};

GRADLOOP_HOST_DEVICE inline bool padded(const StepViews& v, int64_t n) {
  if (!v.mask) return false;
  return v.intMask ? static_cast<const int32_t*>(v.mask)[n * v.maskStride] == 0
                   : static_cast<const float*>(v.mask)[n * v.maskStride] == 0.0f;
}

// ---- SimpleRNN: h = A(x W + h_prev R + b) ----
template <Activation A>
GRADLOOP_HOST_DEVICE inline void simpleForward(const StepViews& v, int64_t n, int64_t u) {
  float* g = v.gates + n * v.gatesStride;
  float* y = v.y ? v.y + n * v.yStride + u : nullptr;
  if (padded(v, n)) {
    v.hNext[n * v.nextStride + u] = v.hPrev[n * v.prevStride + u];
    if (y) *y = 0.0f;
    return;
  }
  const float h = act<A>(g[u]);
  g[u] = h;
  v.hNext[n * v.nextStride + u] = h;
  if (y) *y = h;
}
template <Activation A>
GRADLOOP_HOST_DEVICE inline void simpleBackward(const StepViews& v, int64_t n, int64_t u) {
  float* dh = v.dh + n * v.units + u;
  float* dz = v.dz + n * v.gatesStride;
  if (padded(v, n)) {
    dz[u] = 0.0f;
    return;
  }
  const float d = *dh + (v.dy ? v.dy[n * v.yStride + u] : 0.0f);
  dz[u] = d * grad<A>(v.gates[n * v.gatesStride + u]);
  *dh = 0.0f;  // the op adds dz R^T
}

// ---- LSTM (A: activation, R: recurrent activation): i, f, c~, o = R, R, A, R of the step's
// pre-activations; c = f c_prev + i c~; h = o A(c) ----
template <Activation A, Activation R>
GRADLOOP_HOST_DEVICE inline void lstmForward(const StepViews& v, int64_t n, int64_t u) {
  const int64_t U = v.units;
  float* g = v.gates + n * v.gatesStride;
  float* y = v.y ? v.y + n * v.yStride + u : nullptr;
  const float cp = v.cPrev[n * v.prevStride + u];
  if (padded(v, n)) {
    v.hNext[n * v.nextStride + u] = v.hPrev[n * v.prevStride + u];
    v.cNext[n * v.nextStride + u] = cp;
    if (y) *y = 0.0f;
    return;
  }
  const float i = act<R>(g[u]), f = act<R>(g[U + u]), cc = act<A>(g[2 * U + u]), o = act<R>(g[3 * U + u]);
  g[u] = i, g[U + u] = f, g[2 * U + u] = cc, g[3 * U + u] = o;
  const float c = f * cp + i * cc;
  const float h = o * act<A>(c);
  v.cNext[n * v.nextStride + u] = c;
  v.hNext[n * v.nextStride + u] = h;
  if (y) *y = h;
}
template <Activation A, Activation R>
GRADLOOP_HOST_DEVICE inline void lstmBackward(const StepViews& v, int64_t n, int64_t u) {
  const int64_t U = v.units;
  float* dz = v.dz + n * v.gatesStride;
  if (padded(v, n)) {  // dh and dc pass to the step before unchanged
    dz[u] = dz[U + u] = dz[2 * U + u] = dz[3 * U + u] = 0.0f;
    return;
  }
  const float* g = v.gates + n * v.gatesStride;
  const float i = g[u], f = g[U + u], cc = g[2 * U + u], o = g[3 * U + u];
  float* dh = v.dh + n * U + u;
  float* dc = v.dc + n * U + u;
  const float d = *dh + (v.dy ? v.dy[n * v.yStride + u] : 0.0f);
  const float tc = act<A>(v.cNext[n * v.nextStride + u]);
  const float dcell = *dc + d * o * grad<A>(tc);
  dz[u] = dcell * cc * grad<R>(i);
  dz[U + u] = dcell * v.cPrev[n * v.prevStride + u] * grad<R>(f);
  dz[2 * U + u] = dcell * i * grad<A>(cc);
  dz[3 * U + u] = d * tc * grad<R>(o);
  *dc = dcell * f;
  *dh = 0.0f;  // the op adds dz R^T
}

// ---- GRU, reset after (A: activation, R: recurrent activation): with x-parts xz, xr, xh (input
// bias included) and rec = h_prev R + recurrent bias (rz, rr, rh):
// z = R(xz + rz), r = R(xr + rr), h~ = A(xh + r rh), h = z h_prev + (1 - z) h~ ----
template <Activation A, Activation R>
GRADLOOP_HOST_DEVICE inline void gruForward(const StepViews& v, int64_t n, int64_t u) {
  const int64_t U = v.units;
  float* g = v.gates + n * v.gatesStride;
  float* y = v.y ? v.y + n * v.yStride + u : nullptr;
  const float hp = v.hPrev[n * v.prevStride + u];
  if (padded(v, n)) {
    v.hNext[n * v.nextStride + u] = hp;
    if (y) *y = 0.0f;
    return;
  }
  const float* rec = v.rec + n * v.gatesStride;
  const float z = act<R>(g[u] + rec[u]), r = act<R>(g[U + u] + rec[U + u]);
  const float hh = act<A>(g[2 * U + u] + r * rec[2 * U + u]);
  g[u] = z, g[U + u] = r, g[2 * U + u] = hh;
  const float h = z * hp + (1.0f - z) * hh;
  v.hNext[n * v.nextStride + u] = h;
  if (y) *y = h;
}
template <Activation A, Activation R>
GRADLOOP_HOST_DEVICE inline void gruBackward(const StepViews& v, int64_t n, int64_t u) {
  const int64_t U = v.units;
  float* dz = v.dz + n * v.gatesStride;
  float* dzRec = v.dzRec + n * v.gatesStride;
  if (padded(v, n)) {
    dz[u] = dz[U + u] = dz[2 * U + u] = 0.0f;
    dzRec[u] = dzRec[U + u] = dzRec[2 * U + u] = 0.0f;
    return;
  }
  const float* g = v.gates + n * v.gatesStride;
  const float z = g[u], r = g[U + u], hh = g[2 * U + u];
  float* dh = v.dh + n * U + u;
  const float d = *dh + (v.dy ? v.dy[n * v.yStride + u] : 0.0f);
  const float dzPre = d * (v.hPrev[n * v.prevStride + u] - hh) * grad<R>(z);
  const float dhPre = d * (1.0f - z) * grad<A>(hh);
  const float drPre = dhPre * v.rec[n * v.gatesStride + 2 * U + u] * grad<R>(r);
  dz[u] = dzRec[u] = dzPre;
  dz[U + u] = dzRec[U + u] = drPre;
  dz[2 * U + u] = dhPre;
  dzRec[2 * U + u] = dhPre * r;
  *dh = d * z;  // the direct path; the op adds dzRec R^T
}

// Calls f(A, R) with the two activations as std::integral_constant types, so that a kernel is
// compiled for each pair the layers can ask for (the default pairs get loops without a branch).
template <typename F>
inline void withActivations(Activation a, Activation r, F&& f) {
  using Tanh = std::integral_constant<Activation, Activation::Tanh>;
  using Sigmoid = std::integral_constant<Activation, Activation::Sigmoid>;
  using Relu = std::integral_constant<Activation, Activation::Relu>;
  using Linear = std::integral_constant<Activation, Activation::Linear>;
  auto second = [&](auto first) {
    switch (r) {
      case Activation::Tanh: return f(first, Tanh{});
      case Activation::Sigmoid: return f(first, Sigmoid{});
      case Activation::Relu: return f(first, Relu{});
      default: return f(first, Linear{});
    }
  };
  switch (a) {
    case Activation::Tanh: return second(Tanh{});
    case Activation::Sigmoid: return second(Sigmoid{});
    case Activation::Relu: return second(Relu{});
    default: return second(Linear{});
  }
}

}  // namespace recurrent
}  // namespace gradloop
