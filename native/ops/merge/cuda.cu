// The merge kernels on the GPU: the CPU's formulas (functions.h), one thread per element.
#include "../../cuda/kernel_utils.cuh"
#include "functions.h"
#include "kernels.h"

namespace gradloop {
namespace {

__global__ void forwardKernel(MergeInputs in, float* y, int64_t n, MergeMode mode) {
  GRADLOOP_GRID_STRIDE(i, n) y[i] = merge::value(in, i, mode);
}
__global__ void backwardKernel(MergeInputs in, const float* y, const float* dy, float* dx, int64_t n, MergeMode mode,
                               int k, bool accumulate) {
  GRADLOOP_GRID_STRIDE(i, n) {
    const float g = dy[i] * merge::derivative(in, y[i], i, mode, k);
    dx[i] = accumulate ? dx[i] + g : g;
  }
}

void forward(Backend& b, const MergeInputs& in, float* y, int64_t n, MergeMode mode) {
  forwardKernel<<<cuda::blocksFor(n), cuda::kThreads, 0, cuda::launchOn(b)>>>(in, y, n, mode);
  cuda::checkLaunch("merge");
}

void backward(Backend& b, const MergeInputs& in, const float* y, const float* dy, float* dx, int64_t n, MergeMode mode,
              int k, bool accumulate) {
  backwardKernel<<<cuda::blocksFor(n), cuda::kThreads, 0, cuda::launchOn(b)>>>(in, y, dy, dx, n, mode, k, accumulate);
  cuda::checkLaunch("mergeBackward");
}

}  // namespace

const void* mergeCudaKernels() {
  static const MergeKernels kernels{forward, backward};
  return &kernels;
}

}  // namespace gradloop
