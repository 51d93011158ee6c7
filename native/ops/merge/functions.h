// The merge formulas, one element at a time, for the CPU and the GPU alike.
#pragma once
#include "../../core/host_device.h"
#include "kernels.h"

namespace gradloop::merge {

GRADLOOP_HOST_DEVICE inline float value(const MergeInputs& in, int64_t i, MergeMode mode) {
  float y = in.x[0][i];
  for (int j = 1; j < in.count; ++j) {
    const float v = in.x[j][i];
    switch (mode) {
      case MergeMode::Add:
      case MergeMode::Average: y += v; break;
      case MergeMode::Subtract: y -= v; break;
      case MergeMode::Multiply: y *= v; break;
      case MergeMode::Maximum: y = v > y ? v : y; break;
      case MergeMode::Minimum: y = v < y ? v : y; break;
    }
  }
  return mode == MergeMode::Average ? y / static_cast<float>(in.count) : y;
}

// d y / d x_k at element i.
GRADLOOP_HOST_DEVICE inline float derivative(const MergeInputs& in, float y, int64_t i, MergeMode mode, int k) {
  switch (mode) {
    case MergeMode::Add: return 1.0f;
    case MergeMode::Average: return 1.0f / static_cast<float>(in.count);
    case MergeMode::Subtract: return k == 0 ? 1.0f : -1.0f;
    case MergeMode::Multiply: {
      float p = 1.0f;
      for (int j = 0; j < in.count; ++j)
        if (j != k) p *= in.x[j][i];
      return p;
    }
    case MergeMode::Maximum:
    case MergeMode::Minimum:
      for (int j = 0; j < in.count; ++j)
        if (in.x[j][i] == y) return j == k ? 1.0f : 0.0f;
      return 0.0f;
  }
  return 0.0f;
}

}  // namespace gradloop::merge
