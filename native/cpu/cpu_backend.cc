// CPU backend: memory, row gathers, GEMM, bias, reductions.
#include "cpu_backend.h"

#include <cblas.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>

#include "../core/tensor.h"

namespace gradloop {

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
void CpuBackend::copyFromHost(void* dst, const void* src, size_t bytes) { std::memcpy(dst, src, bytes); }
void CpuBackend::copyToHost(void* dst, const void* src, size_t bytes) { std::memcpy(dst, src, bytes); }
void CpuBackend::copy(void* dst, const void* src, size_t bytes) {
  if (dst != src) std::memmove(dst, src, bytes);
}
void CpuBackend::fillZero(void* ptr, size_t bytes) { std::memset(ptr, 0, bytes); }

void CpuBackend::gatherRows(void* dst, const void* src, size_t rowBytes, const int32_t* rows, int64_t count) {
  auto* out = static_cast<char*>(dst);
  const auto* in = static_cast<const char*>(src);
  for (int64_t i = 0; i < count; ++i) std::memcpy(out + i * rowBytes, in + rows[i] * rowBytes, rowBytes);
}

void CpuBackend::gemm(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
                      int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
              static_cast<blasint>(M), static_cast<blasint>(N), static_cast<blasint>(K), alpha, A,
              static_cast<blasint>(lda), B, static_cast<blasint>(ldb), beta, C, static_cast<blasint>(ldc));
}

void CpuBackend::biasBackward(const float* dy, float* dbias, int64_t rows, int64_t cols, bool accumulate) {
  // Row by row, so the inner loop streams contiguous memory and vectorises;
  // the fixed order keeps the sum bit-reproducible.
  if (!accumulate) std::memset(dbias, 0, cols * sizeof(float));
  for (int64_t r = 0; r < rows; ++r) {
    const float* row = dy + r * cols;
    for (int64_t c = 0; c < cols; ++c) dbias[c] += row[c];
  }
}

double CpuBackend::sumSquares(const float* x, int64_t n) {
  double s = 0;
  for (int64_t i = 0; i < n; ++i) s += static_cast<double>(x[i]) * x[i];
  return s;
}

bool CpuBackend::allFinite(const float* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i)
    if (!std::isfinite(x[i])) return false;
  return true;
}

int blasThreads() { return openblas_get_num_threads(); }
void openblasSetThreads(int threads) { openblas_set_num_threads(threads); }
const char* blasConfig() { return openblas_get_config(); }

}  // namespace gradloop
