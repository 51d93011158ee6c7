// The recurrent kernels on the CPU: a step's batch x units elements, sample by sample (the mask
// test is the same for a whole sample, so the loop over units has no branch left), shared among
// the backend's threads when a step is large enough to pay for waking them.
#include "../../cpu/parallel.h"
#include "kernels.h"

namespace gradloop {
namespace {

using recurrent::StepViews;

template <typename Fn>
void overSamples(const StepViews& v, int64_t gates, Fn fn) {
  forEachRange(v.batch, v.units * gates, [&](int64_t first, int64_t last) {
    for (int64_t n = first; n < last; ++n)
      for (int64_t u = 0; u < v.units; ++u) fn(n, u);
  });
}

void stepForward(Backend&, Cell cell, Activation a, Activation r, const StepViews& v) {
  recurrent::withActivations(a, r, [&](auto A, auto R) {
    constexpr Activation kA = decltype(A)::value, kR = decltype(R)::value;
    if (cell == Cell::Lstm) overSamples(v, 4, [&](int64_t n, int64_t u) { recurrent::lstmForward<kA, kR>(v, n, u); });
    else if (cell == Cell::Gru) overSamples(v, 3, [&](int64_t n, int64_t u) { recurrent::gruForward<kA, kR>(v, n, u); });
    else overSamples(v, 1, [&](int64_t n, int64_t u) { recurrent::simpleForward<kA>(v, n, u); });
  });
}

void stepBackward(Backend&, Cell cell, Activation a, Activation r, const StepViews& v) {
  recurrent::withActivations(a, r, [&](auto A, auto R) {
    constexpr Activation kA = decltype(A)::value, kR = decltype(R)::value;
    if (cell == Cell::Lstm) overSamples(v, 4, [&](int64_t n, int64_t u) { recurrent::lstmBackward<kA, kR>(v, n, u); });
    else if (cell == Cell::Gru) overSamples(v, 3, [&](int64_t n, int64_t u) { recurrent::gruBackward<kA, kR>(v, n, u); });
    else overSamples(v, 1, [&](int64_t n, int64_t u) { recurrent::simpleBackward<kA>(v, n, u); });
  });
}

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
