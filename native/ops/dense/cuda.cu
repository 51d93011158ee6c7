// The dense op's kernels on the GPU.
#include "../../cuda/kernel_utils.cuh"
#include "kernels.h"

namespace gradloop {
namespace {

using activation::apply;
using cuda::kThreads;

template <Activation A>
__global__ void biasActivationKernel(float* y, float* preact, const float* bias, int64_t rows, int64_t cols, float alpha) {
  GRADLOOP_GRID_STRIDE(i, rows * cols) {
    const float z = bias ? y[i] + bias[i % cols] : y[i];
    if (preact) preact[i] = z;
    y[i] = apply<A>(z, alpha);
  }
}
template <Activation A>
void launchBiasActivation(cudaStream_t s, float* y, float* preact, const float* bias, int64_t rows, int64_t cols, float alpha) {
  biasActivationKernel<A><<<cuda::blocksFor(rows * cols), kThreads, 0, s>>>(y, preact, bias, rows, cols, alpha);
}

// Column sums of dy[rows, cols]: a block covers 32 columns; its 8 thread rows stride over the
// rows, then one thread per column adds the 8 partials in order.
__global__ void biasBackwardKernel(const float* dy, float* dbias, int64_t rows, int64_t cols, bool accumulate) {
  __shared__ float partial[8][33];
  const int64_t c = blockIdx.x * 32 + threadIdx.x;
  float s = 0;
  if (c < cols)
    for (int64_t r = threadIdx.y; r < rows; r += 8) s += dy[r * cols + c];
  partial[threadIdx.y][threadIdx.x] = s;
  __syncthreads();
  if (threadIdx.y == 0 && c < cols) {
    float total = 0;
    for (int k = 0; k < 8; ++k) total += partial[k][threadIdx.x];
    dbias[c] = accumulate ? dbias[c] + total : total;
  }
}

void biasActivationForward(Backend& b, float* y, float* preact, const float* bias, int64_t rows, int64_t cols,
                           Activation act, float alpha) {
  cudaStream_t s = cuda::launchOn(b);
  GRADLOOP_ACTIVATION_DISPATCH(act, launchBiasActivation, s, y, preact, bias, rows, cols, alpha)
  cuda::checkLaunch("biasActivation");
}

void biasBackward(Backend& b, const float* dy, float* dbias, int64_t rows, int64_t cols, bool accumulate) {
  cudaStream_t s = cuda::launchOn(b);
  biasBackwardKernel<<<static_cast<unsigned>((cols + 31) / 32), dim3(32, 8), 0, s>>>(dy, dbias, rows, cols, accumulate);
  cuda::checkLaunch("biasBackward");
}

}  // namespace

const void* denseCudaKernels() {
  static const DenseKernels kernels{biasActivationForward, biasBackward};
  return &kernels;
}

}  // namespace gradloop
