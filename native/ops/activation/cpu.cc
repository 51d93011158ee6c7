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

template <Activation A>
void backwardN(const float* x, const float* y, const float* dy, float* dx, int64_t n, float alpha, bool accumulate) {
  if (accumulate)
    for (int64_t i = 0; i < n; ++i) dx[i] += dy[i] * derivative<A>(x ? x[i] : 0.0f, y ? y[i] : 0.0f, alpha);
  else
    for (int64_t i = 0; i < n; ++i) dx[i] = dy[i] * derivative<A>(x ? x[i] : 0.0f, y ? y[i] : 0.0f, alpha);
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
