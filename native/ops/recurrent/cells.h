// The three recurrent cells' arithmetic for one unit of one time step, forward and backward side
// by side, shared by the CPU and CUDA kernels (device code calls these too), and the buffers of a
// step (StepViews) the kernels index. Gate
// order and formulas are Keras': SimpleRNN h = act(z); LSTM gates i, f, c, o; GRU gates z, r, h
// with reset_after (the recurrent product's candidate part is reset after the product, as
// cuDNN and ONNX's linear_before_reset). A masked step (a padded position) keeps the state and
// outputs 0; its gradients pass straight through to the step before.
//
// Pre-activations come in a step's gates (the input projection plus, for SimpleRNN and LSTM, the
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

// ---- The cells' arithmetic on one unit, as pure functions of scalars: the CPU's loops over a
// step's units (vectorised) and the GPU's threads call the same code. ----

// SimpleRNN: h = A(z), z = x W + h_prev R + b. Backward: dz = dh A'(h).
template <Activation A>
GRADLOOP_HOST_DEVICE inline float simpleCell(float z) { return act<A>(z); }
template <Activation A>
GRADLOOP_HOST_DEVICE inline float simpleCellBackward(float h, float dh) { return dh * grad<A>(h); }

// LSTM (A: activation, R: recurrent activation): i, f, c~, o = R, R, A, R of the pre-activations
// (in: z*, out: the activations); c = f c_prev + i c~; h = o A(c).
template <Activation A, Activation R>
GRADLOOP_HOST_DEVICE inline void lstmCell(float& i, float& f, float& cc, float& o, float cp, float& c, float& h) {
  i = act<R>(i), f = act<R>(f), cc = act<A>(cc), o = act<R>(o);
  c = f * cp + i * cc;
  h = o * act<A>(c);
}
// From the activations, c_prev and c, and the gradients of h and c after the step: the
// pre-activations' gradients (di, df, dcc, do) and c_prev's (dc, in place).
template <Activation A, Activation R>
GRADLOOP_HOST_DEVICE inline void lstmCellBackward(float i, float f, float cc, float o, float cp, float c, float dh, float& dc,
                                                  float& di, float& df, float& dcc, float& dout) {
  const float tc = act<A>(c);
  const float dcell = dc + dh * o * grad<A>(tc);
  di = dcell * cc * grad<R>(i);
  df = dcell * cp * grad<R>(f);
  dcc = dcell * i * grad<A>(cc);
  dout = dh * tc * grad<R>(o);
  dc = dcell * f;
}

// GRU, reset after (A: activation, R: recurrent activation): from the input side's
// pre-activations xz, xr, xh (input bias included; out: z, r, h~) and the recurrent product's
// rz, rr, rh (recurrent bias included): z = R(xz + rz), r = R(xr + rr), h~ = A(xh + r rh),
// h = z h_prev + (1 - z) h~.
template <Activation A, Activation R>
GRADLOOP_HOST_DEVICE inline float gruCell(float& z, float& r, float& hh, float rz, float rr, float rh, float hp) {
  z = act<R>(z + rz), r = act<R>(r + rr);
  hh = act<A>(hh + r * rh);
  return z * hp + (1.0f - z) * hh;
}
// Gradients of the input side's pre-activations (dz, dr, dhh) and of the recurrent product's
// candidate part (drh = dhh r; its z and r parts equal the input side's); returns h_prev's
// direct part, dh z (the op adds the recurrent product's).
template <Activation A, Activation R>
GRADLOOP_HOST_DEVICE inline float gruCellBackward(float z, float r, float hh, float rh, float hp, float dh, float& dz, float& dr,
                                                  float& dhh, float& drh) {
  dz = dh * (hp - hh) * grad<R>(z);
  dhh = dh * (1.0f - z) * grad<A>(hh);
  dr = dhh * rh * grad<R>(r);
  drh = dhh * r;
  return dh * z;
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
