// The recurrent op's own kernels: one time step of a cell over the batch (the cells' arithmetic,
// cells.h), and the row scaling that applies a dropout mask held constant over time. The
// products (the input projection for all steps at once, the recurrent one per step) are the
// backend's gemm.
#pragma once
#include <cstdint>

#include "../../core/backend.h"
#include "cells.h"

namespace gradloop {

struct RecurrentKernels {
  static constexpr OpId kOp = OpId::recurrent;
  // cell's forward over batch x units for one step: activations into v.gates, the new state into
  // v.hNext (and v.cNext), the output into v.y when not null.
  void (*stepForward)(Backend& b, Cell cell, Activation activation, Activation recurrentActivation, const recurrent::StepViews& v);
  // cell's backward for one step: v.dz (and v.dzRec) written, v.dh (and v.dc) updated to the
  // gradient of the step before, less the recurrent product's part, which the op adds.
  void (*stepBackward)(Backend& b, Cell cell, Activation activation, Activation recurrentActivation, const recurrent::StepViews& v);
  // y[n * yStride + j * width + k] (+)= x[n * xStride + j * width + k] * mask[n * width + k] for
  // n < batch, j < rows, k < width: a per-sample mask on each of a sample's rows (time steps).
  void (*maskRows)(Backend& b, const float* x, int64_t xStride, const float* mask, float* y, int64_t yStride, int64_t batch,
                   int64_t rows, int64_t width, bool accumulate);
};

}  // namespace gradloop
