// The recurrent kernels on the GPU: one thread per (sample, unit) of a step, the CPU's
// arithmetic (cells.h).
#include "../../cuda/kernel_utils.cuh"
#include "kernels.h"

namespace gradloop {
namespace {

using recurrent::StepViews;

// One thread per (sample, unit); the CPU's formulas (cells.h).
template <Cell C, Activation A, Activation R>
__global__ void forwardKernel(StepViews v) {
  GRADLOOP_GRID_STRIDE(i, v.batch * v.units) {
    const int64_t n = i / v.units, u = i % v.units, U = v.units;
    float* g = v.gates + n * v.gatesStride;
    const float hp = v.hPrev[n * v.prevStride + u];
    float h;
    if (recurrent::padded(v, n)) {  // the state stays, the output is 0
      h = hp;
      if (C == Cell::Lstm) v.cNext[n * v.nextStride + u] = v.cPrev[n * v.prevStride + u];
    } else if constexpr (C == Cell::Lstm) {
      recurrent::lstmCell<A, R>(g[u], g[U + u], g[2 * U + u], g[3 * U + u], v.cPrev[n * v.prevStride + u], v.cNext[n * v.nextStride + u], h);
    } else if constexpr (C == Cell::Gru) {
      const float* rec = v.rec + n * v.gatesStride;
      h = recurrent::gruCell<A, R>(g[u], g[U + u], g[2 * U + u], rec[u], rec[U + u], rec[2 * U + u], hp);
    } else {
      h = g[u] = recurrent::simpleCell<A>(g[u]);
    }
    v.hNext[n * v.nextStride + u] = h;
    if (v.y) v.y[n * v.yStride + u] = recurrent::padded(v, n) ? 0.0f : h;
  }
}
template <Cell C, Activation A, Activation R>
__global__ void backwardKernel(StepViews v) {
  GRADLOOP_GRID_STRIDE(i, v.batch * v.units) {
    const int64_t n = i / v.units, u = i % v.units, U = v.units, G = C == Cell::Lstm ? 4 : C == Cell::Gru ? 3 : 1;
    float* dz = v.dz + n * v.gatesStride;
    if (recurrent::padded(v, n)) {  // dh (and dc) pass to the step before unchanged
      for (int64_t k = 0; k < G; ++k) dz[k * U + u] = 0.0f;
      if (C == Cell::Gru)
        for (int64_t k = 0; k < G; ++k) v.dzRec[n * v.gatesStride + k * U + u] = 0.0f;
      continue;
    }
    const float* g = v.gates + n * v.gatesStride;
    float& dh = v.dh[n * U + u];
    if (v.dy) dh += v.dy[n * v.yStride + u];
    if constexpr (C == Cell::Lstm) {
      recurrent::lstmCellBackward<A, R>(g[u], g[U + u], g[2 * U + u], g[3 * U + u], v.cPrev[n * v.prevStride + u], v.cNext[n * v.nextStride + u], dh,
                                        v.dc[n * U + u], dz[u], dz[U + u], dz[2 * U + u], dz[3 * U + u]);
      dh = 0.0f;  // the op adds dz R^T
    } else if constexpr (C == Cell::Gru) {
      float* dzRec = v.dzRec + n * v.gatesStride;
      dh = recurrent::gruCellBackward<A, R>(g[u], g[U + u], g[2 * U + u], v.rec[n * v.gatesStride + 2 * U + u], v.hPrev[n * v.prevStride + u], dh, dz[u],
                                            dz[U + u], dz[2 * U + u], dzRec[2 * U + u]);
      dzRec[u] = dz[u], dzRec[U + u] = dz[U + u];
    } else {
      dz[u] = recurrent::simpleCellBackward<A>(g[u], dh);
      dh = 0.0f;
    }
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
