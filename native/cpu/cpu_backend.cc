// CPU backend: memory, row gathers, GEMM, bias, reductions.
#include "cpu_backend.h"

#include "parallel.h"

#include <cblas.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <vector>

#include "../core/float_mode.h"
#include "../core/memory_check.h"
#include "../core/tensor.h"
#include "simd.h"

namespace gradloop {

CpuBackend::CpuBackend() {
  // Measured with OpenBLAS 0.3.21: when a process's first GEMM ran single-threaded (say a
  // tiny predict()), later multi-threaded GEMMs gave different bits than in a process whose
  // first GEMM was threaded, so the same seeded training differed between processes
  // (test/float-mode.test.ts). One threaded product at start-up puts every process in the
  // same state; it costs well under a millisecond. It runs in the steps' floating-point mode, so
  // OpenBLAS's threads are created in that mode now rather than re-created at the first step.
  CanonicalFloatMode mode;
  std::vector<float> a(256 * 256, 0.5f), c(256 * 256);
  gemm(false, false, 256, 256, 256, 1.0f, a.data(), 256, a.data(), 256, 0.0f, c.data(), 256);
}

void* CpuBackend::allocate(size_t bytes) {
  size_t rounded = (bytes + 63) / 64 * 64;
  void* p = std::aligned_alloc(64, rounded);
  if (!p)
    throw RangeError("out of memory: could not allocate " + std::to_string(bytes) +
                     " bytes on the CPU; use a smaller batchSize or model");
  std::memset(p, 0, rounded);
  return p;
}
void CpuBackend::release(void* ptr) { std::free(ptr); }
int64_t CpuBackend::availableMemory(std::string* source) { return hostAvailableMemory(source); }
void CpuBackend::copyFromHost(void* dst, const void* src, size_t bytes) { std::memcpy(dst, src, bytes); }
void CpuBackend::copyToHost(void* dst, const void* src, size_t bytes) { std::memcpy(dst, src, bytes); }
void CpuBackend::copy(void* dst, const void* src, size_t bytes) {
  if (dst != src) std::memmove(dst, src, bytes);
}

void CpuBackend::gatherRows(void* dst, const void* src, size_t rowBytes, const int32_t* rows, int64_t count) {
  auto* out = static_cast<char*>(dst);
  const auto* in = static_cast<const char*>(src);
  for (int64_t i = 0; i < count; ++i) std::memcpy(out + i * rowBytes, in + rows[i] * rowBytes, rowBytes);
}

namespace {
// Threads the user configured (setNumThreads / OPENBLAS_NUM_THREADS); 0 until first read.
std::atomic<int> configuredThreads{0};
// Threads OpenBLAS is set to right now (changed only from the step's thread).
int activeBlasThreads = 0;

// Below this many FLOPs a product runs on one thread: measured on the benchmark's shapes
// (bench/NOTES.md), two threads only pay off from about 16M FLOPs (256x256x256 is 34M).
constexpr int64_t kGemmParallelFlops = 16'000'000;

#if defined(__x86_64__) || defined(__i386__)
// OpenBLAS's worker threads keep the floating-point mode (MXCSR) of the thread that created them:
// the addon's loader thread, with flush-to-zero off. OpenBLAS has no call to change it, so when a
// threaded product runs in another mode than its workers have, they are shut down (the same call
// OpenBLAS makes around fork) and the product re-creates them from this thread, in its mode. That
// happens at the first threaded product, and again only if setFlushDenormals changes the mode.
// Products on one thread run on the caller and need nothing. The lock keeps a re-creation from
// overlapping another model's product on another thread.
extern "C" int blas_thread_shutdown_(void) __attribute__((weak));  // absent from OpenMP builds
std::shared_mutex blasThreadsLock;
std::atomic<unsigned> blasThreadsMode{_mm_getcsr()};

std::shared_lock<std::shared_mutex> blasThreadsInCallersMode() {
  const unsigned mode = _mm_getcsr();
  if (blasThreadsMode.load(std::memory_order_acquire) != mode && blas_thread_shutdown_) {
    std::unique_lock<std::shared_mutex> exclusive(blasThreadsLock);
    if (blasThreadsMode.load(std::memory_order_relaxed) != mode) {
      blas_thread_shutdown_();
      blasThreadsMode.store(mode, std::memory_order_release);
    }
  }
  return std::shared_lock<std::shared_mutex>(blasThreadsLock);
}
#else
std::shared_mutex blasThreadsLock;
std::shared_lock<std::shared_mutex> blasThreadsInCallersMode() { return std::shared_lock<std::shared_mutex>(blasThreadsLock); }
#endif
}  // namespace

void CpuBackend::gemm(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
                      int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  // OpenBLAS takes 32-bit sizes; larger products would wrap (the memory check stops them earlier
  // unless it is off).
  for (int64_t size : {M, N, K, lda, ldb, ldc})
    if (size > kMaxElements) throw RangeError("a matrix product of " + std::to_string(M) + " x " + std::to_string(N) + " x " +
                                              std::to_string(K) + " exceeds OpenBLAS's 32-bit sizes; use a smaller batchSize");
  const int want = 2.0 * static_cast<double>(M) * static_cast<double>(N) * static_cast<double>(K) >= kGemmParallelFlops ? blasThreads() : 1;
  if (want != activeBlasThreads) {
    openblas_set_num_threads(want);
    activeBlasThreads = want;
  }
  std::shared_lock<std::shared_mutex> modeKept;
  if (want > 1) modeKept = blasThreadsInCallersMode();
  cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
              static_cast<blasint>(M), static_cast<blasint>(N), static_cast<blasint>(K), alpha, A,
              static_cast<blasint>(lda), B, static_cast<blasint>(ldb), beta, C, static_cast<blasint>(ldc));
}

namespace {
// Sum of squares of one block in 16 fixed lanes: a summation order the compiler can turn into
// vector instructions without reassociating anything, so the bits never depend on the ISA.
GRADLOOP_KERNEL_BODY float blockSumSquaresBody(const float* x, int64_t n) {
  float lanes[16] = {0};
  int64_t i = 0;
  for (; i + 16 <= n; i += 16)
    for (int j = 0; j < 16; ++j) lanes[j] += x[i + j] * x[i + j];
  for (; i < n; ++i) lanes[i & 15] += x[i] * x[i];
  float total = 0;
  for (float lane : lanes) total += lane;
  return total;
}
GRADLOOP_ISA_KERNEL(float, blockSumSquares, (const float* x, int64_t n), (x, n))
}  // namespace

void CpuBackend::sumSquares(const float* x, int64_t n, double* sum) {
  // Fixed blocks added in block order: the result is the same for any thread count. A read-only
  // pass is cheap: below 256k floats waking a second thread costs more than it saves.
  *sum = sumOverBlocks(n, n >= (1 << 18) ? blasThreads() : 1,
                       [x](int64_t begin, int64_t end) { return blockSumSquares(x + begin, end - begin); });
}

void CpuBackend::axpy(float* y, const float* x, int64_t n, float alpha) {
  cblas_saxpy(static_cast<blasint>(n), alpha, x, 1, y, 1);
}

void CpuBackend::copyBlocks(void* dst, int64_t dstStride, const void* src, int64_t srcStride, int64_t blocks,
                            int64_t width, bool accumulate) {
  for (int64_t b = 0; b < blocks; ++b) {
    if (accumulate) {
      float* d = static_cast<float*>(dst) + b * dstStride;
      const float* x = static_cast<const float*>(src) + b * srcStride;
      for (int64_t i = 0; i < width; ++i) d[i] += x[i];
    } else {
      std::memcpy(static_cast<char*>(dst) + b * dstStride * 4, static_cast<const char*>(src) + b * srcStride * 4,
                  static_cast<size_t>(width) * 4);
    }
  }
}

void CpuBackend::scale(float* x, int64_t n, float s) {
  for (int64_t i = 0; i < n; ++i) x[i] *= s;
}

void CpuBackend::fill(float* x, int64_t n, float value) { std::fill(x, x + n, value); }

void CpuBackend::clamp(float* x, int64_t n, float limit) {
  for (int64_t i = 0; i < n; ++i) x[i] = x[i] > limit ? limit : (x[i] < -limit ? -limit : x[i]);
}

int blasThreads() {
  int n = configuredThreads.load(std::memory_order_relaxed);
  if (n == 0) {
    n = openblas_get_num_threads();  // OpenBLAS's own default: OPENBLAS_NUM_THREADS or the core count
    configuredThreads.store(n, std::memory_order_relaxed);
  }
  return n;
}
void openblasSetThreads(int threads) {
  configuredThreads.store(threads, std::memory_order_relaxed);
  openblas_set_num_threads(threads);
  activeBlasThreads = threads;
}
const char* blasConfig() { return openblas_get_config(); }
int maxBlasThreads() {
  // openblas_get_config() ends with "MAX_THREADS=<n>" (OpenBLAS has no call that returns it).
  const std::string config = openblas_get_config();
  const size_t at = config.find("MAX_THREADS=");
  return at == std::string::npos ? 64 : std::max(1, std::atoi(config.c_str() + at + 12));
}
const char* blasCoreName() { return openblas_get_corename(); }

}  // namespace gradloop
