// The recurrent kernels on the CPU: a step sample by sample (a mask holds for a whole sample),
// each sample's units in one loop over restrict-qualified rows that the compiler vectorises;
// samples are shared among the backend's threads when a step is large enough to pay for waking them.
#include <cstring>

#include "../../cpu/parallel.h"
#include "kernels.h"

namespace gradloop {
namespace {

using recurrent::StepViews;
// A step's elements from which its samples are split among the threads: lower than other loops'
// (kParallelElements), since a step is short and the whole loop waits for it. W7 (32 samples x
// 1,024 gate values a step, AMD EPYC Zen 4, 2 threads): 295 samples/s on one thread, 340 split.
constexpr int64_t kStepParallelElements = 1 << 13;
#define GRADLOOP_ROW(type, name, base, stride) type* __restrict name = (base) + n * (stride)

template <Cell C, Activation A, Activation R>
void forwardRow(const StepViews& v, int64_t n) {
  const int64_t U = v.units;
  GRADLOOP_ROW(float, g, v.gates, v.gatesStride);
  GRADLOOP_ROW(const float, hp, v.hPrev, v.prevStride);
  GRADLOOP_ROW(float, hn, v.hNext, v.nextStride);
  if (recurrent::padded(v, n)) {  // the state stays, the output is 0
    std::memcpy(hn, hp, U * sizeof(float));
    if (C == Cell::Lstm) std::memcpy(v.cNext + n * v.nextStride, v.cPrev + n * v.prevStride, U * sizeof(float));
    if (v.y) std::memset(v.y + n * v.yStride, 0, U * sizeof(float));
    return;
  }
  if constexpr (C == Cell::Lstm) {
    GRADLOOP_ROW(const float, cp, v.cPrev, v.prevStride);
    GRADLOOP_ROW(float, cn, v.cNext, v.nextStride);
#pragma omp simd
    for (int64_t u = 0; u < U; ++u) recurrent::lstmCell<A, R>(g[u], g[U + u], g[2 * U + u], g[3 * U + u], cp[u], cn[u], hn[u]);
  } else if constexpr (C == Cell::Gru) {
    GRADLOOP_ROW(const float, rec, v.rec, v.gatesStride);
#pragma omp simd
    for (int64_t u = 0; u < U; ++u) hn[u] = recurrent::gruCell<A, R>(g[u], g[U + u], g[2 * U + u], rec[u], rec[U + u], rec[2 * U + u], hp[u]);
  } else {
#pragma omp simd
    for (int64_t u = 0; u < U; ++u) hn[u] = g[u] = recurrent::simpleCell<A>(g[u]);
  }
  if (v.y) std::memcpy(v.y + n * v.yStride, hn, U * sizeof(float));
}

template <Cell C, Activation A, Activation R>
void backwardRow(const StepViews& v, int64_t n) {
  const int64_t U = v.units, G = C == Cell::Lstm ? 4 : C == Cell::Gru ? 3 : 1;
  GRADLOOP_ROW(float, dz, v.dz, v.gatesStride);
  if (recurrent::padded(v, n)) {  // dh (and dc) pass to the step before unchanged
    std::memset(dz, 0, G * U * sizeof(float));
    if (C == Cell::Gru) std::memset(v.dzRec + n * v.gatesStride, 0, G * U * sizeof(float));
    return;
  }
  GRADLOOP_ROW(const float, g, v.gates, v.gatesStride);
  GRADLOOP_ROW(float, dh, v.dh, U);
  if (v.dy) {
    GRADLOOP_ROW(const float, dy, v.dy, v.yStride);
#pragma omp simd
    for (int64_t u = 0; u < U; ++u) dh[u] += dy[u];
  }
  if constexpr (C == Cell::Lstm) {
    GRADLOOP_ROW(const float, cp, v.cPrev, v.prevStride);
    GRADLOOP_ROW(const float, cn, v.cNext, v.nextStride);
    GRADLOOP_ROW(float, dc, v.dc, U);
#pragma omp simd
    for (int64_t u = 0; u < U; ++u) {
      recurrent::lstmCellBackward<A, R>(g[u], g[U + u], g[2 * U + u], g[3 * U + u], cp[u], cn[u], dh[u], dc[u], dz[u], dz[U + u], dz[2 * U + u],
                                        dz[3 * U + u]);
      dh[u] = 0.0f;  // the op adds dz R^T
    }
  } else if constexpr (C == Cell::Gru) {
    GRADLOOP_ROW(const float, rec, v.rec, v.gatesStride);
    GRADLOOP_ROW(const float, hp, v.hPrev, v.prevStride);
    GRADLOOP_ROW(float, dzRec, v.dzRec, v.gatesStride);
#pragma omp simd
    for (int64_t u = 0; u < U; ++u) {
      dh[u] = recurrent::gruCellBackward<A, R>(g[u], g[U + u], g[2 * U + u], rec[2 * U + u], hp[u], dh[u], dz[u], dz[U + u], dz[2 * U + u],
                                               dzRec[2 * U + u]);
      dzRec[u] = dz[u], dzRec[U + u] = dz[U + u];
    }
  } else {
#pragma omp simd
    for (int64_t u = 0; u < U; ++u) dz[u] = recurrent::simpleCellBackward<A>(g[u], dh[u]), dh[u] = 0.0f;
  }
}
#undef GRADLOOP_ROW

template <bool Forward>
void step(Cell cell, Activation a, Activation r, const StepViews& v) {
  recurrent::withActivations(a, cell == Cell::SimpleRnn ? Activation::Sigmoid : r, [&](auto A, auto R) {
    constexpr Activation kA = decltype(A)::value, kR = decltype(R)::value;
    auto run = [&](auto row) {
      forEachRange(v.batch, v.units * (cell == Cell::Lstm ? 4 : cell == Cell::Gru ? 3 : 1), [&](int64_t first, int64_t last) {
        for (int64_t n = first; n < last; ++n) row(v, n);
      }, kStepParallelElements);
    };
    if (cell == Cell::Lstm) run(Forward ? forwardRow<Cell::Lstm, kA, kR> : backwardRow<Cell::Lstm, kA, kR>);
    else if (cell == Cell::Gru) run(Forward ? forwardRow<Cell::Gru, kA, kR> : backwardRow<Cell::Gru, kA, kR>);
    else if constexpr (kR == Activation::Sigmoid) run(Forward ? forwardRow<Cell::SimpleRnn, kA, kR> : backwardRow<Cell::SimpleRnn, kA, kR>);
  });
}

void stepForward(Backend&, Cell cell, Activation a, Activation r, const StepViews& v) { step<true>(cell, a, r, v); }
void stepBackward(Backend&, Cell cell, Activation a, Activation r, const StepViews& v) { step<false>(cell, a, r, v); }

void maskRows(Backend&, const float* x, int64_t xStride, const float* mask, float* y, int64_t yStride, int64_t batch, int64_t rows,
              int64_t width, bool accumulate) {
  for (int64_t n = 0; n < batch; ++n)
    for (int64_t j = 0; j < rows; ++j) {
      const float* xr = x + n * xStride + j * width;
      const float* m = mask + n * width;
      float* yr = y + n * yStride + j * width;
      if (accumulate)
        for (int64_t k = 0; k < width; ++k) yr[k] += xr[k] * m[k];
      else
        for (int64_t k = 0; k < width; ++k) yr[k] = xr[k] * m[k];
    }
}

}  // namespace

const void* recurrentCpuKernels() {
  static const RecurrentKernels kernels{stepForward, stepBackward, maskRows};
  return &kernels;
}

}  // namespace gradloop
