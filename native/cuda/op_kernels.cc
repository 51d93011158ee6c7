// The CUDA backend's table of op kernels: each op's cuda.cu defines <op>CudaKernels().
#include "cuda_backend.h"

#define GRADLOOP_KERNELS_BACKEND cuda::CudaBackend
#define GRADLOOP_KERNELS_SUFFIX Cuda
#include "../core/op_kernel_table.inc"
