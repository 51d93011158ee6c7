// cuBLAS, opened at run time. The CUDA addon is built where only nvcc and the CUDA runtime exist
// (no cublas_v2.h, no libcublas: CI and dev machines), and must load on machines without any
// GPU, so it does not link cuBLAS: it dlopens libcublas.so.13 or .12 when a GPU is first used
// and declares the few entry points it calls (their C ABI has been stable since cuBLAS 10).
#pragma once
#include <string>

namespace gradloop::cuda {

// The C types of cublas_v2.h that gradloop uses, with cuBLAS' own values.
using cublasHandle_t = struct cublasContext*;
using cublasStatus_t = int;  // 0 = CUBLAS_STATUS_SUCCESS
enum cublasOperation_t : int { CUBLAS_OP_N = 0, CUBLAS_OP_T = 1 };
enum cublasMath_t : int { CUBLAS_DEFAULT_MATH = 0, CUBLAS_PEDANTIC_MATH = 2, CUBLAS_TF32_TENSOR_OP_MATH = 3 };

struct CublasApi {
  cublasStatus_t (*create)(cublasHandle_t*) = nullptr;                  // cublasCreate_v2
  cublasStatus_t (*destroy)(cublasHandle_t) = nullptr;                  // cublasDestroy_v2
  cublasStatus_t (*setStream)(cublasHandle_t, void* stream) = nullptr;  // cublasSetStream_v2
  cublasStatus_t (*setMathMode)(cublasHandle_t, cublasMath_t) = nullptr;
  cublasStatus_t (*getVersion)(cublasHandle_t, int*) = nullptr;         // cublasGetVersion_v2
  cublasStatus_t (*sgemm)(cublasHandle_t, cublasOperation_t, cublasOperation_t, int m, int n, int k,
                          const float* alpha, const float* A, int lda, const float* B, int ldb, const float* beta,
                          float* C, int ldc) = nullptr;                 // cublasSgemm_v2
  std::string path;  // the library that was opened
};

// Opens cuBLAS once (later calls return the same table). Search order: $GRADLOOP_CUBLAS_PATH
// (a file, or a folder holding libcublas.so.*), the loader's own path (LD_LIBRARY_PATH,
// ldconfig), /usr/local/cuda*/lib64, and the nvidia-cublas wheels of Python environments
// (site-packages/nvidia/cublas/lib, where PyTorch installs it). Throws Error naming what was
// tried and what to install when none loads.
const CublasApi& cublas();

// cuBLAS' name for a status code.
const char* cublasStatusName(cublasStatus_t status);

}  // namespace gradloop::cuda
