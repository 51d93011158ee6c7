// The activation kernels on the GPU: the CPU's formulas (functions.h), one kernel per activation.
#include "../../cuda/kernel_utils.cuh"
#include "kernels.h"

namespace gradloop {
namespace {

using activation::apply;
using activation::derivative;
using cuda::kThreads;

template <Activation A>
__global__ void forwardKernel(const float* x, float* y, int64_t n, float alpha) {
  GRADLOOP_GRID_STRIDE(i, n) y[i] = apply<A>(x[i], alpha);
}
template <Activation A>
__global__ void backwardKernel(const float* x, const float* y, const float* dy, float* dx, int64_t n, float alpha,
                               bool accumulate) {
  GRADLOOP_GRID_STRIDE(i, n) {
    const float g = dy[i] * derivative<A>(x ? x[i] : 0.0f, y ? y[i] : 0.0f, alpha);
    dx[i] = accumulate ? dx[i] + g : g;
  }
}

template <Activation A>
void launchForward(cudaStream_t s, const float* x, float* y, int64_t n, float alpha) {
  forwardKernel<A><<<cuda::blocksFor(n), kThreads, 0, s>>>(x, y, n, alpha);
}
template <Activation A>
void launchBackward(cudaStream_t s, const float* x, const float* y, const float* dy, float* dx, int64_t n, float alpha,
                    bool accumulate) {
  backwardKernel<A><<<cuda::blocksFor(n), kThreads, 0, s>>>(x, y, dy, dx, n, alpha, accumulate);
}

void forward(Backend& b, const float* x, float* y, int64_t n, Activation act, float alpha) {
  cudaStream_t s = cuda::launchOn(b);
  GRADLOOP_ACTIVATION_DISPATCH(act, launchForward, s, x, y, n, alpha)
  cuda::checkLaunch("activation");
}

void backward(Backend& b, const float* x, const float* y, const float* dy, float* dx, int64_t n, Activation act,
              float alpha, bool accumulate) {
  cudaStream_t s = cuda::launchOn(b);
  GRADLOOP_ACTIVATION_DISPATCH(act, launchBackward, s, x, y, dy, dx, n, alpha, accumulate)
  cuda::checkLaunch("activationBackward");
}

}  // namespace

const void* activationCudaKernels() {
  static const ActivationKernels kernels{forward, backward};
  return &kernels;
}

}  // namespace gradloop
