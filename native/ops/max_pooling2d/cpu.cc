// The max_pooling2d kernels on the CPU.
#include <cstring>

#include "functions.h"
#include "kernels.h"

namespace gradloop {
namespace {

void forward(Backend&, const float* x, float* y, int32_t* where, int64_t batch, const PoolGeometry& g) {
  const int64_t O = g.outputs(), I = g.inputs();
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t o = 0; o < O; ++o) where[b * O + o] = pool::maximum(g, x + b * I, o, &y[b * O + o]);
}

void backward(Backend&, const float* dy, const int32_t* where, float* dx, int64_t batch, const PoolGeometry& g, bool accumulate) {
  const int64_t O = g.outputs(), I = g.inputs();
  if (!accumulate) std::memset(dx, 0, static_cast<size_t>(batch * I) * sizeof(float));
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t o = 0; o < O; ++o) dx[b * I + where[b * O + o]] += dy[b * O + o];
}

}  // namespace

const void* max_pooling2dCpuKernels() {
  static const MaxPooling2dKernels kernels{forward, backward};
  return &kernels;
}

}  // namespace gradloop
