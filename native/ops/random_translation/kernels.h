// The random translation op's kernels: each sample of a training batch moved by whole pixels,
// (dy, dx) drawn per sample from the counter-based RNG, so every backend draws the same shifts.
#pragma once
#include <cstdint>

#include "../../core/backend.h"
#include "../../core/host_device.h"

namespace gradloop {

enum class FillMode : int { Constant = 0, Reflect = 1, Wrap = 2, Nearest = 3 };

struct Translation {
  int64_t h, w, c;                 // sample [h, w, c]
  float lowH, highH, lowW, highW;  // shift range as fractions of the size (Keras' factors)
  FillMode fill;
  float fillValue;
  uint64_t seed, stream;
};

struct RandomTranslationKernels {
  static constexpr OpId kOp = OpId::random_translation;
  // y[b, i, j, ch] = x[b, source(i - dy), source(j - dx), ch] (or fillValue outside, 'constant').
  void (*forward)(Backend& b, const float* x, float* y, int64_t batch, const Translation& t);
  // dx (+)= the sum of dy over every output that read each input element, in a fixed order.
  void (*backward)(Backend& b, const float* dy, float* dx, int64_t batch, const Translation& t, bool accumulate);
};

}  // namespace gradloop
