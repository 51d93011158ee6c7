// The attention kernel on the GPU: one thread per score.
#include "../../cuda/kernel_utils.cuh"
#include "kernels.h"

namespace gradloop {
namespace {

__global__ void causalMaskKernel(float* scores, int64_t n, int64_t rows, int64_t cols) {
  GRADLOOP_GRID_STRIDE(e, n) {
    const int64_t j = e % cols, i = (e / cols) % rows;
    if (j > i) scores[e] = -INFINITY;
  }
}

void causalMask(Backend& b, float* scores, int64_t count, int64_t rows, int64_t cols) {
  const int64_t n = count * rows * cols;
  causalMaskKernel<<<cuda::blocksFor(n), cuda::kThreads, 0, cuda::launchOn(b)>>>(scores, n, rows, cols);
  cuda::checkLaunch("causal mask");
}

}  // namespace

const void* attentionCudaKernels() {
  static const AttentionKernels kernels{causalMask};
  return &kernels;
}

}  // namespace gradloop
