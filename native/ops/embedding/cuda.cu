// The embedding kernels on the GPU. The scatter-add uses float atomics, so when an id repeats
// within a batch the order of its additions (and the last bits) can vary run to run.
#include "../../cuda/kernel_utils.cuh"
#include "kernels.h"

namespace gradloop {
namespace {

// Ids were range-checked on the host before they were uploaded.
__global__ void gatherKernel(const int32_t* ids, const float* table, float* out, int64_t count, int64_t dim) {
  GRADLOOP_GRID_STRIDE(i, count * dim) out[i] = table[static_cast<int64_t>(ids[i / dim]) * dim + i % dim];
}
__global__ void scatterAddKernel(const int32_t* ids, const float* dout, float* dtable, int64_t count, int64_t dim) {
  GRADLOOP_GRID_STRIDE(i, count * dim) atomicAdd(dtable + static_cast<int64_t>(ids[i / dim]) * dim + i % dim, dout[i]);
}

void forward(Backend& b, const int32_t* ids, const float* table, float* out, int64_t count, int64_t dim, int64_t) {
  gatherKernel<<<cuda::blocksFor(count * dim), cuda::kThreads, 0, cuda::launchOn(b)>>>(ids, table, out, count, dim);
  cuda::checkLaunch("embedding");
}

void backward(Backend& b, const int32_t* ids, const float* dout, float* dtable, int64_t count, int64_t dim, int64_t vocab,
              bool accumulate) {
  cudaStream_t s = cuda::launchOn(b);
  if (!accumulate) cuda::check(cudaMemsetAsync(dtable, 0, static_cast<size_t>(vocab * dim) * sizeof(float), s), "memset");
  scatterAddKernel<<<cuda::blocksFor(count * dim), cuda::kThreads, 0, s>>>(ids, dout, dtable, count, dim);
  cuda::checkLaunch("embeddingBackward");
}

}  // namespace

const void* embeddingCudaKernels() {
  static const EmbeddingKernels kernels{forward, backward};
  return &kernels;
}

}  // namespace gradloop
