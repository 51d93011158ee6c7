// Every native entry point runs in one floating-point mode, whatever mode the calling thread was
// left in: round-to-nearest, all exceptions masked, and by default flush-to-zero (FTZ) and
// denormals-are-zero (DAZ) on, as TensorFlow runs on CPUs. Subnormal floats (below 1.2e-38) cost
// a microcode assist per operation on Intel cores (tens to hundreds of cycles), and training
// produces them all the time: the momentum of a unit that stopped receiving gradient shrinks by
// 0.9 per step through the subnormal range (bench/NOTES.md: W2 2.5x slower on a Xeon).
// setFlushDenormals(false) restores IEEE gradual underflow for everyone who needs it.
//
// Steps run on shared libuv threads, and any other native code in the process may change the mode
// on them; the guard sets the mode for the call and restores the caller's afterwards, so JavaScript
// and other addons are not affected. Threads that work for a step take the step thread's mode:
// gradloop's pool sets it per region (cpu/parallel.cc), OpenBLAS's threads are re-created in it
// when it changes (cpu/cpu_backend.cc).
#pragma once

#include <atomic>

#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
#endif

namespace gradloop {

// The process-wide choice (default on); read at the start of every native call.
inline std::atomic<bool> flushDenormalsSetting{true};
inline void setFlushDenormals(bool on) { flushDenormalsSetting.store(on, std::memory_order_relaxed); }
inline bool flushDenormals() { return flushDenormalsSetting.load(std::memory_order_relaxed); }

#if defined(__x86_64__) || defined(__i386__)
// MXCSR: 0x1F80 is all exceptions masked, round to nearest, FTZ and DAZ off (the x86 power-on
// default); FTZ is bit 15, DAZ bit 6.
constexpr unsigned kMxcsrIeee = 0x1F80;
constexpr unsigned kMxcsrFlush = kMxcsrIeee | 0x8000 | 0x0040;
inline unsigned canonicalMxcsr() { return flushDenormals() ? kMxcsrFlush : kMxcsrIeee; }
#endif

class CanonicalFloatMode {
 public:
#if defined(__x86_64__) || defined(__i386__)
  CanonicalFloatMode() : saved_(_mm_getcsr()) { _mm_setcsr(canonicalMxcsr()); }
  ~CanonicalFloatMode() { _mm_setcsr(saved_); }

 private:
  unsigned saved_;
#else
  // Other architectures: the platform default is left as it is (aarch64's FZ bit is not set).
  CanonicalFloatMode() = default;
#endif
 public:
  CanonicalFloatMode(const CanonicalFloatMode&) = delete;
  CanonicalFloatMode& operator=(const CanonicalFloatMode&) = delete;
};

}  // namespace gradloop
