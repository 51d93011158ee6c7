// Every native entry point runs in one floating-point mode: IEEE round-to-nearest with
// subnormals kept (no flush-to-zero, no denormals-are-zero), whatever mode the calling
// thread was left in. Steps run on shared libuv threads, and any other native code in the
// process may set FTZ/DAZ on them (math libraries commonly do, for speed); threads started
// inside a step (OpenMP workers) inherit the mode of the thread that starts them. The guard
// makes results independent of that history.
#pragma once

#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
#endif

namespace gradloop {

class CanonicalFloatMode {
 public:
#if defined(__x86_64__) || defined(__i386__)
  // 0x1F80: all exceptions masked, round to nearest, FTZ and DAZ off (the x86 power-on default).
  static constexpr unsigned kMxcsr = 0x1F80;
  CanonicalFloatMode() : saved_(_mm_getcsr()) { _mm_setcsr(kMxcsr); }
  ~CanonicalFloatMode() { _mm_setcsr(saved_); }

 private:
  unsigned saved_;
#else
  // Other architectures: the platform default is left as it is.
  CanonicalFloatMode() = default;
#endif
 public:
  CanonicalFloatMode(const CanonicalFloatMode&) = delete;
  CanonicalFloatMode& operator=(const CanonicalFloatMode&) = delete;
};

}  // namespace gradloop
