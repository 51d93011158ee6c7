// The matrix-product ceiling the benchmark compares workloads with: one backend's gemm alone
// (cblas_sgemm on the CPU, cublasSgemm on a GPU), repeated on fixed buffers for about `seconds`.
#pragma once
#include <cstdint>

#include "../core/backend.h"

namespace gradloop::binding {

// GFLOP/s of C[M,N] = op(A) op(B) with K the inner dimension (2*M*N*K FLOPs a product).
double sgemmGflops(Backend& backend, int64_t M, int64_t N, int64_t K, double seconds, bool transA, bool transB);

}  // namespace gradloop::binding
