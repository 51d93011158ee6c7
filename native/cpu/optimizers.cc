// Fused optimizer updates on the CPU, one pass over a parameter tensor,
// following torch.optim.SGD / Adam / AdamW term by term.
#include <cmath>

#include "cpu_backend.h"

namespace gradloop {

// d = g + wd w; buf = first ? d : momentum buf + d; d = nesterov ? d + momentum buf : buf; w -= lr d.
void CpuBackend::sgdUpdate(float* w, const float* g, float* buf, int64_t n, float lr, const SgdConfig& cfg,
                           bool firstStep) {
  const float wd = cfg.weightDecay, mu = cfg.momentum;
  if (!buf) {
    for (int64_t i = 0; i < n; ++i) w[i] -= lr * (g[i] + wd * w[i]);
    return;
  }
  for (int64_t i = 0; i < n; ++i) {
    float d = g[i] + wd * w[i];
    float b = firstStep ? d : mu * buf[i] + d;
    buf[i] = b;
    w[i] -= lr * (cfg.nesterov ? d + mu * b : b);
  }
}

// Adam: g += wd w (L2, coupled). AdamW: w *= 1 - lr wd (decoupled). Then
// m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
// w -= (lr / (1 - b1^t)) m / (sqrt(v) / sqrt(1 - b2^t) + eps).
void CpuBackend::adamUpdate(float* w, const float* g, float* m, float* v, int64_t n, float lr, const AdamConfig& cfg,
                            int64_t step) {
  const float b1 = cfg.beta1, b2 = cfg.beta2, eps = cfg.epsilon;
  const float stepSize = lr / static_cast<float>(1.0 - std::pow(static_cast<double>(b1), static_cast<double>(step)));
  const float invSqrtBc2 =
      1.0f / static_cast<float>(std::sqrt(1.0 - std::pow(static_cast<double>(b2), static_cast<double>(step))));
  const float l2 = cfg.decoupled ? 0.0f : cfg.weightDecay;
  const float shrink = cfg.decoupled ? 1.0f - lr * cfg.weightDecay : 1.0f;
  for (int64_t i = 0; i < n; ++i) {
    float wi = w[i] * shrink;
    float gi = g[i] + l2 * w[i];
    float mi = b1 * m[i] + (1.0f - b1) * gi;
    float vi = b2 * v[i] + (1.0f - b2) * gi * gi;
    m[i] = mi;
    v[i] = vi;
    w[i] = wi - stepSize * mi / (std::sqrt(vi) * invSqrtBc2 + eps);
  }
}

}  // namespace gradloop
