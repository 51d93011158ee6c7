// The attention kernels on the GPU: one thread per score.
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

template <typename T>
__global__ void keyMaskKernel(float* scores, const T* mask, int64_t n, int64_t perSample, int64_t cols) {
  GRADLOOP_GRID_STRIDE(e, n) {
    if (mask[(e / perSample) * cols + e % cols] == 0) scores[e] = kMaskedScore;
  }
}

void keyMask(Backend& b, float* scores, const void* mask, bool intMask, int64_t batch, int64_t heads, int64_t rows, int64_t cols) {
  const int64_t perSample = heads * rows * cols, n = batch * perSample;
  if (intMask)
    keyMaskKernel<<<cuda::blocksFor(n), cuda::kThreads, 0, cuda::launchOn(b)>>>(scores, static_cast<const int32_t*>(mask), n, perSample, cols);
  else
    keyMaskKernel<<<cuda::blocksFor(n), cuda::kThreads, 0, cuda::launchOn(b)>>>(scores, static_cast<const float*>(mask), n, perSample, cols);
  cuda::checkLaunch("key mask");
}

}  // namespace

const void* attentionCudaKernels() {
  static const AttentionKernels kernels{causalMask, keyMask};
  return &kernels;
}

}  // namespace gradloop
