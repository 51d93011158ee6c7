// Losses on the GPU: per-row terms (one warp per row) into scratch, then one fixed-order sum into
// the program's stats slots; the same formulas as the CPU backend's losses.
#include <mutex>

#include "cuda_backend.h"
#include "kernel_utils.cuh"

namespace gradloop::cuda {
namespace {

__global__ void softmaxCrossEntropyKernel(const float* logits, const int32_t* labels, float* dlogits, int64_t rows,
                                          int64_t classes, float scale_, double* loss, int* hits, int32_t ignoreIndex, float smoothing,
                                          const float* weights, int64_t rowsPerWeight) {
  const int64_t r = warpRow();
  const int lane = laneIndex();
  if (r >= rows) return;
  const float* z = logits + r * classes;
  float* dz = dlogits + r * classes;
  if (labels[r] == ignoreIndex) {  // a padding label: nothing
    for (int64_t c = lane; c < classes; c += 32) dz[c] = 0.0f;
    if (lane == 0) loss[r] = 0, hits[r] = 0;
    return;
  }
  const float w = weights ? weights[r / rowsPerWeight] : 1.0f, scale = scale_ * w;
  // Per lane: the first maximum among its columns; then across lanes (lowest index wins ties).
  float mx = -INFINITY;
  int64_t best = classes;
  for (int64_t c = lane; c < classes; c += 32)
    if (z[c] > mx) mx = z[c], best = c;
  warpArgMax(mx, best);
  float sum = 0;
  for (int64_t c = lane; c < classes; c += 32) sum += (dz[c] = expf(z[c] - mx));
  sum = warpSum(sum);
  const int32_t label = labels[r];
  const float inv = scale / sum, uniform = smoothing / static_cast<float>(classes) * scale;
  float zSum = 0;
  for (int64_t c = lane; c < classes; c += 32) {
    zSum += z[c];
    dz[c] = dz[c] * inv - uniform - (c == label ? (1.0f - smoothing) * scale : 0.0f);
  }
  zSum = warpSum(zSum);
  if (lane == 0) {
    loss[r] = static_cast<double>(logf(sum) + mx - (1.0f - smoothing) * z[label] - smoothing * zSum / static_cast<float>(classes)) * w;
    hits[r] = best == label;
  }
}

__global__ void binaryCrossEntropyKernel(const float* logits, const float* target, float* dlogits, int64_t n, float scale,
                                         double* loss, int* hits, float smoothing, const float* weights, int64_t cols) {
  GRADLOOP_GRID_STRIDE(i, n) {
    const float z = logits[i], t = target[i] * (1.0f - smoothing) + 0.5f * smoothing;
    const float w = weights ? weights[i / cols] : 1.0f;
    const float e = expf(-fabsf(z));
    loss[i] = static_cast<double>((z > 0 ? z : 0.0f) - z * t + log1pf(e)) * w;
    const float s = z >= 0 ? 1.0f / (1.0f + e) : e / (1.0f + e);
    dlogits[i] = (s - t) * scale * w;
    hits[i] = (z > 0) == (target[i] > 0.5f);
  }
}


// The losses of loss_rules.h: one warp per row, as the CPU's formulas.
template <LossRule R>
__global__ void ruleLossKernel(float param, const float* pred, const float* target, float* dpred, int64_t rows, int64_t cols, float scale_,
                               double* loss, int* hits, const float* weights, int64_t rowsPerWeight) {
  const int64_t r = warpRow();
  const int lane = laneIndex();
  if (r >= rows) return;
  const float w = weights ? weights[r / rowsPerWeight] : 1.0f, scale = scale_ * w;
  const float *p = pred + r * cols, *t = target + r * cols;
  float* dp = dpred + r * cols;
  float pMax = -INFINITY, tMax = -INFINITY;
  int64_t pBest = cols, tBest = cols;
  for (int64_t c = lane; c < cols; c += 32) {
    if (p[c] > pMax) pMax = p[c], pBest = c;
    if (t[c] > tMax) tMax = t[c], tBest = c;
  }
  warpArgMax(pMax, pBest);
  warpArgMax(tMax, tBest);
  float rowSum = 0;
  if constexpr (R == LossRule::CategoricalCrossEntropy) {
    const float keep = 1.0f - param, spread = param / static_cast<float>(cols);
    float sum = 0, tSum = 0, tz = 0;
    for (int64_t c = lane; c < cols; c += 32) {
      const float tc = t[c] * keep + spread;
      sum += (dp[c] = expf(p[c] - pMax)), tSum += tc, tz += tc * p[c];
    }
    sum = warpSum(sum), tSum = warpSum(tSum), tz = warpSum(tz);
    rowSum = (logf(sum) + pMax) * tSum - tz;
    for (int64_t c = lane; c < cols; c += 32) dp[c] = (dp[c] / sum * tSum - (t[c] * keep + spread)) * scale;
  } else if constexpr (R == LossRule::CosineSimilarity) {
    float pp = 0, tt = 0, pt = 0;
    for (int64_t c = lane; c < cols; c += 32) pp += p[c] * p[c], tt += t[c] * t[c], pt += p[c] * t[c];
    pp = warpSum(pp), tt = warpSum(tt), pt = warpSum(pt);
    const float pn = sqrtf(fmaxf(pp, 1e-12f)), tn = sqrtf(fmaxf(tt, 1e-12f)), cosine = pt / (pn * tn);
    rowSum = -cosine;
    const bool clipped = pp < 1e-12f;
    for (int64_t c = lane; c < cols; c += 32) dp[c] = -(t[c] / tn - (clipped ? 0.0f : cosine * p[c] / pn)) / pn * scale;
  } else {
    for (int64_t c = lane; c < cols; c += 32) {
      rowSum += lossrules::value<R>(p[c], t[c], param);
      dp[c] = lossrules::derivative<R>(p[c], t[c], param) * scale;
    }
    rowSum = warpSum(rowSum);
  }
  if (lane == 0) {
    loss[r] = static_cast<double>(rowSum) * w;
    hits[r] = cols == 1 ? ((p[0] > 0.5f) == (t[0] > 0.5f)) : (pBest == tBest);
  }
}

// Per-row losses and hits -> the program's device scalars (a double sum and an int64 count).
__global__ void sumLossTerms(const double* loss, const int* hits, int64_t n, double* lossSum, int64_t* correct) {
  double s = 0;
  long long h = 0;
  for (int64_t i = threadIdx.x; i < n; i += blockDim.x) s += loss[i], h += hits[i];
  s = blockSum(s);
  h = blockSum(h);
  if (threadIdx.x == 0) *lossSum = s, *correct = h;
}

__global__ void countNotEqualKernel(const int32_t* values, int64_t n, int32_t value, long long* out) {
  long long count = 0;
  for (int64_t i = threadIdx.x; i < n; i += blockDim.x) count += values[i] != value;
  count = blockSum(count);
  if (threadIdx.x == 0) *out = count;
}

}  // namespace

void CudaBackend::reduceLoss(int64_t terms, double* lossSum, int64_t* correct) {
  const double* loss = static_cast<const double*>(scratch_);
  const int* hits = reinterpret_cast<const int*>(loss + terms);
  sumLossTerms<<<1, kThreads, 0, asStream(stream_)>>>(loss, hits, terms, lossSum, correct);
  checkLaunch("loss sum");
}

void CudaBackend::softmaxCrossEntropy(const float* logits, const int32_t* labels, float* dlogits, int64_t rows,
                                      int64_t classes, float scale, double* lossSum, int64_t* correct, int32_t ignoreIndex, float smoothing,
                                      const float* weights, int64_t rowsPerWeight) {
  std::lock_guard<std::mutex> lock(mutex_);  // scratch, row slots and the cuBLAS handle are shared
  activate();
  double* loss = static_cast<double*>(scratch(static_cast<size_t>(rows) * (sizeof(double) + sizeof(int))));
  softmaxCrossEntropyKernel<<<rowBlocks(rows), kThreads, 0, asStream(stream_)>>>(
      logits, labels, dlogits, rows, classes, scale, loss, reinterpret_cast<int*>(loss + rows), ignoreIndex, smoothing, weights, rowsPerWeight);
  checkLaunch("softmaxCrossEntropy");
  reduceLoss(rows, lossSum, correct);
}

void CudaBackend::binaryCrossEntropy(const float* logits, const float* target, float* dlogits, int64_t rows, int64_t cols,
                                     float scale, double* lossSum, int64_t* correct, float smoothing, const float* weights) {
  std::lock_guard<std::mutex> lock(mutex_);  // scratch, row slots and the cuBLAS handle are shared
  activate();
  const int64_t n = rows * cols;
  double* loss = static_cast<double*>(scratch(static_cast<size_t>(n) * (sizeof(double) + sizeof(int))));
  binaryCrossEntropyKernel<<<blocksFor(n), kThreads, 0, asStream(stream_)>>>(logits, target, dlogits, n, scale, loss,
                                                                          reinterpret_cast<int*>(loss + n), smoothing, weights, cols);
  checkLaunch("binaryCrossEntropy");
  reduceLoss(n, lossSum, correct);
}

void CudaBackend::ruleLoss(LossRule rule, float param, const float* pred, const float* target, float* dpred, int64_t rows, int64_t cols,
                           float scale, double* lossSum, int64_t* correct, const float* weights, int64_t rowsPerWeight) {
  std::lock_guard<std::mutex> lock(mutex_);  // scratch, row slots and the cuBLAS handle are shared
  activate();
  double* loss = static_cast<double*>(scratch(static_cast<size_t>(rows) * (sizeof(double) + sizeof(int))));
  int* hits = reinterpret_cast<int*>(loss + rows);
  auto launch = [&](auto k) {
    ruleLossKernel<decltype(k)::value><<<rowBlocks(rows), kThreads, 0, asStream(stream_)>>>(param, pred, target, dpred, rows, cols, scale, loss, hits,
                                                                                          weights, rowsPerWeight);
  };
  if (rule == LossRule::CategoricalCrossEntropy) launch(std::integral_constant<LossRule, LossRule::CategoricalCrossEntropy>{});
  else if (rule == LossRule::CosineSimilarity) launch(std::integral_constant<LossRule, LossRule::CosineSimilarity>{});
  else withLossRule(rule, launch);
  checkLaunch("loss");
  reduceLoss(rows, lossSum, correct);
}

int64_t CudaBackend::countNotEqual(const int32_t* values, int64_t n, int32_t value) {
  std::lock_guard<std::mutex> lock(mutex_);  // scratch, row slots and the cuBLAS handle are shared
  activate();
  long long* out = static_cast<long long*>(scratch(sizeof(long long)));
  countNotEqualKernel<<<1, kThreads, 0, asStream(stream_)>>>(values, n, value, out);
  checkLaunch("countNotEqual");
  long long host = 0;
  check(cudaMemcpyAsync(&host, out, sizeof(host), cudaMemcpyDeviceToHost, asStream(stream_)), "reading a label count");
  check(cudaStreamSynchronize(asStream(stream_)), "reading a label count");
  return static_cast<int64_t>(host);
}

}  // namespace gradloop::cuda
