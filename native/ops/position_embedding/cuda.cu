// The position embedding kernels on the GPU: one thread per value; backward sums the batch for
// each table entry in batch order (no atomics).
#include "../../cuda/kernel_utils.cuh"
#include "kernels.h"

namespace gradloop {
namespace {

__global__ void forwardKernel(const float* x, const float* table, float* y, int64_t total, int64_t n) {
  GRADLOOP_GRID_STRIDE(e, total) y[e] = (x ? x[e] : 0.0f) + table[e % n];
}

__global__ void backwardKernel(const float* dy, float* dTable, int64_t batch, int64_t n, int64_t total, bool accumulate) {
  GRADLOOP_GRID_STRIDE(i, total) {
    float sum = 0.0f;
    if (i < n)
      for (int64_t b = 0; b < batch; ++b) sum += dy[b * n + i];
    dTable[i] = accumulate ? dTable[i] + sum : sum;
  }
}

void forward(Backend& b, const float* x, const float* table, float* y, int64_t batch, int64_t n) {
  const int64_t total = batch * n;
  forwardKernel<<<cuda::blocksFor(total), cuda::kThreads, 0, cuda::launchOn(b)>>>(x, table, y, total, n);
  cuda::checkLaunch("position embedding");
}

void backward(Backend& b, const float* dy, float* dTable, int64_t batch, int64_t n, int64_t total, bool accumulate) {
  backwardKernel<<<cuda::blocksFor(total), cuda::kThreads, 0, cuda::launchOn(b)>>>(dy, dTable, batch, n, total, accumulate);
  cuda::checkLaunch("position embedding backward");
}

}  // namespace

const void* position_embeddingCudaKernels() {
  static const PositionEmbeddingKernels kernels{forward, backward};
  return &kernels;
}

}  // namespace gradloop
