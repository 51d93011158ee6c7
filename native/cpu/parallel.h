// A small fork-join pool for the CPU backend's elementwise loops (optimizer updates, sums of
// squares). Not OpenMP, deliberately: libgomp cannot be linked statically into a shared object
// (its thread-local data uses the initial-exec TLS model), and the prebuilt addon must not need
// libgomp.so.1, which slim Node images do not have. OpenBLAS keeps its own threads for the
// matrix products. Loops vectorise with `#pragma omp simd` under -fopenmp-simd (no runtime).
#pragma once
#include <algorithm>
#include <cstdint>
#include <functional>
#include <vector>

namespace gradloop {

// Splits the blocks [0, blocks) into `threads` contiguous ranges and runs fn(begin, end) on each
// concurrently, the first on the calling thread; returns when all are done. Runs everything on
// the caller when threads <= 1, or when another thread is already inside parallelRanges (two
// models training at once): callers make results independent of how blocks are split.
using RangeFn = std::function<void(int64_t, int64_t)>;
void runRanges(int64_t blocks, int threads, const RangeFn& fn);
// The caller's lambda is passed by reference (std::cref): a std::function made from a lambda
// with more than two captures allocates, and these run several times per training step.
template <typename Fn>
void parallelRanges(int64_t blocks, int threads, const Fn& fn) {
  runRanges(blocks, threads, RangeFn(std::cref(fn)));
}

// Elementwise loops: runs fn(begin, end) over the items [0, items) in contiguous ranges, on the
// backend's threads (blasThreads) when the items hold at least minElements elements (itemElements
// each), else on the caller. Only for loops whose results do not depend on the split. Waking the
// pool costs microseconds: loops doing a few operations per element (relu, copies) pay off from
// about kParallelMin elements (simd.h), loops with an exp or erf per element from kParallelElements.
constexpr int64_t kParallelElements = 1 << 16;
int forEachRangeThreads(int64_t elements, int64_t minElements);
template <typename Fn>
void forEachRange(int64_t items, int64_t itemElements, const Fn& fn, int64_t minElements = kParallelElements) {
  parallelRanges(items, forEachRangeThreads(items * itemElements, minElements), fn);
}

// Elements per block of sumOverBlocks: the unit of work, and of summation order.
constexpr int64_t kBlockElements = 8192;

// Runs kernel(begin, end) -> float over [0, n) in blocks of kBlockElements on `threads` threads,
// and returns the blocks' results added in block order: the same bits for any thread count.
template <typename Kernel>
double sumOverBlocks(int64_t n, int threads, Kernel kernel) {
  const int64_t blocks = (n + kBlockElements - 1) / kBlockElements;
  thread_local std::vector<float> partials;
  partials.resize(static_cast<size_t>(blocks));
  float* out = partials.data();
  parallelRanges(blocks, threads, [&](int64_t first, int64_t last) {
    for (int64_t b = first; b < last; ++b) {
      const int64_t begin = b * kBlockElements;
      out[b] = kernel(begin, std::min(n, begin + kBlockElements));
    }
  });
  double total = 0;
  for (int64_t b = 0; b < blocks; ++b) total += out[b];
  return total;
}

}  // namespace gradloop
