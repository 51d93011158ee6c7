// gelu's CPU loops, shared by the activation op and dense's fused activation (defined in
// activation/cpu.cc): vectorised erf and exp (cpu/fast_math.h) in an AVX-512, AVX2 and
// baseline variant each (cpu/simd.h). Elementwise, so callers may split them across threads.
#pragma once
#include <cstdint>

namespace gradloop::gelu_cpu {

// y[rows, cols] = gelu(y + bias) (bias may be null); preact (may be null) keeps y + bias.
void biasRows(float* y, float* preact, const float* bias, int64_t rows, int64_t cols);
// y[n] = gelu(x).
void forward(const float* x, float* y, int64_t n);
// dx[n] (+)= dy * gelu'(x).
void backward(const float* x, const float* dy, float* dx, int64_t n, bool accumulate);

}  // namespace gradloop::gelu_cpu
