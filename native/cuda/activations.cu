// Elementwise activations (with the dense layer's bias fused in), softmax and dropout on the GPU;
// each forward next to its backward. The formulas are core/activation_math.h and core/rng.h, the
// CPU backend's own, so both compute the same functions.
#include "../core/activation_math.h"
#include "../core/rng.h"
#include "cuda_backend.h"
#include "kernel_utils.cuh"

namespace gradloop::cuda {
namespace {

using activation::apply;
using activation::derivative;

template <Activation A>
__global__ void biasActivationKernel(float* y, float* preact, const float* bias, int64_t rows, int64_t cols, float alpha) {
  GRADLOOP_GRID_STRIDE(i, rows * cols) {
    const float z = bias ? y[i] + bias[i % cols] : y[i];
    if (preact) preact[i] = z;
    y[i] = apply<A>(z, alpha);
  }
}
template <Activation A>
__global__ void activationKernel(const float* x, float* y, int64_t n, float alpha) {
  GRADLOOP_GRID_STRIDE(i, n) y[i] = apply<A>(x[i], alpha);
}
template <Activation A>
__global__ void activationBackwardKernel(const float* x, const float* y, const float* dy, float* dx, int64_t n, float alpha,
                                         bool accumulate) {
  GRADLOOP_GRID_STRIDE(i, n) {
    const float g = dy[i] * derivative<A>(x ? x[i] : 0.0f, y ? y[i] : 0.0f, alpha);
    dx[i] = accumulate ? dx[i] + g : g;
  }
}

#define GRADLOOP_CUDA_DISPATCH(act, kernel, grid, ...)                                                      \
  switch (act) {                                                                                            \
    case Activation::Linear: kernel<Activation::Linear><<<grid, kThreads, 0, s>>>(__VA_ARGS__); break;       \
    case Activation::Relu: kernel<Activation::Relu><<<grid, kThreads, 0, s>>>(__VA_ARGS__); break;           \
    case Activation::LeakyRelu: kernel<Activation::LeakyRelu><<<grid, kThreads, 0, s>>>(__VA_ARGS__); break; \
    case Activation::Sigmoid: kernel<Activation::Sigmoid><<<grid, kThreads, 0, s>>>(__VA_ARGS__); break;     \
    case Activation::Tanh: kernel<Activation::Tanh><<<grid, kThreads, 0, s>>>(__VA_ARGS__); break;           \
    case Activation::Gelu: kernel<Activation::Gelu><<<grid, kThreads, 0, s>>>(__VA_ARGS__); break;           \
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

// ---- softmax: one warp per row ----

__global__ void softmaxKernel(const float* x, float* y, int64_t rows, int64_t cols) {
  const int64_t r = warpRow();
  const int lane = laneIndex();
  if (r >= rows) return;
  const float* in = x + r * cols;
  float* out = y + r * cols;
  float mx = -INFINITY;
  for (int64_t c = lane; c < cols; c += 32) mx = fmaxf(mx, in[c]);
  mx = warpMax(mx);
  float sum = 0;
  for (int64_t c = lane; c < cols; c += 32) sum += (out[c] = expf(in[c] - mx));
  const float inv = 1.0f / warpSum(sum);
  for (int64_t c = lane; c < cols; c += 32) out[c] *= inv;
}

__global__ void softmaxBackwardKernel(const float* y, const float* dy, float* dx, int64_t rows, int64_t cols, bool accumulate) {
  const int64_t r = warpRow();
  const int lane = laneIndex();
  if (r >= rows) return;
  const float *yr = y + r * cols, *dyr = dy + r * cols;
  float* dxr = dx + r * cols;
  float dot = 0;
  for (int64_t c = lane; c < cols; c += 32) dot += dyr[c] * yr[c];
  dot = warpSum(dot);
  for (int64_t c = lane; c < cols; c += 32) {
    const float g = yr[c] * (dyr[c] - dot);
    dxr[c] = accumulate ? dxr[c] + g : g;
  }
}

// ---- dropout: the CPU's counter-based stream, so masks are identical on both backends ----

__global__ void dropoutKernel(const float* x, float* y, int64_t n, float rate, uint64_t seed, uint64_t stream, bool accumulate) {
  const float scale = 1.0f / (1.0f - rate);
  GRADLOOP_GRID_STRIDE(i, n) {
    const float g = uniformAt(seed, stream, static_cast<uint64_t>(i)) >= rate ? x[i] * scale : 0.0f;
    y[i] = accumulate ? y[i] + g : g;
  }
}

}  // namespace

void CudaBackend::biasActivationForward(float* y, float* preact, const float* bias, int64_t rows, int64_t cols,
                                        Activation act, float alpha) {
  activate();
  cudaStream_t s = asStream(stream_);
  GRADLOOP_CUDA_DISPATCH(act, biasActivationKernel, blocksFor(rows * cols), y, preact, bias, rows, cols, alpha)
  checkLaunch("biasActivation");
}

void CudaBackend::biasBackward(const float* dy, float* dbias, int64_t rows, int64_t cols, bool accumulate) {
  activate();
  biasBackwardKernel<<<static_cast<unsigned>((cols + 31) / 32), dim3(32, 8), 0, asStream(stream_)>>>(dy, dbias, rows, cols,
                                                                                                     accumulate);
  checkLaunch("biasBackward");
}

void CudaBackend::activationForward(const float* x, float* y, int64_t n, Activation act, float alpha) {
  activate();
  cudaStream_t s = asStream(stream_);
  GRADLOOP_CUDA_DISPATCH(act, activationKernel, blocksFor(n), x, y, n, alpha)
  checkLaunch("activation");
}

void CudaBackend::activationBackward(const float* x, const float* y, const float* dy, float* dx, int64_t n, Activation act,
                                     float alpha, bool accumulate) {
  activate();
  cudaStream_t s = asStream(stream_);
  GRADLOOP_CUDA_DISPATCH(act, activationBackwardKernel, blocksFor(n), x, y, dy, dx, n, alpha, accumulate)
  checkLaunch("activationBackward");
}

void CudaBackend::softmaxForward(const float* x, float* y, int64_t rows, int64_t cols) {
  activate();
  softmaxKernel<<<rowBlocks(rows), kThreads, 0, asStream(stream_)>>>(x, y, rows, cols);
  checkLaunch("softmax");
}

void CudaBackend::softmaxBackward(const float* y, const float* dy, float* dx, int64_t rows, int64_t cols, bool accumulate) {
  activate();
  softmaxBackwardKernel<<<rowBlocks(rows), kThreads, 0, asStream(stream_)>>>(y, dy, dx, rows, cols, accumulate);
  checkLaunch("softmaxBackward");
}

void CudaBackend::dropoutForward(const float* x, float* y, int64_t n, float rate, uint64_t seed, uint64_t stream) {
  activate();
  dropoutKernel<<<blocksFor(n), kThreads, 0, asStream(stream_)>>>(x, y, n, rate, seed, stream, false);
  checkLaunch("dropout");
}

void CudaBackend::dropoutBackward(const float* dy, float* dx, int64_t n, float rate, uint64_t seed, uint64_t stream,
                                  bool accumulate) {
  activate();
  dropoutKernel<<<blocksFor(n), kThreads, 0, asStream(stream_)>>>(dy, dx, n, rate, seed, stream, accumulate);
  checkLaunch("dropoutBackward");
}

}  // namespace gradloop::cuda
