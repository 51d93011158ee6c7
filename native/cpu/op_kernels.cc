// The CPU backend's table of op kernels, generated from ops.def (the op folders, listed by
// the build: native/core/op_kernels.h): each op's cpu.cc defines <op>CpuKernels().
#include "cpu_backend.h"

namespace gradloop {

#define GRADLOOP_OP(name) const void* name##CpuKernels();
#define GRADLOOP_OP_WITHOUT_KERNELS(name)
#include "ops.def"
#undef GRADLOOP_OP
#undef GRADLOOP_OP_WITHOUT_KERNELS

const void* CpuBackend::opKernels(OpId id) const {
  switch (id) {
#define GRADLOOP_OP(name) \
  case OpId::name:        \
    return name##CpuKernels();
#define GRADLOOP_OP_WITHOUT_KERNELS(name) \
  case OpId::name:                        \
    return nullptr;
#include "ops.def"
#undef GRADLOOP_OP
#undef GRADLOOP_OP_WITHOUT_KERNELS
  }
  return nullptr;
}

}  // namespace gradloop
