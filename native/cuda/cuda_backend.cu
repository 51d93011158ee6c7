// The CUDA backend's device, memory and matrix-product side: device listing, the stream and cuBLAS
// handle, allocation, copies, batch gathering by row index, gemm, and the small elementwise and
// reduction helpers. The op kernels are in activations.cu, embedding.cu, losses.cu, optimizers.cu.
#include <cstring>
#include <mutex>

#include "../core/tensor.h"
#include "cublas_loader.h"
#include "cuda_backend.h"
#include "kernel_utils.cuh"

namespace gradloop::cuda {
namespace {

// out[0] = sum of in[0..n), one block.
__global__ void sumDoubles(const double* in, int n, double* out) {
  double s = 0;
  for (int i = threadIdx.x; i < n; i += blockDim.x) s += in[i];
  s = blockSum(s);
  if (threadIdx.x == 0) out[0] = s;
}

__global__ void sumSquaresKernel(const float* x, int64_t n, double* partial) {
  double s = 0;
  GRADLOOP_GRID_STRIDE(i, n) s += static_cast<double>(x[i]) * x[i];
  s = blockSum(s);
  if (threadIdx.x == 0) partial[blockIdx.x] = s;
}

__global__ void gatherWords(uint32_t* dst, const uint32_t* src, int64_t words, const int32_t* rows, int64_t count) {
  GRADLOOP_GRID_STRIDE(i, count * words) {
    const int64_t r = i / words, w = i % words;
    dst[i] = src[static_cast<int64_t>(rows[r]) * words + w];
  }
}

__global__ void axpyKernel(float* y, const float* x, int64_t n, float alpha) { GRADLOOP_GRID_STRIDE(i, n) y[i] += alpha * x[i]; }
__global__ void addBlocksKernel(float* dst, int64_t dstStride, const float* src, int64_t srcStride, int64_t width,
                                int64_t n) {
  GRADLOOP_GRID_STRIDE(i, n) {
    const int64_t b = i / width, k = i % width;
    dst[b * dstStride + k] += src[b * srcStride + k];
  }
}
__global__ void scaleKernel(float* x, int64_t n, float s) { GRADLOOP_GRID_STRIDE(i, n) x[i] *= s; }
__global__ void fillKernel(float* x, int64_t n, float value) { GRADLOOP_GRID_STRIDE(i, n) x[i] = value; }
__global__ void clampKernel(float* x, int64_t n, float limit) { GRADLOOP_GRID_STRIDE(i, n) x[i] = fminf(fmaxf(x[i], -limit), limit); }

}  // namespace

DeviceList listDevices() {
  DeviceList list;
  cudaRuntimeGetVersion(&list.runtimeVersion);
  cudaDriverGetVersion(&list.driverVersion);  // 0 without a driver
  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess) {
    list.reason = std::string(cudaGetErrorName(status)) + ": " + cudaGetErrorString(status);
    cudaGetLastError();  // clear it
    return list;
  }
  if (count == 0) list.reason = "the CUDA driver reports no devices";
  for (int i = 0; i < count; ++i) {
    cudaDeviceProp p{};
    if (cudaGetDeviceProperties(&p, i) != cudaSuccess) continue;
    list.devices.push_back({i, p.name, static_cast<uint64_t>(p.totalGlobalMem), p.major, p.minor, p.multiProcessorCount});
  }
  return list;
}

void memoryInfo(int device, uint64_t* freeBytes, uint64_t* totalBytes) {
  check(cudaSetDevice(device), "cudaSetDevice");
  size_t f = 0, t = 0;
  check(cudaMemGetInfo(&f, &t), "cudaMemGetInfo");
  *freeBytes = f, *totalBytes = t;
}

CudaBackend::CudaBackend(int device, bool tf32) : device_(device) {
  const CublasApi& api = cublas();  // throws, naming what to install, when cuBLAS is missing
  activate();
  cudaStream_t stream;
  check(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking), "cudaStreamCreate");
  stream_ = stream;
  cublasHandle_t handle;
  cublasStatus_t st = api.create(&handle);
  if (st != 0) throw std::runtime_error(std::string("cuBLAS: cublasCreate failed: ") + cublasStatusName(st));
  cublas_ = handle;
  api.setStream(handle, stream_);
  // float32 products stay float32 unless the user opts into TF32 tensor cores.
  api.setMathMode(handle, tf32 ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH);
}

CudaBackend::~CudaBackend() {
  cudaSetDevice(device_);
  if (cublas_) cublas().destroy(static_cast<cublasHandle_t>(cublas_));
  if (scratch_) cudaFree(scratch_);
  for (RowSlot& slot : rowSlots_) {
    if (slot.copied) cudaEventDestroy(static_cast<cudaEvent_t>(slot.copied));
    if (slot.host) cudaFreeHost(slot.host);
    if (slot.device) cudaFree(slot.device);
  }
  if (stream_) cudaStreamDestroy(asStream(stream_));
}

void CudaBackend::activate() const { check(cudaSetDevice(device_), "cudaSetDevice"); }

int64_t CudaBackend::availableMemory(std::string* source) {
  activate();
  size_t freeBytes = 0, totalBytes = 0;
  if (cudaMemGetInfo(&freeBytes, &totalBytes) != cudaSuccess) {
    cudaGetLastError();
    return -1;
  }
  if (source) *source = "free memory on cuda:" + std::to_string(device_);
  return static_cast<int64_t>(freeBytes);
}

void* CudaBackend::allocate(size_t bytes) {
  activate();
  void* ptr = nullptr;
  const cudaError_t status = cudaMalloc(&ptr, bytes);
  if (status != cudaSuccess) {
    cudaGetLastError();
    size_t freeBytes = 0, totalBytes = 0;
    cudaMemGetInfo(&freeBytes, &totalBytes);
    throw RangeError("out of GPU memory: cannot allocate a tensor of " + std::to_string(bytes) + " bytes (" +
                     std::to_string(bytes >> 20) + " MiB) on cuda:" + std::to_string(device_) + ", " +
                     std::to_string(freeBytes >> 20) + " MiB free of " + std::to_string(totalBytes >> 20) +
                     " MiB; use a smaller batchSize or model, or dispose() models you no longer need");
  }
  check(cudaMemsetAsync(ptr, 0, bytes, asStream(stream_)), "cudaMemsetAsync");
  return ptr;
}

void CudaBackend::release(void* ptr) {
  cudaSetDevice(device_);
  cudaStreamSynchronize(asStream(stream_));  // nothing queued may still use it
  cudaFree(ptr);
}

void CudaBackend::copyFromHost(void* dst, const void* src, size_t bytes) {
  activate();
  check(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, asStream(stream_)), "copy to the GPU");
  check(cudaStreamSynchronize(asStream(stream_)), "copy to the GPU");  // the host memory may go away after
}

void CudaBackend::copyToHost(void* dst, const void* src, size_t bytes) {
  activate();
  check(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, asStream(stream_)), "copy from the GPU");
  check(cudaStreamSynchronize(asStream(stream_)), "copy from the GPU");
}

void CudaBackend::copy(void* dst, const void* src, size_t bytes) {
  activate();
  check(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, asStream(stream_)), "copy on the GPU");
}

void* CudaBackend::scratch(size_t bytes) {
  if (bytes > scratchBytes_) {
    if (scratch_) {
      cudaStreamSynchronize(asStream(stream_));
      cudaFree(scratch_);
      scratch_ = nullptr, scratchBytes_ = 0;
    }
    const size_t grown = std::max(bytes, scratchBytes_ * 2);
    check(cudaMalloc(&scratch_, grown), "allocating GPU scratch memory");
    scratchBytes_ = grown;
  }
  return scratch_;
}

void CudaBackend::gatherRows(void* dst, const void* src, size_t rowBytes, const int32_t* rows, int64_t count) {
  std::lock_guard<std::mutex> lock(mutex_);  // scratch, row slots and the cuBLAS handle are shared
  activate();
  cudaStream_t stream = asStream(stream_);
  RowSlot& slot = rowSlots_[nextRowSlot_];
  nextRowSlot_ = (nextRowSlot_ + 1) % kRowSlots;
  const size_t bytes = static_cast<size_t>(count) * sizeof(int32_t);
  if (slot.copied) check(cudaEventSynchronize(static_cast<cudaEvent_t>(slot.copied)), "waiting for a row upload");
  if (bytes > slot.bytes) {
    if (slot.host) cudaFreeHost(slot.host);
    if (slot.device) cudaFree(slot.device);
    slot.bytes = std::max(bytes, static_cast<size_t>(16384));
    check(cudaMallocHost(reinterpret_cast<void**>(&slot.host), slot.bytes), "allocating pinned row indices");
    check(cudaMalloc(&slot.device, slot.bytes), "allocating row indices");
  }
  if (!slot.copied) {
    cudaEvent_t event;
    check(cudaEventCreateWithFlags(&event, cudaEventDisableTiming), "cudaEventCreate");
    slot.copied = event;
  }
  // The batch's row indices (4 bytes a row) are the only per-step upload; the data set is on the GPU.
  std::memcpy(slot.host, rows, bytes);
  check(cudaMemcpyAsync(slot.device, slot.host, bytes, cudaMemcpyHostToDevice, stream), "uploading row indices");
  check(cudaEventRecord(static_cast<cudaEvent_t>(slot.copied), stream), "cudaEventRecord");
  const int64_t words = static_cast<int64_t>(rowBytes / 4);
  gatherWords<<<blocksFor(count * words), kThreads, 0, stream>>>(static_cast<uint32_t*>(dst), static_cast<const uint32_t*>(src),
                                                                 words, static_cast<const int32_t*>(slot.device), count);
  checkLaunch("gatherRows");
}

void CudaBackend::gemm(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
                       const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  std::lock_guard<std::mutex> lock(mutex_);  // scratch, row slots and the cuBLAS handle are shared
  activate();
  // Row-major C = op(A) op(B) is column-major C^T = op(B)^T op(A)^T: swap the operands.
  const cublasStatus_t st = cublas().sgemm(static_cast<cublasHandle_t>(cublas_), transB ? CUBLAS_OP_T : CUBLAS_OP_N,
                                           transA ? CUBLAS_OP_T : CUBLAS_OP_N, static_cast<int>(N), static_cast<int>(M),
                                           static_cast<int>(K), &alpha, B, static_cast<int>(ldb), A, static_cast<int>(lda),
                                           &beta, C, static_cast<int>(ldc));
  if (st != 0) throw std::runtime_error(std::string("cuBLAS: sgemm failed: ") + cublasStatusName(st));
}

void CudaBackend::finishSum(int blocks, double* sum) {
  sumDoubles<<<1, kThreads, 0, asStream(stream_)>>>(static_cast<double*>(scratch_), blocks, sum);
  checkLaunch("sum");
}

void CudaBackend::sumSquares(const float* x, int64_t n, double* sum) {
  std::lock_guard<std::mutex> lock(mutex_);  // scratch, row slots and the cuBLAS handle are shared
  activate();
  double* partial = static_cast<double*>(scratch(kMaxBlocks * sizeof(double)));
  const int blocks = reduceBlocks(n);
  sumSquaresKernel<<<blocks, kThreads, 0, asStream(stream_)>>>(x, n, partial);
  checkLaunch("sumSquares");
  finishSum(blocks, sum);
}

void CudaBackend::axpy(float* y, const float* x, int64_t n, float alpha) {
  activate();
  axpyKernel<<<blocksFor(n), kThreads, 0, asStream(stream_)>>>(y, x, n, alpha);
  checkLaunch("axpy");
}

void CudaBackend::copyBlocks(void* dst, int64_t dstStride, const void* src, int64_t srcStride, int64_t blocks,
                             int64_t width, bool accumulate) {
  activate();
  if (blocks <= 0 || width <= 0) return;
  if (!accumulate) {
    check(cudaMemcpy2DAsync(dst, static_cast<size_t>(dstStride) * 4, src, static_cast<size_t>(srcStride) * 4,
                            static_cast<size_t>(width) * 4, static_cast<size_t>(blocks), cudaMemcpyDeviceToDevice,
                            asStream(stream_)),
          "copyBlocks");
    return;
  }
  const int64_t n = blocks * width;
  addBlocksKernel<<<blocksFor(n), kThreads, 0, asStream(stream_)>>>(static_cast<float*>(dst), dstStride,
                                                                    static_cast<const float*>(src), srcStride, width, n);
  checkLaunch("copyBlocks");
}

void CudaBackend::scale(float* x, int64_t n, float s) {
  activate();
  scaleKernel<<<blocksFor(n), kThreads, 0, asStream(stream_)>>>(x, n, s);
  checkLaunch("scale");
}

void CudaBackend::fill(float* x, int64_t n, float value) {
  activate();
  fillKernel<<<blocksFor(n), kThreads, 0, asStream(stream_)>>>(x, n, value);
  checkLaunch("fill");
}

void CudaBackend::clamp(float* x, int64_t n, float limit) {
  activate();
  clampKernel<<<blocksFor(n), kThreads, 0, asStream(stream_)>>>(x, n, limit);
  checkLaunch("clamp");
}

}  // namespace gradloop::cuda
