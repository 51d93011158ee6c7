// The per-value rules of random translation, shared by the CPU and GPU kernels: a sample's shift
// and where an output coordinate reads from (Keras' fill modes).
#pragma once
#include "../../core/rng.h"
#include "kernels.h"

namespace gradloop::translation {

// Sample b's shift along one axis of `size`: round(f * size), f uniform in [low, high].
GRADLOOP_HOST_DEVICE inline int64_t shift(const Translation& t, int64_t b, int axis) {
  const float u = uniformAt(t.seed, t.stream, static_cast<uint64_t>(2 * b + axis));
  const float low = axis == 0 ? t.lowH : t.lowW, high = axis == 0 ? t.highH : t.highW;
  const float size = static_cast<float>(axis == 0 ? t.h : t.w);
  const float f = low + (high - low) * u;
  return static_cast<int64_t>(f * size + (f >= 0 ? 0.5f : -0.5f));
}

// The input coordinate that coordinate s (possibly outside [0, n)) reads, or -1 for the fill value.
GRADLOOP_HOST_DEVICE inline int64_t source(int64_t s, int64_t n, FillMode mode) {
  if (s >= 0 && s < n) return s;
  switch (mode) {
    case FillMode::Constant: return -1;
    case FillMode::Nearest: return s < 0 ? 0 : n - 1;
    case FillMode::Wrap: return ((s % n) + n) % n;
    case FillMode::Reflect: {  // d c b a | a b c d | d c b a
      const int64_t period = 2 * n;
      int64_t m = ((s % period) + period) % period;
      return m < n ? m : period - 1 - m;
    }
  }
  return -1;
}

}  // namespace gradloop::translation
