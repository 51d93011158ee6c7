// Embedding lookup and its gradient on the GPU. The scatter-add uses float atomics, so when an id
// repeats within a batch the order of its additions (and the last bits) can vary run to run.
#include "cuda_backend.h"
#include "kernel_utils.cuh"

namespace gradloop::cuda {
namespace {

// Ids were range-checked on the host before they were uploaded.
__global__ void embeddingGather(const int32_t* ids, const float* table, float* out, int64_t count, int64_t dim) {
  GRADLOOP_GRID_STRIDE(i, count * dim) out[i] = table[static_cast<int64_t>(ids[i / dim]) * dim + i % dim];
}
__global__ void embeddingScatterAdd(const int32_t* ids, const float* dout, float* dtable, int64_t count, int64_t dim) {
  GRADLOOP_GRID_STRIDE(i, count * dim) atomicAdd(dtable + static_cast<int64_t>(ids[i / dim]) * dim + i % dim, dout[i]);
}

}  // namespace

void CudaBackend::embeddingForward(const int32_t* ids, const float* table, float* out, int64_t count, int64_t dim, int64_t) {
  activate();
  embeddingGather<<<blocksFor(count * dim), kThreads, 0, asStream(stream_)>>>(ids, table, out, count, dim);
  checkLaunch("embedding");
}

void CudaBackend::embeddingBackward(const int32_t* ids, const float* dout, float* dtable, int64_t count, int64_t dim,
                                    int64_t vocab, bool accumulate) {
  activate();
  if (!accumulate) check(cudaMemsetAsync(dtable, 0, static_cast<size_t>(vocab * dim) * sizeof(float), asStream(stream_)), "memset");
  embeddingScatterAdd<<<blocksFor(count * dim), kThreads, 0, asStream(stream_)>>>(ids, dout, dtable, count, dim);
  checkLaunch("embeddingBackward");
}

}  // namespace gradloop::cuda
