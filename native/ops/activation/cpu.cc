// The activation kernels on the CPU: one loop per activation (templates), so each vectorises;
// gelu's loops (gelu_cpu.h, also used by dense) use vectorised erf and exp in ISA variants:
//   gelu(x) = x Phi(x), gelu'(x) = Phi(x) + x phi(x), Phi(x) = (1 + erf(x / sqrt 2)) / 2.
#include <algorithm>

#include "../../cpu/fast_math.h"
#include "../../cpu/parallel.h"
#include "gelu_cpu.h"
#include "kernels.h"

namespace gradloop::gelu_cpu {
namespace {

GRADLOOP_KERNEL_BODY float value(float x) { return 0.5f * x * (1.0f + fastmath::erf(x * activation::kInvSqrt2)); }
GRADLOOP_KERNEL_BODY float slope(float x) {
  return 0.5f * (1.0f + fastmath::erf(x * activation::kInvSqrt2)) + x * activation::kInvSqrt2Pi * fastmath::exp(-0.5f * x * x);
}

GRADLOOP_KERNEL_BODY void biasRowsBody(float* y, float* preact, const float* bias, int64_t rows, int64_t cols) {
  for (int64_t r = 0; r < rows; ++r) {
    float* row = y + r * cols;
    float* pre = preact ? preact + r * cols : nullptr;
    if (bias && pre)
      for (int64_t c = 0; c < cols; ++c) row[c] = value(pre[c] = row[c] + bias[c]);
    else if (bias)
      for (int64_t c = 0; c < cols; ++c) row[c] = value(row[c] + bias[c]);
    else if (pre)
      for (int64_t c = 0; c < cols; ++c) row[c] = value(pre[c] = row[c]);
    else
      for (int64_t c = 0; c < cols; ++c) row[c] = value(row[c]);
  }
}

GRADLOOP_KERNEL_BODY void forwardBody(const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = value(x[i]);
}

GRADLOOP_KERNEL_BODY void backwardBody(const float* x, const float* dy, float* dx, int64_t n, bool accumulate) {
  if (accumulate)
    for (int64_t i = 0; i < n; ++i) dx[i] += dy[i] * slope(x[i]);
  else
    for (int64_t i = 0; i < n; ++i) dx[i] = dy[i] * slope(x[i]);
}

}  // namespace

GRADLOOP_ISA_KERNEL(void, biasRows, (float* y, float* preact, const float* bias, int64_t rows, int64_t cols), (y, preact, bias, rows, cols))
GRADLOOP_ISA_KERNEL(void, forward, (const float* x, float* y, int64_t n), (x, y, n))
GRADLOOP_ISA_KERNEL(void, backward, (const float* x, const float* dy, float* dx, int64_t n, bool accumulate), (x, dy, dx, n, accumulate))

}  // namespace gradloop::gelu_cpu

namespace gradloop {
namespace {

using activation::apply;
using activation::derivative;

template <Activation A>
void forwardN(const float* x, float* y, int64_t n, float alpha) {
  for (int64_t i = 0; i < n; ++i) y[i] = apply<A>(x[i], alpha);
}

// The derivative reads the input, the output or both; a null one is never read. The choice is made
// once, outside the loop, so that each loop is branch-free and vectorises.
template <Activation A, bool kX, bool kY>
void backwardLoop(const float* x, const float* y, const float* dy, float* dx, int64_t n, float alpha, bool accumulate) {
  if (accumulate)
    for (int64_t i = 0; i < n; ++i) dx[i] += dy[i] * derivative<A>(kX ? x[i] : 0.0f, kY ? y[i] : 0.0f, alpha);
  else
    for (int64_t i = 0; i < n; ++i) dx[i] = dy[i] * derivative<A>(kX ? x[i] : 0.0f, kY ? y[i] : 0.0f, alpha);
}

template <Activation A>
void backwardN(const float* x, const float* y, const float* dy, float* dx, int64_t n, float alpha, bool accumulate) {
  if (x && y) backwardLoop<A, true, true>(x, y, dy, dx, n, alpha, accumulate);
  else if (x) backwardLoop<A, true, false>(x, y, dy, dx, n, alpha, accumulate);
  else if (y) backwardLoop<A, false, true>(x, y, dy, dx, n, alpha, accumulate);
  else backwardLoop<A, false, false>(x, y, dy, dx, n, alpha, accumulate);
}

// Element ranges on the backend's threads, in chunks (any split gives the same values).
constexpr int64_t kChunk = 4096;

void forward(Backend&, const float* x, float* y, int64_t n, Activation act, float alpha) {
  forEachRange((n + kChunk - 1) / kChunk, kChunk, [&](int64_t first, int64_t last) {
    const int64_t begin = first * kChunk, count = std::min(n, last * kChunk) - begin;
    if (act == Activation::Gelu) return gelu_cpu::forward(x + begin, y + begin, count);
    GRADLOOP_ACTIVATION_DISPATCH(act, forwardN, x + begin, y + begin, count, alpha)
  }, act == Activation::Gelu || act == Activation::Sigmoid || act == Activation::Tanh ? kParallelElements : kParallelMin);
}

void backward(Backend&, const float* x, const float* y, const float* dy, float* dx, int64_t n, Activation act, float alpha,
              bool accumulate) {
  forEachRange((n + kChunk - 1) / kChunk, kChunk, [&](int64_t first, int64_t last) {
    const int64_t begin = first * kChunk, count = std::min(n, last * kChunk) - begin;
    if (act == Activation::Gelu && x) return gelu_cpu::backward(x + begin, dy + begin, dx + begin, count, accumulate);
    GRADLOOP_ACTIVATION_DISPATCH(act, backwardN, x ? x + begin : nullptr, y ? y + begin : nullptr, dy + begin, dx + begin, count, alpha, accumulate)
  }, act == Activation::Gelu ? kParallelElements : kParallelMin);
}

}  // namespace

const void* activationCpuKernels() {
  static const ActivationKernels kernels{forward, backward};
  return &kernels;
}

}  // namespace gradloop
