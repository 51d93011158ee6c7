// Times one float32 matrix product C[M,N] = op(A) op(B) (row-major) at the benchmark workloads'
// shapes in OpenBLAS (cblas_sgemm), oneDNN (dnnl_sgemm, float32; and its matmul primitive with
// bf16 inputs and float32 output, where the CPU has AVX512-BF16) and libxsmm (libxsmm_sgemm),
// interleaved, on one thread: the question of issue 14, part 5, whether another library beats
// OpenBLAS at W1/W2/W4's small products. Build and run: bash bench/gemm-libraries/run.sh
#include <cblas.h>
#include <dnnl.h>
#include <dnnl.hpp>
#include <libxsmm.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

using Clock = std::chrono::steady_clock;

// GFLOP/s of fn, best of 5 repetitions of about 0.15 s each.
static double rate(double flops, const std::function<void()>& fn) {
  fn();
  double best = 0;
  for (int rep = 0; rep < 5; ++rep) {
    int n = 0;
    auto start = Clock::now();
    double seconds = 0;
    do {
      fn();
      ++n;
      seconds = std::chrono::duration<double>(Clock::now() - start).count();
    } while (seconds < 0.15);
    best = std::max(best, flops * n / seconds / 1e9);
  }
  return best;
}

struct Shape { const char* what; int M, N, K; bool ta, tb; };

int main() {
  openblas_set_num_threads(1);
  libxsmm_init();
  const Shape shapes[] = {
      {"W1 fwd 1", 128, 512, 784, false, false}, {"W1 fwd 2", 128, 512, 512, false, false},
      {"W1 dW 1 (A^T)", 784, 512, 128, true, false}, {"W1 dX 2 (B^T)", 128, 512, 512, false, true},
      {"W2 fwd 1", 32, 128, 784, false, false}, {"W2 dW 1 (A^T)", 784, 128, 32, true, false},
      {"W2 fwd 2", 32, 10, 128, false, false},
      {"W4 fwd 1", 256, 256, 256, false, false}, {"W4 fwd 2", 256, 65, 256, false, false},
      {"W4 dW 1 (A^T)", 256, 256, 256, true, false},
      {"W3 fwd 2", 256, 1024, 1024, false, false},
  };
  dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  dnnl::stream stream(engine);
  const bool bf16 = libxsmm_get_target_archid() >= LIBXSMM_X86_AVX512_CPX;
  std::printf("{\"kind\":\"setup\",\"openblas\":\"%s\",\"libxsmm_target\":\"%s\",\"threads\":1}\n",
              openblas_get_config(), libxsmm_get_target_arch());
  for (const Shape& s : shapes) {
    std::vector<float> A(size_t(s.M) * s.K, 0.5f), B(size_t(s.K) * s.N, 0.25f), C(size_t(s.M) * s.N);
    for (size_t i = 0; i < A.size(); ++i) A[i] = float(i % 7) * 0.1f;
    const int lda = s.ta ? s.M : s.K, ldb = s.tb ? s.K : s.N;
    const double flops = 2.0 * s.M * s.N * s.K;
    const double openblas = rate(flops, [&] {
      cblas_sgemm(CblasRowMajor, s.ta ? CblasTrans : CblasNoTrans, s.tb ? CblasTrans : CblasNoTrans, s.M, s.N, s.K, 1.f,
                  A.data(), lda, B.data(), ldb, 0.f, C.data(), s.N);
    });
    const double onednn = rate(flops, [&] {
      dnnl_sgemm(s.ta ? 'T' : 'N', s.tb ? 'T' : 'N', s.M, s.N, s.K, 1.f, A.data(), lda, B.data(), ldb, 0.f, C.data(), s.N);
    });
    // libxsmm is column-major: C^T[N,M] = op(B)^T op(A)^T.
    const double xsmm = rate(flops, [&] {
      const char tb = s.tb ? 'T' : 'N', ta = s.ta ? 'T' : 'N';
      const libxsmm_blasint m = s.N, n = s.M, k = s.K, ldB = ldb, ldA = lda, ldc = s.N;
      const float one = 1.f, zero = 0.f;
      libxsmm_sgemm(&tb, &ta, &m, &n, &k, &one, B.data(), &ldB, A.data(), &ldA, &zero, C.data(), &ldc);
    });
    double bf16rate = 0;
    if (bf16 && !s.ta && !s.tb) {
      using tag = dnnl::memory::format_tag;
      using dt = dnnl::memory::data_type;
      dnnl::memory::desc a({s.M, s.K}, dt::bf16, tag::ab), b({s.K, s.N}, dt::bf16, tag::ab), c({s.M, s.N}, dt::f32, tag::ab);
      dnnl::matmul mm(dnnl::matmul::primitive_desc(dnnl::matmul::desc(a, b, c), engine));
      dnnl::memory am(a, engine), bm(b, engine), cm(c, engine);
      bf16rate = rate(flops, [&] {
        mm.execute(stream, {{DNNL_ARG_SRC, am}, {DNNL_ARG_WEIGHTS, bm}, {DNNL_ARG_DST, cm}});
        stream.wait();
      });
    }
    std::printf("{\"kind\":\"shape\",\"what\":\"%s\",\"M\":%d,\"N\":%d,\"K\":%d,\"openblas\":%.1f,\"onednn\":%.1f,\"libxsmm\":%.1f,\"onednnBf16\":%.1f}\n",
                s.what, s.M, s.N, s.K, openblas, onednn, xsmm, bf16rate);
  }
  return 0;
}
