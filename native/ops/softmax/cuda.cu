// The softmax kernels on the GPU: one warp per row.
#include "../../cuda/kernel_utils.cuh"
#include "kernels.h"

namespace gradloop {
namespace {

using namespace cuda;

__global__ void forwardKernel(const float* x, float* y, int64_t rows, int64_t cols) {
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

__global__ void backwardKernel(const float* y, const float* dy, float* dx, int64_t rows, int64_t cols, bool accumulate) {
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

void forward(Backend& b, const float* x, float* y, int64_t rows, int64_t cols) {
  forwardKernel<<<rowBlocks(rows), kThreads, 0, launchOn(b)>>>(x, y, rows, cols);
  checkLaunch("softmax");
}

void backward(Backend& b, const float* y, const float* dy, float* dx, int64_t rows, int64_t cols, bool accumulate) {
  backwardKernel<<<rowBlocks(rows), kThreads, 0, launchOn(b)>>>(y, dy, dx, rows, cols, accumulate);
  checkLaunch("softmaxBackward");
}

}  // namespace

const void* softmaxCudaKernels() {
  static const SoftmaxKernels kernels{forward, backward};
  return &kernels;
}

}  // namespace gradloop
