// The activation kernels on the CPU: one loop per activation (templates), so each vectorises.
#include "kernels.h"

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

void forward(Backend&, const float* x, float* y, int64_t n, Activation act, float alpha) {
  GRADLOOP_ACTIVATION_DISPATCH(act, forwardN, x, y, n, alpha)
}

void backward(Backend&, const float* x, const float* y, const float* dy, float* dx, int64_t n, Activation act, float alpha,
              bool accumulate) {
  GRADLOOP_ACTIVATION_DISPATCH(act, backwardN, x, y, dy, dx, n, alpha, accumulate)
}

}  // namespace

const void* activationCpuKernels() {
  static const ActivationKernels kernels{forward, backward};
  return &kernels;
}

}  // namespace gradloop
