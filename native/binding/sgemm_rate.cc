#include "sgemm_rate.h"

#include <chrono>
#include <vector>

#include "../core/buffer.h"
#include "../core/tensor.h"

namespace gradloop::binding {

double sgemmGflops(Backend& backend, int64_t M, int64_t N, int64_t K, double seconds, bool transA, bool transB) {
  if (M < 1 || N < 1 || K < 1) throw RangeError("M, N and K must be >= 1");
  DeviceBuffer a(backend, M * K * sizeof(float)), b(backend, K * N * sizeof(float)), c(backend, M * N * sizeof(float));
  // Ordinary values (not zeros, not denormals), as a real product sees.
  backend.copyFromHost(a.get(), std::vector<float>(M * K, 0.5f).data(), a.bytes());
  backend.copyFromHost(b.get(), std::vector<float>(K * N, 0.25f).data(), b.bytes());
  const int64_t lda = transA ? M : K, ldb = transB ? K : N;
  float sink = 0;
  auto product = [&] { backend.gemm(transA, transB, M, N, K, 1, a.f(), lda, b.f(), ldb, 0, c.f(), N); };
  product();  // warm-up: thread start-up, the library picking its kernel
  backend.copyToHost(&sink, c.get(), sizeof(float));
  const auto start = std::chrono::steady_clock::now();
  int64_t products = 0;
  double elapsed = 0;
  do {
    for (int i = 0; i < 4; ++i) product();
    products += 4;
    backend.copyToHost(&sink, c.get(), sizeof(float));  // a GPU runs products asynchronously: wait for them
    elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  } while (elapsed < seconds);
  return 2.0 * M * N * K * products / elapsed / 1e9;
}

}  // namespace gradloop::binding
