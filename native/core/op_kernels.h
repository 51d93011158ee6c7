// How an op finds its own kernels on whatever backend runs it. The backend interface (backend.h)
// keeps only what every op shares (memory, copies, gemm, reductions, optimizer updates); an op's
// own kernels live in its folder (native/ops/<op>/cpu.cc, cuda.cu) as a struct of function
// pointers, <Name>Kernels in native/ops/<op>/kernels.h, and each backend hands out its tables by
// op id. The ids, and the backends' tables, are generated from the one list native/ops/ops.def.
#pragma once

namespace gradloop {

enum class OpId {
#define GRADLOOP_OP(name) name,
#define GRADLOOP_OP_WITHOUT_KERNELS(name) name,
#include "../ops/ops.def"
#undef GRADLOOP_OP
#undef GRADLOOP_OP_WITHOUT_KERNELS
};

}  // namespace gradloop
