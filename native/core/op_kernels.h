// How an op finds its own kernels on whatever backend runs it. The backend interface (backend.h)
// keeps only what every op shares (memory, copies, gemm, reductions, optimizer updates); an op's
// own kernels live in its folder (native/ops/<op>/cpu.cc, cuda.cu) as a struct of function
// pointers, <Name>Kernels in native/ops/<op>/kernels.h, and each backend hands out its tables by
// op id. The ids, the factories and the backends' tables are generated from ops.def, the list of
// op folders the build writes (CMakeLists.txt, native/gen-ops-def.cjs): an op with kernels is
// GRADLOOP_OP(name) and defines make_<name> (op.cc), <name>CpuKernels (cpu.cc) and
// <name>CudaKernels (cuda.cu); one without is GRADLOOP_OP_WITHOUT_KERNELS(name), op.cc alone.
#pragma once

namespace gradloop {

enum class OpId {
#define GRADLOOP_OP(name) name,
#define GRADLOOP_OP_WITHOUT_KERNELS(name) name,
#include "ops.def"
#undef GRADLOOP_OP
#undef GRADLOOP_OP_WITHOUT_KERNELS
};

}  // namespace gradloop
