// The permute kernel on the CPU.
#include "functions.h"
#include "kernels.h"

namespace gradloop {
namespace {

void forward(Backend&, const float* x, float* y, int64_t batch, const PermuteLayout& l, bool accumulate) {
  for (int64_t b = 0; b < batch; ++b) {
    const float* xs = x + b * l.elements;
    float* ys = y + b * l.elements;
    for (int64_t o = 0; o < l.elements; ++o) {
      const float v = xs[permute::source(l, o)];
      ys[o] = accumulate ? ys[o] + v : v;
    }
  }
}

}  // namespace

const void* permuteCpuKernels() {
  static const PermuteKernels kernels{forward};
  return &kernels;
}

}  // namespace gradloop
