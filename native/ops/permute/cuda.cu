// The permute kernel on the GPU: one thread per output element, the CPU's index formula.
#include "../../cuda/kernel_utils.cuh"
#include "functions.h"
#include "kernels.h"

namespace gradloop {
namespace {

__global__ void forwardKernel(const float* x, float* y, int64_t n, PermuteLayout l, bool accumulate) {
  GRADLOOP_GRID_STRIDE(i, n) {
    const int64_t b = i / l.elements, o = i % l.elements;
    const float v = x[b * l.elements + permute::source(l, o)];
    y[i] = accumulate ? y[i] + v : v;
  }
}

void forward(Backend& b, const float* x, float* y, int64_t batch, const PermuteLayout& l, bool accumulate) {
  const int64_t n = batch * l.elements;
  forwardKernel<<<cuda::blocksFor(n), cuda::kThreads, 0, cuda::launchOn(b)>>>(x, y, n, l, accumulate);
  cuda::checkLaunch("permute");
}

}  // namespace

const void* permuteCudaKernels() {
  static const PermuteKernels kernels{forward};
  return &kernels;
}

}  // namespace gradloop
