// The CUDA backend's table of op kernels, generated from ops.def (the op folders, listed by
// the build: native/core/op_kernels.h): each op's cuda.cu defines <op>CudaKernels().
#include "cuda_backend.h"

namespace gradloop {

#define GRADLOOP_OP(name) const void* name##CudaKernels();
#define GRADLOOP_OP_WITHOUT_KERNELS(name)
#include "ops.def"
#undef GRADLOOP_OP
#undef GRADLOOP_OP_WITHOUT_KERNELS

const void* cuda::CudaBackend::opKernels(OpId id) const {
  switch (id) {
#define GRADLOOP_OP(name) \
  case OpId::name:        \
    return name##CudaKernels();
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
