// GRADLOOP_HOST_DEVICE marks the few core functions the CUDA kernels call as well (dropout's
// random stream, the activation formulas), so both backends compute exactly the same thing.
// Plain `inline` for every other compiler.
#pragma once

#if defined(__CUDACC__)
#define GRADLOOP_HOST_DEVICE __host__ __device__
#else
#define GRADLOOP_HOST_DEVICE
#endif
