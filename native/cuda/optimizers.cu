// Fused optimizer updates on the GPU: one kernel per parameter tensor that updates the weights
// (and momentum or Adam's moments) and sums the new weights' squares per block; finishSum adds
// the partials into the program's stats slot. The same math as the CPU backend's updates.
#include <cmath>
#include <mutex>

#include "cuda_backend.h"
#include "kernel_utils.cuh"

namespace gradloop::cuda {
namespace {

double integerPower(double base, int64_t step) {
  double result = 1;
  for (; step > 0; step >>= 1, base *= base)
    if (step & 1) result *= base;
  return result;
}


__global__ void sgdKernel(float* w, const float* g, float* buf, int64_t n, float lr, float wd, float mu, bool firstStep,
                          bool nesterov, double* partial) {
  double sq = 0;
  GRADLOOP_GRID_STRIDE(i, n) {
    const float d = g[i] + wd * w[i];
    float step = d;
    if (buf) {
      const float b = firstStep ? d : mu * buf[i] + d;
      buf[i] = b;
      step = nesterov ? d + mu * b : b;
    }
    const float wi = w[i] - lr * step;
    w[i] = wi;
    sq += static_cast<double>(wi) * wi;
  }
  sq = blockSum(sq);
  if (threadIdx.x == 0) partial[blockIdx.x] = sq;
}

__global__ void adamKernel(float* w, const float* g, float* m, float* v, int64_t n, float stepSize, float invSqrtBc2, float b1,
                           float b2, float eps, float l2, float shrink, double* partial) {
  double sq = 0;
  GRADLOOP_GRID_STRIDE(i, n) {
    const float wi = w[i] * shrink;
    const float gi = g[i] + l2 * w[i];
    const float mi = b1 * m[i] + (1.0f - b1) * gi;
    const float vi = b2 * v[i] + (1.0f - b2) * gi * gi;
    m[i] = mi;
    v[i] = vi;
    const float wn = wi - stepSize * mi / (sqrtf(vi) * invSqrtBc2 + eps);
    w[i] = wn;
    sq += static_cast<double>(wn) * wn;
  }
  sq = blockSum(sq);
  if (threadIdx.x == 0) partial[blockIdx.x] = sq;
}

template <OptimizerRule R>
__global__ void ruleKernel(float* w, const float* g, float* s0, float* s1, float* s2, int64_t n, RuleScalars c, double* partial) {
  double sq = 0;
  GRADLOOP_GRID_STRIDE(i, n) {
    const float wi = rules::update<R>(w[i], g[i], s0 + i, s1 + i, s2 + i, c);
    w[i] = wi;
    sq += static_cast<double>(wi) * wi;
  }
  sq = blockSum(sq);
  if (threadIdx.x == 0) partial[blockIdx.x] = sq;
}

}  // namespace

void CudaBackend::ruleUpdate(OptimizerRule rule, float* w, const float* g, float* const* slots, int64_t n, const RuleScalars& c,
                             double* weightSquares) {
  std::lock_guard<std::mutex> lock(mutex_);  // scratch, row slots and the cuBLAS handle are shared
  activate();
  float* s[3] = {slots[0], slots[1] ? slots[1] : slots[0], slots[2] ? slots[2] : slots[0]};  // unused slots are never touched
  double* partial = static_cast<double*>(scratch(kMaxBlocks * sizeof(double)));
  const int blocks = reduceBlocks(n);
  withRule(rule, [&](auto r) {
    ruleKernel<decltype(r)::value><<<blocks, kThreads, 0, asStream(stream_)>>>(w, g, s[0], s[1], s[2], n, c, partial);
  });
  checkLaunch("optimizer rule");
  finishSum(blocks, weightSquares);
}

void CudaBackend::sgdUpdate(float* w, const float* g, float* momentumBuf, int64_t n, float lr, const SgdConfig& cfg,
                            bool firstStep, double* weightSquares) {
  std::lock_guard<std::mutex> lock(mutex_);  // scratch, row slots and the cuBLAS handle are shared
  activate();
  double* partial = static_cast<double*>(scratch(kMaxBlocks * sizeof(double)));
  const int blocks = reduceBlocks(n);
  sgdKernel<<<blocks, kThreads, 0, asStream(stream_)>>>(w, g, momentumBuf, n, lr, cfg.weightDecay, cfg.momentum, firstStep,
                                                         cfg.nesterov, partial);
  checkLaunch("sgd");
  finishSum(blocks, weightSquares);
}

void CudaBackend::adamUpdate(float* w, const float* g, float* m, float* v, int64_t n, float lr, const AdamConfig& cfg,
                             int64_t step, double* weightSquares) {
  std::lock_guard<std::mutex> lock(mutex_);  // scratch, row slots and the cuBLAS handle are shared
  activate();
  const float stepSize = lr / static_cast<float>(1.0 - integerPower(cfg.beta1, step));
  const float invSqrtBc2 = 1.0f / static_cast<float>(std::sqrt(1.0 - integerPower(cfg.beta2, step)));
  const float l2 = cfg.decoupled ? 0.0f : cfg.weightDecay;
  const float shrink = cfg.decoupled ? 1.0f - lr * cfg.weightDecay : 1.0f;
  double* partial = static_cast<double*>(scratch(kMaxBlocks * sizeof(double)));
  const int blocks = reduceBlocks(n);
  adamKernel<<<blocks, kThreads, 0, asStream(stream_)>>>(w, g, m, v, n, stepSize, invSqrtBc2, cfg.beta1, cfg.beta2,
                                                          cfg.epsilon, l2, shrink, partial);
  checkLaunch("adam");
  finishSum(blocks, weightSquares);
}

}  // namespace gradloop::cuda
