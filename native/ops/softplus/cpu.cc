// The softplus kernels on the CPU.
#include "functions.h"
#include "kernels.h"

namespace gradloop {
namespace {

void forward(Backend&, const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = softplus::value(x[i]);
}

void backward(Backend&, const float* x, const float* dy, float* dx, int64_t n, bool accumulate) {
  if (accumulate)
    for (int64_t i = 0; i < n; ++i) dx[i] += dy[i] * softplus::derivative(x[i]);
  else
    for (int64_t i = 0; i < n; ++i) dx[i] = dy[i] * softplus::derivative(x[i]);
}

}  // namespace

const void* softplusCpuKernels() {
  static const SoftplusKernels kernels{forward, backward};
  return &kernels;
}

}  // namespace gradloop
