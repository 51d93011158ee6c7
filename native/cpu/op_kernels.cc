// The CPU backend's table of op kernels: each op's cpu.cc defines <op>CpuKernels().
#include "cpu_backend.h"

#define GRADLOOP_KERNELS_BACKEND CpuBackend
#define GRADLOOP_KERNELS_SUFFIX Cpu
#include "../core/op_kernel_table.inc"
