// What every CUDA kernel file of the backend shares: error checks, launch geometry, and the
// fixed-order block and warp reductions that keep results the same from run to run.
#pragma once
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "cuda_backend.h"

namespace gradloop::cuda {

constexpr int kThreads = 256;     // threads per block everywhere
constexpr int kMaxBlocks = 1024;  // the fixed grid of reductions (the partials' count)

inline void check(cudaError_t status, const char* what) {
  if (status != cudaSuccess) throw std::runtime_error(std::string("CUDA: ") + what + " failed: " + cudaGetErrorString(status));
}
inline void checkLaunch(const char* kernel) { check(cudaGetLastError(), kernel); }

// At least one block: a launch with none is an error, and an empty tensor simply does nothing.
inline int blocksFor(int64_t n) { return static_cast<int>(std::max<int64_t>(1, std::min<int64_t>((n + kThreads - 1) / kThreads, 65535))); }
inline int reduceBlocks(int64_t n) {
  return static_cast<int>(std::max<int64_t>(1, std::min<int64_t>((n + kThreads - 1) / kThreads, kMaxBlocks)));
}
inline cudaStream_t asStream(void* s) { return static_cast<cudaStream_t>(s); }

// An op kernel's launch preamble: backend b's device made current on this thread; its stream.
inline cudaStream_t launchOn(Backend& b) {
  const auto& cuda = static_cast<const CudaBackend&>(b);
  cuda.activate();
  return asStream(cuda.stream());
}

#define GRADLOOP_GRID_STRIDE(i, n)                                                                    \
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < (n); \
       i += static_cast<int64_t>(blockDim.x) * gridDim.x)

// ---- a block's threads -> one value, fixed order ----

template <typename T>
__device__ T blockSum(T value) {
  __shared__ T shared[kThreads];
  shared[threadIdx.x] = value;
  __syncthreads();
  for (int half = blockDim.x / 2; half > 0; half >>= 1) {
    if (threadIdx.x < half) shared[threadIdx.x] += shared[threadIdx.x + half];
    __syncthreads();
  }
  T total = shared[0];
  __syncthreads();
  return total;
}

// out[0] = sum of in[0..n), one block.

// ---- one warp per row (row-wise kernels: softmax, losses) ----

__device__ inline float warpMax(float v) {
  for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}
__device__ inline float warpSum(float v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}
// The largest value and its first index across the warp (ties: the lowest index, as the CPU).
__device__ inline void warpArgMax(float& v, int64_t& idx) {
  for (int o = 16; o > 0; o >>= 1) {
    const float ov = __shfl_xor_sync(0xffffffffu, v, o);
    const int64_t oi = __shfl_xor_sync(0xffffffffu, idx, o);
    if (ov > v || (ov == v && oi < idx)) v = ov, idx = oi;
  }
}

constexpr int kRowsPerBlock = kThreads / 32;
inline int rowBlocks(int64_t rows) { return static_cast<int>(std::max<int64_t>(1, (rows + kRowsPerBlock - 1) / kRowsPerBlock)); }
// The row this thread's warp handles (kernels launched with rowBlocks), and its lane.
__device__ inline int64_t warpRow() { return blockIdx.x * static_cast<int64_t>(kRowsPerBlock) + threadIdx.x / 32; }
__device__ inline int laneIndex() { return threadIdx.x % 32; }

}  // namespace gradloop::cuda
