// The softplus kernels on the GPU: the CPU's formulas (functions.h).
#include "../../cuda/kernel_utils.cuh"
#include "functions.h"
#include "kernels.h"

namespace gradloop {
namespace {

__global__ void forwardKernel(const float* x, float* y, int64_t n) {
  GRADLOOP_GRID_STRIDE(i, n) y[i] = softplus::value(x[i]);
}
__global__ void backwardKernel(const float* x, const float* dy, float* dx, int64_t n, bool accumulate) {
  GRADLOOP_GRID_STRIDE(i, n) {
    const float g = dy[i] * softplus::derivative(x[i]);
    dx[i] = accumulate ? dx[i] + g : g;
  }
}

void forward(Backend& b, const float* x, float* y, int64_t n) {
  forwardKernel<<<cuda::blocksFor(n), cuda::kThreads, 0, cuda::launchOn(b)>>>(x, y, n);
  cuda::checkLaunch("softplus");
}

void backward(Backend& b, const float* x, const float* dy, float* dx, int64_t n, bool accumulate) {
  backwardKernel<<<cuda::blocksFor(n), cuda::kThreads, 0, cuda::launchOn(b)>>>(x, dy, dx, n, accumulate);
  cuda::checkLaunch("softplusBackward");
}

}  // namespace

const void* softplusCudaKernels() {
  static const SoftplusKernels kernels{forward, backward};
  return &kernels;
}

}  // namespace gradloop
