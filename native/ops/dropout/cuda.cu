// The dropout kernel on the GPU: the CPU's counter-based stream, so masks are identical.
#include "../../core/rng.h"
#include "../../cuda/kernel_utils.cuh"
#include "kernels.h"

namespace gradloop {
namespace {

__global__ void applyKernel(const float* x, float* y, int64_t n, float rate, uint64_t seed, uint64_t stream, bool accumulate) {
  const float scale = 1.0f / (1.0f - rate);
  GRADLOOP_GRID_STRIDE(i, n) {
    const float g = uniformAt(seed, stream, static_cast<uint64_t>(i)) >= rate ? x[i] * scale : 0.0f;
    y[i] = accumulate ? y[i] + g : g;
  }
}

void apply(Backend& b, const float* x, float* y, int64_t n, float rate, uint64_t seed, uint64_t stream, bool accumulate) {
  applyKernel<<<cuda::blocksFor(n), cuda::kThreads, 0, cuda::launchOn(b)>>>(x, y, n, rate, seed, stream, accumulate);
  cuda::checkLaunch("dropout");
}

}  // namespace

const void* dropoutCudaKernels() {
  static const DropoutKernels kernels{apply};
  return &kernels;
}

}  // namespace gradloop
