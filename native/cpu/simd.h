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

// Compiles a function for AVX-512, AVX2 and the baseline ISA; the loader picks
// the best the CPU has (GCC/Clang ifunc), so one binary runs everywhere.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && defined(__linux__)
#define GRADLOOP_VECTOR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define GRADLOOP_VECTOR_CLONES
#endif
