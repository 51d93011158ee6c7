// Vectorisable float32 erf and exp for the CPU's elementwise loops (gelu and its derivative):
// polynomials, a division and bit arithmetic only, no libm call, so a loop over them compiles to
// SIMD code in each ISA variant (simd.h). libm's erff and expf are scalar calls: on one thread
// they were 16% of a W6 step, and gelu's loops 30% (bench/NOTES.md section 17).
//   erf: x * P(x^2) / Q(x^2) on [-4, 4] (erf(4) is 1 - 1.5e-8), the rational approximation of
//        Eigen and XLA; 6.5e-8 from erf in exact arithmetic, a few float32 ulps in practice.
//   exp: Cephes' expf: x = n ln2 + r (Cody-Waite split of ln2), a degree-6 polynomial in r, and
//        2^n built in the exponent bits; 1.1e-9 relative in exact arithmetic. Below -87 (near
//        the smallest normal float) it is 0, so exp(-inf) = 0 as a masked softmax needs.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>

#include "simd.h"

namespace gradloop::fastmath {

GRADLOOP_KERNEL_BODY float erf(float x) {
  x = x > 4.0f ? 4.0f : (x < -4.0f ? -4.0f : x);
  const float x2 = x * x;
  float p = -2.72614225801306e-10f;
  p = p * x2 + 2.77068142495902e-08f;
  p = p * x2 - 2.10102402082508e-06f;
  p = p * x2 - 5.69250639462346e-05f;
  p = p * x2 - 7.34990630326855e-04f;
  p = p * x2 - 2.95459980854025e-03f;
  p = p * x2 - 1.60960333262415e-02f;
  float q = -1.45660718464996e-05f;
  q = q * x2 - 2.13374055278905e-04f;
  q = q * x2 - 1.68282697438203e-03f;
  q = q * x2 - 7.37332916720468e-03f;
  q = q * x2 - 1.42647390514189e-02f;
  return x * p / q;
}

// For x <= 88 (gelu's exp(-x^2 / 2) and a softmax's exp(x - max) are at most 1).
GRADLOOP_KERNEL_BODY float exp(float in) {
  const float x = in < -87.0f ? -87.0f : in;
  const float fn = std::floor(x * 1.44269504088896341f + 0.5f);  // n, the nearest integer to x / ln2
  const int32_t n = static_cast<int32_t>(fn);
  const float r = (x - fn * 0.693359375f) - fn * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  const int32_t bits = (n + 127) << 23;  // 2^n
  float scale;
  std::memcpy(&scale, &bits, sizeof(scale));
  return in < -87.0f ? 0.0f : p * scale;
}

}  // namespace gradloop::fastmath
