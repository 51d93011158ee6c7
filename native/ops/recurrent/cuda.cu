// The recurrent kernels on the GPU: one thread per (sample, unit) of a step, the CPU's
// arithmetic (cells.h).
#include "../../cuda/kernel_utils.cuh"
#include "kernels.h"

namespace gradloop {
namespace {

using recurrent::StepViews;

template <Cell C, Activation A, Activation R>
__global__ void forwardKernel(StepViews v) {
  GRADLOOP_GRID_STRIDE(i, v.batch * v.units) {
    const int64_t n = i / v.units, u = i % v.units;
    if constexpr (C == Cell::Lstm) recurrent::lstmForward<A, R>(v, n, u);
    else if constexpr (C == Cell::Gru) recurrent::gruForward<A, R>(v, n, u);
    else recurrent::simpleForward<A>(v, n, u);
  }
}
template <Cell C, Activation A, Activation R>
__global__ void backwardKernel(StepViews v) {
  GRADLOOP_GRID_STRIDE(i, v.batch * v.units) {
    const int64_t n = i / v.units, u = i % v.units;
    if constexpr (C == Cell::Lstm) recurrent::lstmBackward<A, R>(v, n, u);
    else if constexpr (C == Cell::Gru) recurrent::gruBackward<A, R>(v, n, u);
    else recurrent::simpleBackward<A>(v, n, u);
  }
}

template <bool Forward>
void launchStep(Backend& b, Cell cell, Activation a, Activation r, const StepViews& v) {
  cudaStream_t stream = cuda::launchOn(b);
  const int blocks = cuda::blocksFor(v.batch * v.units);
  recurrent::withActivations(a, r, [&](auto A, auto R) {
    constexpr Activation kA = decltype(A)::value, kR = decltype(R)::value;
    if (cell == Cell::Lstm) {
      if constexpr (Forward) forwardKernel<Cell::Lstm, kA, kR><<<blocks, cuda::kThreads, 0, stream>>>(v);
      else backwardKernel<Cell::Lstm, kA, kR><<<blocks, cuda::kThreads, 0, stream>>>(v);
    } else if (cell == Cell::Gru) {
      if constexpr (Forward) forwardKernel<Cell::Gru, kA, kR><<<blocks, cuda::kThreads, 0, stream>>>(v);
      else backwardKernel<Cell::Gru, kA, kR><<<blocks, cuda::kThreads, 0, stream>>>(v);
    } else if constexpr (kR == Activation::Sigmoid) {  // SimpleRNN has one activation: one instance each
      if constexpr (Forward) forwardKernel<Cell::SimpleRnn, kA, kR><<<blocks, cuda::kThreads, 0, stream>>>(v);
      else backwardKernel<Cell::SimpleRnn, kA, kR><<<blocks, cuda::kThreads, 0, stream>>>(v);
    }
  });
  cuda::checkLaunch(Forward ? "recurrent step" : "recurrent step backward");
}

void stepForward(Backend& b, Cell cell, Activation a, Activation r, const StepViews& v) {
  launchStep<true>(b, cell, a, cell == Cell::SimpleRnn ? Activation::Sigmoid : r, v);
}
void stepBackward(Backend& b, Cell cell, Activation a, Activation r, const StepViews& v) {
  launchStep<false>(b, cell, a, cell == Cell::SimpleRnn ? Activation::Sigmoid : r, v);
}

__global__ void maskRowsKernel(const float* x, int64_t xStride, const float* mask, float* y, int64_t yStride, int64_t batch,
                               int64_t rows, int64_t width, bool accumulate) {
  GRADLOOP_GRID_STRIDE(i, batch * rows * width) {
    const int64_t k = i % width, j = (i / width) % rows, n = i / (width * rows);
    const float value = x[n * xStride + j * width + k] * mask[n * width + k];
    float* out = y + n * yStride + j * width + k;
    *out = accumulate ? *out + value : value;
  }
}

void maskRows(Backend& b, const float* x, int64_t xStride, const float* mask, float* y, int64_t yStride, int64_t batch, int64_t rows,
              int64_t width, bool accumulate) {
  maskRowsKernel<<<cuda::blocksFor(batch * rows * width), cuda::kThreads, 0, cuda::launchOn(b)>>>(x, xStride, mask, y, yStride, batch, rows,
                                                                                                  width, accumulate);
  cuda::checkLaunch("recurrent maskRows");
}

}  // namespace

const void* recurrentCudaKernels() {
  static const RecurrentKernels kernels{stepForward, stepBackward, maskRows};
  return &kernels;
}

}  // namespace gradloop
