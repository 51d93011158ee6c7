// The masking kernels on the GPU: a thread per step for the mask, per value for the product.
#include "../../cuda/kernel_utils.cuh"
#include "kernels.h"

namespace gradloop {
namespace {

__global__ void stepMaskKernel(const float* x, float* mask, int64_t rows, int64_t width, float value) {
  GRADLOOP_GRID_STRIDE(r, rows) {
    bool real = false;
    for (int64_t k = 0; k < width && !real; ++k) real = x[r * width + k] != value;
    mask[r] = real ? 1.0f : 0.0f;
  }
}
__global__ void applyKernel(const float* x, const float* mask, float* y, int64_t rows, int64_t width, bool accumulate) {
  GRADLOOP_GRID_STRIDE(i, rows * width) {
    const float v = x[i] * mask[i / width];
    y[i] = accumulate ? y[i] + v : v;
  }
}

void stepMask(Backend& b, const float* x, float* mask, int64_t rows, int64_t width, float value) {
  stepMaskKernel<<<cuda::blocksFor(rows), cuda::kThreads, 0, cuda::launchOn(b)>>>(x, mask, rows, width, value);
  cuda::checkLaunch("masking stepMask");
}
void apply(Backend& b, const float* x, const float* mask, float* y, int64_t rows, int64_t width, bool accumulate) {
  applyKernel<<<cuda::blocksFor(rows * width), cuda::kThreads, 0, cuda::launchOn(b)>>>(x, mask, y, rows, width, accumulate);
  cuda::checkLaunch("masking apply");
}

}  // namespace

const void* maskingCudaKernels() {
  static const MaskingKernels kernels{stepMask, apply};
  return &kernels;
}

}  // namespace gradloop
