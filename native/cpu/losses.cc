// Losses on the CPU: each computes the summed loss, the gradient of the mean
// (scale = 1 / number of terms) and the count of correct predictions in one pass.
#include <algorithm>
#include <cmath>
#include <string>

#include "../core/tensor.h"
#include "cpu_backend.h"

namespace gradloop {

namespace {
int64_t argmax(const float* x, int64_t n) {
  int64_t best = 0;
  for (int64_t i = 1; i < n; ++i)
    if (x[i] > x[best]) best = i;
  return best;
}
}  // namespace

// loss_r = logsumexp(z_r) - z_r[label]; dz = (softmax(z) - onehot(label)) * scale. With label
// smoothing e: loss_r = logsumexp(z_r) - (1 - e) z_r[label] - e mean(z_r); dz = (softmax(z) -
// (1 - e) onehot(label) - e / classes) * scale.
void CpuBackend::softmaxCrossEntropy(const float* logits, const int32_t* labels, float* dlogits, int64_t rows,
                                     int64_t classes, float scale_, double* lossSum, int64_t* correct, int32_t ignoreIndex,
                                     float smoothing, const float* weights, int64_t rowsPerWeight) {
  double total = 0;
  int64_t hits = 0;
  for (int64_t r = 0; r < rows; ++r) {
    const float* z = logits + r * classes;
    float* dz = dlogits + r * classes;
    const int32_t label = labels[r];
    if (label == ignoreIndex) {
      std::fill(dz, dz + classes, 0.0f);
      continue;
    }
    if (label < 0 || label >= classes)
      throw RangeError("label " + std::to_string(label) + " is outside [0, " + std::to_string(classes) + ")");
    const float w = weights ? weights[r / rowsPerWeight] : 1.0f, scale = scale_ * w;
    const int64_t best = argmax(z, classes);
    const float mx = z[best];
    float sum = 0;
    for (int64_t c = 0; c < classes; ++c) sum += (dz[c] = std::exp(z[c] - mx));
    const float logSum = std::log(sum);
    const float inv = scale / sum;
    if (smoothing == 0) {
      total += static_cast<double>(logSum + mx - z[label]) * w;
      for (int64_t c = 0; c < classes; ++c) dz[c] *= inv;
      dz[label] -= scale;
    } else {
      float zSum = 0;
      for (int64_t c = 0; c < classes; ++c) zSum += z[c];
      total += static_cast<double>(logSum + mx - (1.0f - smoothing) * z[label] - smoothing * zSum / static_cast<float>(classes)) * w;
      const float uniform = smoothing / static_cast<float>(classes) * scale;
      for (int64_t c = 0; c < classes; ++c) dz[c] = dz[c] * inv - uniform;
      dz[label] -= (1.0f - smoothing) * scale;
    }
    hits += best == label;
  }
  *lossSum = total;
  *correct = hits;
}

int64_t CpuBackend::countNotEqual(const int32_t* values, int64_t n, int32_t value) {
  int64_t count = 0;
  for (int64_t i = 0; i < n; ++i) count += values[i] != value;
  return count;
}

// Sigmoid cross-entropy from logits z, in the stable form max(z, 0) - z t + log(1 + exp(-|z|));
// dz = (sigmoid(z) - t) * scale. Accuracy per element: (z > 0) == (t > 0.5).
void CpuBackend::binaryCrossEntropy(const float* logits, const float* target, float* dlogits, int64_t rows,
                                    int64_t cols, float scale, double* lossSum, int64_t* correct, float smoothing, const float* weights) {
  double total = 0;
  int64_t hits = 0;
  const int64_t n = rows * cols;
  for (int64_t i = 0; i < n; ++i) {
    const float z = logits[i], t = smoothing == 0 ? target[i] : target[i] * (1.0f - smoothing) + 0.5f * smoothing;
    const float w = weights ? weights[i / cols] : 1.0f;
    const float e = std::exp(-std::fabs(z));
    total += static_cast<double>((z > 0 ? z : 0.0f) - z * t + std::log1p(e)) * w;
    const float s = z >= 0 ? 1.0f / (1.0f + e) : e / (1.0f + e);
    dlogits[i] = (s - t) * scale * w;
    hits += (z > 0) == (target[i] > 0.5f);
  }
  *lossSum = total;
  *correct = hits;
}

// The losses of loss_rules.h, row by row.
void CpuBackend::ruleLoss(LossRule rule, float param, const float* pred, const float* target, float* dpred, int64_t rows, int64_t cols,
                          float scale_, double* lossSum, int64_t* correct, const float* weights, int64_t rowsPerWeight) {
  double total = 0;
  int64_t hits = 0;
  for (int64_t r = 0; r < rows; ++r) {
    const float w = weights ? weights[r / rowsPerWeight] : 1.0f, scale = scale_ * w;
    const float* p = pred + r * cols;
    const float* t = target + r * cols;
    float* dp = dpred + r * cols;
    float rowSum = 0;
    if (rule == LossRule::CategoricalCrossEntropy) {
      // z = p (logits), targets smoothed to t (1 - e) + e / cols: loss = logsumexp(z) sum(t) - t . z;
      // dz = softmax(z) sum(t) - t.
      const float mx = p[argmax(p, cols)], keep = 1.0f - param, spread = param / static_cast<float>(cols);
      float sum = 0, tSum = 0, tz = 0;
      for (int64_t c = 0; c < cols; ++c) {
        const float tc = t[c] * keep + spread;
        sum += (dp[c] = std::exp(p[c] - mx)), tSum += tc, tz += tc * p[c];
      }
      rowSum = (std::log(sum) + mx) * tSum - tz;
      for (int64_t c = 0; c < cols; ++c) dp[c] = (dp[c] / sum * tSum - (t[c] * keep + spread)) * scale;
    } else if (rule == LossRule::CosineSimilarity) {
      // loss = -(t / |t|) . (p / |p|), norms at least 1e-6 (Keras' l2_normalize);
      // dp = -(t^ - (t^ . p^) p^) / |p|.
      float pp = 0, tt = 0, pt = 0;
      for (int64_t c = 0; c < cols; ++c) pp += p[c] * p[c], tt += t[c] * t[c], pt += p[c] * t[c];
      const float pn = std::sqrt(std::max(pp, 1e-12f)), tn = std::sqrt(std::max(tt, 1e-12f)), cosine = pt / (pn * tn);
      rowSum = -cosine;
      const bool clipped = pp < 1e-12f;  // p / 1e-6: the normalisation is a constant scale there
      for (int64_t c = 0; c < cols; ++c) dp[c] = -(t[c] / tn - (clipped ? 0.0f : cosine * p[c] / pn)) / pn * scale;
    } else {
      withLossRule(rule, [&](auto k) {
        constexpr LossRule R = decltype(k)::value;
        for (int64_t c = 0; c < cols; ++c) {
          rowSum += lossrules::value<R>(p[c], t[c], param);
          dp[c] = lossrules::derivative<R>(p[c], t[c], param) * scale;
        }
      });
    }
    total += static_cast<double>(rowSum) * w;
    hits += cols == 1 ? ((p[0] > 0.5f) == (t[0] > 0.5f)) : (argmax(p, cols) == argmax(t, cols));
  }
  *lossSum = total;
  *correct = hits;
}

}  // namespace gradloop
