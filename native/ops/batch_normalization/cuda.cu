// The batch normalization kernels on the GPU: one block per channel for the statistics and the
// backward sums (fixed-order block reductions in double), one thread per value for the rest.
#include "../../cuda/kernel_utils.cuh"
#include "kernels.h"

namespace gradloop {
namespace {

// Value m of channel c (m over groups * inner) in the [groups, channels, inner] layout.
__device__ inline int64_t valueAt(const ChannelLayout& l, int64_t c, int64_t m) {
  return ((m / l.inner) * l.channels + c) * l.inner + m % l.inner;
}

__global__ void statisticsKernel(const float* x, ChannelLayout l, float epsilon, float momentum, float* mean,
                                 float* invStd, float* movingMean, float* movingVariance) {
  const int64_t c = blockIdx.x, n = l.count();
  double s = 0;
  for (int64_t m = threadIdx.x; m < n; m += blockDim.x) s += x[valueAt(l, c, m)];
  const double mu = cuda::blockSum(s) / static_cast<double>(n);
  double q = 0;
  for (int64_t m = threadIdx.x; m < n; m += blockDim.x) {
    const double d = x[valueAt(l, c, m)] - mu;
    q += d * d;
  }
  const double var = cuda::blockSum(q) / static_cast<double>(n);
  if (threadIdx.x == 0) {
    mean[c] = static_cast<float>(mu);
    invStd[c] = static_cast<float>(1.0 / sqrt(var + epsilon));
    movingMean[c] = momentum * movingMean[c] + (1 - momentum) * static_cast<float>(mu);
    movingVariance[c] = momentum * movingVariance[c] + (1 - momentum) * static_cast<float>(var);
  }
}

__global__ void movingKernel(const float* movingMean, const float* movingVariance, int64_t channels, float epsilon,
                             float* mean, float* invStd) {
  GRADLOOP_GRID_STRIDE(c, channels) {
    mean[c] = movingMean[c];
    invStd[c] = static_cast<float>(1.0 / sqrt(static_cast<double>(movingVariance[c]) + epsilon));
  }
}

__global__ void normalizeKernel(const float* x, float* y, int64_t n, ChannelLayout l, const float* mean,
                                const float* invStd, const float* gamma, const float* beta) {
  GRADLOOP_GRID_STRIDE(at, n) {
    const int64_t c = (at / l.inner) % l.channels;
    const float a = (gamma ? gamma[c] : 1.0f) * invStd[c];
    y[at] = x[at] * a + ((beta ? beta[c] : 0.0f) - mean[c] * a);
  }
}

// sums[c] = sum(dy), sums[C + c] = sum(dy * xhat); dGamma and dBeta from them.
__global__ void backwardSumsKernel(const float* x, const float* dy, ChannelLayout l, const float* mean,
                                   const float* invStd, float* sums, float* dGamma, float* dBeta, bool accumulate) {
  const int64_t c = blockIdx.x, n = l.count();
  double sd = 0, sdx = 0;
  for (int64_t m = threadIdx.x; m < n; m += blockDim.x) {
    const int64_t at = valueAt(l, c, m);
    sd += dy[at];
    sdx += static_cast<double>(dy[at]) * ((x[at] - mean[c]) * invStd[c]);
  }
  sd = cuda::blockSum(sd);
  sdx = cuda::blockSum(sdx);
  if (threadIdx.x == 0) {
    sums[c] = static_cast<float>(sd / static_cast<double>(n));
    sums[l.channels + c] = static_cast<float>(sdx / static_cast<double>(n));
    if (dGamma) dGamma[c] = static_cast<float>(sdx + (accumulate ? dGamma[c] : 0.0));
    if (dBeta) dBeta[c] = static_cast<float>(sd + (accumulate ? dBeta[c] : 0.0));
  }
}

__global__ void backwardInputKernel(const float* x, const float* dy, int64_t n, ChannelLayout l, const float* mean,
                                    const float* invStd, const float* gamma, const float* sums, float* dx,
                                    bool accumulate) {
  GRADLOOP_GRID_STRIDE(at, n) {
    const int64_t c = (at / l.inner) % l.channels;
    const float k = (gamma ? gamma[c] : 1.0f) * invStd[c];
    float g = dy[at];
    if (sums) g -= sums[c] + (x[at] - mean[c]) * invStd[c] * sums[l.channels + c];
    g *= k;
    dx[at] = accumulate ? dx[at] + g : g;
  }
}

void batchStatistics(Backend& b, const float* x, const ChannelLayout& l, float epsilon, float momentum, float* mean,
                     float* invStd, float* movingMean, float* movingVariance) {
  statisticsKernel<<<static_cast<unsigned>(l.channels), cuda::kThreads, 0, cuda::launchOn(b)>>>(
      x, l, epsilon, momentum, mean, invStd, movingMean, movingVariance);
  cuda::checkLaunch("batch normalization statistics");
}

void movingStatistics(Backend& b, const float* movingMean, const float* movingVariance, int64_t channels, float epsilon,
                      float* mean, float* invStd) {
  movingKernel<<<cuda::blocksFor(channels), cuda::kThreads, 0, cuda::launchOn(b)>>>(movingMean, movingVariance,
                                                                                    channels, epsilon, mean, invStd);
  cuda::checkLaunch("batch normalization moving statistics");
}

void normalize(Backend& b, const float* x, float* y, const ChannelLayout& l, const float* mean, const float* invStd,
               const float* gamma, const float* beta) {
  const int64_t n = l.groups * l.channels * l.inner;
  normalizeKernel<<<cuda::blocksFor(n), cuda::kThreads, 0, cuda::launchOn(b)>>>(x, y, n, l, mean, invStd, gamma, beta);
  cuda::checkLaunch("batch normalization");
}

void backward(Backend& b, const float* x, const float* dy, const ChannelLayout& l, const float* mean, const float* invStd,
              const float* gamma, bool batchStatistics, float* sums, float* dGamma, float* dBeta, bool accumulateParams,
              float* dx, bool accumulateInput) {
  cudaStream_t stream = cuda::launchOn(b);
  const bool needSums = dGamma || dBeta || (dx && batchStatistics);
  if (needSums) {
    backwardSumsKernel<<<static_cast<unsigned>(l.channels), cuda::kThreads, 0, stream>>>(x, dy, l, mean, invStd, sums,
                                                                                       dGamma, dBeta, accumulateParams);
    cuda::checkLaunch("batch normalization backward sums");
  }
  if (!dx) return;
  const int64_t n = l.groups * l.channels * l.inner;
  backwardInputKernel<<<cuda::blocksFor(n), cuda::kThreads, 0, stream>>>(x, dy, n, l, mean, invStd, gamma,
                                                                         batchStatistics ? sums : nullptr, dx,
                                                                         accumulateInput);
  cuda::checkLaunch("batch normalization backward");
}

}  // namespace

const void* batch_normalizationCudaKernels() {
  static const BatchNormKernels kernels{batchStatistics, movingStatistics, normalize, backward};
  return &kernels;
}

}  // namespace gradloop
