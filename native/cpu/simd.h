// Helpers for the CPU backend's hot loops.
#pragma once
#include <cstdint>

namespace gradloop {

// Below this many elements a loop runs on one thread: waking the others costs more.
constexpr int64_t kParallelMin = 1 << 18;

// Threads for the backend's parallel loops: the same count OpenBLAS uses, so
// setNumThreads() (or OPENBLAS_NUM_THREADS) governs both.
int blasThreads();

}  // namespace gradloop

// Kernels compiled for AVX-512, AVX2 and the baseline ISA, picked once at run time from the
// CPU's features: a kernel is an always-inline body (GRADLOOP_KERNEL_BODY) wrapped by one
// function per ISA (GRADLOOP_AVX512, GRADLOOP_AVX2, plain) and chosen with pickIsa(). Not GCC's
// target_clones: in a shared object linked with -static-libgcc (the prebuild) its ifunc resolver
// reads the CPU features before libgcc's constructor has set them and always takes the baseline
// (measured: the Adam/SGD updates 2x slower), and bullseye's linker drops those IRELATIVE
// relocations when it strips. Weights never depend on the ISA (elementwise updates; blockSumSquares
// sums in 16 fixed lanes); only the weight-norm diagnostics of the updates' simd reductions may
// differ in their last bits between AVX-512 and AVX2 machines.
#define GRADLOOP_KERNEL_BODY inline __attribute__((always_inline))
#if defined(__x86_64__) && defined(__GNUC__)
#define GRADLOOP_AVX512 __attribute__((target("avx512f")))
#define GRADLOOP_AVX2 __attribute__((target("avx2")))
namespace gradloop {
// 2: AVX-512F, 1: AVX2, 0: baseline x86-64.
inline int isaLevel() {
  static const int level = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") ? 2 : __builtin_cpu_supports("avx2") ? 1 : 0;
  }();
  return level;
}
template <typename F>
F pickIsa(F avx512, F avx2, F baseline) {
  return isaLevel() == 2 ? avx512 : isaLevel() == 1 ? avx2 : baseline;
}
}  // namespace gradloop
#else
#define GRADLOOP_AVX512
#define GRADLOOP_AVX2
namespace gradloop {
template <typename F>
F pickIsa(F, F, F baseline) { return baseline; }
}  // namespace gradloop
#endif

// Declares name(params) running nameBody(args) in the best variant for this CPU.
#define GRADLOOP_ISA_KERNEL(ret, name, params, args)                                               \
  GRADLOOP_AVX512 ret name##Avx512 params { return name##Body args; }                              \
  GRADLOOP_AVX2 ret name##Avx2 params { return name##Body args; }                                  \
  ret name##Baseline params { return name##Body args; }                                            \
  ret name params {                                                                                \
    static ret(*const chosen) params = pickIsa(name##Avx512, name##Avx2, name##Baseline);          \
    return chosen args;                                                                            \
  }
