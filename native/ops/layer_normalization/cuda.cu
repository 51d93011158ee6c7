// The layer normalization kernels on the GPU: one warp per row for the statistics and the input
// gradient; one block per column for gamma's and beta's gradients (a fixed-order block sum).
#include "../../cuda/kernel_utils.cuh"
#include "kernels.h"

namespace gradloop {
namespace {

using namespace cuda;

__global__ void forwardKernel(const float* x, float* y, int64_t rows, int64_t cols, float epsilon, const float* gamma,
                              const float* beta, float* mean, float* invStd) {
  const int64_t r = warpRow();
  const int lane = laneIndex();
  if (r >= rows) return;
  const float* xr = x + r * cols;
  float* yr = y + r * cols;
  float s = 0;
  for (int64_t c = lane; c < cols; c += 32) s += xr[c];
  const float mu = warpSum(s) / static_cast<float>(cols);
  float q = 0;
  for (int64_t c = lane; c < cols; c += 32) q += (xr[c] - mu) * (xr[c] - mu);
  const float inv = rsqrtf(warpSum(q) / static_cast<float>(cols) + epsilon);
  if (lane == 0) mean[r] = mu, invStd[r] = inv;
  for (int64_t c = lane; c < cols; c += 32) yr[c] = (xr[c] - mu) * inv * (gamma ? gamma[c] : 1.0f) + (beta ? beta[c] : 0.0f);
}

__global__ void inputGradientKernel(const float* x, const float* dy, int64_t rows, int64_t cols, const float* gamma,
                                    const float* mean, const float* invStd, float* dx, bool accumulate) {
  const int64_t r = warpRow();
  const int lane = laneIndex();
  if (r >= rows) return;
  const float *xr = x + r * cols, *dyr = dy + r * cols;
  const float mu = mean[r], inv = invStd[r];
  float sg = 0, sgx = 0;
  for (int64_t c = lane; c < cols; c += 32) {
    const float g = dyr[c] * (gamma ? gamma[c] : 1.0f);
    sg += g;
    sgx += g * ((xr[c] - mu) * inv);
  }
  const float meanG = warpSum(sg) / static_cast<float>(cols), meanGx = warpSum(sgx) / static_cast<float>(cols);
  float* dxr = dx + r * cols;
  for (int64_t c = lane; c < cols; c += 32) {
    const float v = inv * (dyr[c] * (gamma ? gamma[c] : 1.0f) - meanG - (xr[c] - mu) * inv * meanGx);
    dxr[c] = accumulate ? dxr[c] + v : v;
  }
}

__global__ void paramGradientKernel(const float* x, const float* dy, int64_t rows, int64_t cols, const float* mean,
                                    const float* invStd, float* dGamma, float* dBeta, bool accumulate) {
  const int64_t c = blockIdx.x;
  double sg = 0, sb = 0;
  for (int64_t r = threadIdx.x; r < rows; r += blockDim.x) {
    const float g = dy[r * cols + c];
    sg += static_cast<double>(g) * ((x[r * cols + c] - mean[r]) * invStd[r]);
    sb += g;
  }
  sg = blockSum(sg);
  sb = blockSum(sb);
  if (threadIdx.x == 0) {
    if (dGamma) dGamma[c] = static_cast<float>(sg + (accumulate ? dGamma[c] : 0.0));
    if (dBeta) dBeta[c] = static_cast<float>(sb + (accumulate ? dBeta[c] : 0.0));
  }
}

void forward(Backend& b, const float* x, float* y, int64_t rows, int64_t cols, float epsilon, const float* gamma,
             const float* beta, float* mean, float* invStd) {
  forwardKernel<<<rowBlocks(rows), kThreads, 0, launchOn(b)>>>(x, y, rows, cols, epsilon, gamma, beta, mean, invStd);
  checkLaunch("layer normalization");
}

void backward(Backend& b, const float* x, const float* dy, int64_t rows, int64_t cols, const float* gamma, const float* mean,
              const float* invStd, float* dx, bool accumulateInput, float* dGamma, float* dBeta, bool accumulateParams) {
  cudaStream_t stream = launchOn(b);
  if (dGamma || dBeta) {
    paramGradientKernel<<<static_cast<unsigned>(cols), kThreads, 0, stream>>>(x, dy, rows, cols, mean, invStd, dGamma, dBeta,
                                                                              accumulateParams);
    checkLaunch("layer normalization parameter gradients");
  }
  if (dx) {
    inputGradientKernel<<<rowBlocks(rows), kThreads, 0, stream>>>(x, dy, rows, cols, gamma, mean, invStd, dx, accumulateInput);
    checkLaunch("layer normalization backward");
  }
}

}  // namespace

const void* layer_normalizationCudaKernels() {
  static const LayerNormKernels kernels{forward, backward};
  return &kernels;
}

}  // namespace gradloop
