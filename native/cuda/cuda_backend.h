// The CUDA backend: cuBLAS (opened at run time, cublas_loader.h) for matrix products, CUDA
// kernels for everything else, all on one stream per device. Implements the same Backend
// interface as the CPU backend, so the core's Program and ops run unchanged on the GPU.
// No CUDA header here: the binding includes this from plain C++.
#pragma once
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "../core/backend.h"

namespace gradloop::cuda {

struct DeviceInfo {
  int index = 0;
  std::string name;
  uint64_t totalMemory = 0;
  int major = 0, minor = 0, multiprocessors = 0;
};

struct DeviceList {
  std::vector<DeviceInfo> devices;
  // Why there are none (no driver, no device, driver too old), empty when there are some.
  std::string reason;
  int runtimeVersion = 0, driverVersion = 0;
};

// Asks the CUDA runtime (linked statically); never throws: no driver means zero devices.
DeviceList listDevices();

// Free and total bytes on the device (cudaMemGetInfo).
void memoryInfo(int device, uint64_t* freeBytes, uint64_t* totalBytes);

class CudaBackend final : public Backend {
 public:
  // Opens cuBLAS and creates the device's stream; throws Error when either fails.
  CudaBackend(int device, bool tf32);
  ~CudaBackend() override;
  const char* name() const override { return "cuda"; }
  int device() const { return device_; }

  void* allocate(size_t bytes) override;
  void release(void* ptr) override;
  int64_t availableMemory(std::string* source) override;
  void copyFromHost(void* dst, const void* src, size_t bytes) override;
  void copyToHost(void* dst, const void* src, size_t bytes) override;
  void copy(void* dst, const void* src, size_t bytes) override;
  void gatherRows(void* dst, const void* src, size_t rowBytes, const int32_t* rows, int64_t count) override;

  void gemm(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
            const float* B, int64_t ldb, float beta, float* C, int64_t ldc) override;
  void softmaxCrossEntropy(const float* logits, const int32_t* labels, float* dlogits, int64_t rows, int64_t classes,
                           float scale, double* lossSum, int64_t* correct, int32_t ignoreIndex, float smoothing, const float* weights,
                           int64_t rowsPerWeight) override;
  int64_t countNotEqual(const int32_t* values, int64_t n, int32_t value) override;
  void binaryCrossEntropy(const float* logits, const float* target, float* dlogits, int64_t rows, int64_t cols,
                          float scale, double* lossSum, int64_t* correct, float smoothing, const float* weights) override;
  void ruleLoss(LossRule rule, float param, const float* pred, const float* target, float* dpred, int64_t rows, int64_t cols, float scale,
                double* lossSum, int64_t* correct, const float* weights,
                int64_t rowsPerWeight) override;

  void sgdUpdate(float* w, const float* g, float* momentumBuf, int64_t n, float lr, const SgdConfig& cfg,
                 bool firstStep, double* weightSquares) override;
  void adamUpdate(float* w, const float* g, float* m, float* v, int64_t n, float lr, const AdamConfig& cfg,
                  int64_t step, double* weightSquares) override;
  void ruleUpdate(OptimizerRule rule, float* w, const float* g, float* const* slots, int64_t n, const RuleScalars& c,
                  double* weightSquares) override;

  void sumSquares(const float* x, int64_t n, double* sum) override;
  void axpy(float* y, const float* x, int64_t n, float alpha) override;
  void copyBlocks(void* dst, int64_t dstStride, const void* src, int64_t srcStride, int64_t blocks, int64_t width,
                  bool accumulate) override;
  void scale(float* x, int64_t n, float s) override;
  void fill(float* x, int64_t n, float value) override;
  void clamp(float* x, int64_t n, float limit) override;
  const void* opKernels(OpId id) const override;

  // For op kernels (native/ops/<op>/cuda.cu): the device made current on this thread, the stream.
  void activate() const;  // cudaSetDevice on the calling (worker) thread
  void* stream() const { return stream_; }

 private:
  void* scratch(size_t bytes);                 // a per-backend device buffer, grown on demand
  void finishSum(int blocks, double* sum);      // adds the per-block partials in scratch into *sum (device)
  void reduceLoss(int64_t terms, double* lossSum, int64_t* correct);

  int device_;
  // Models on the same device share this backend and may step on different worker threads:
  // the methods that use the scratch buffer, the row slots or the cuBLAS handle hold this.
  std::mutex mutex_;
  void* stream_ = nullptr;  // cudaStream_t
  void* cublas_ = nullptr;  // cublasHandle_t
  void* scratch_ = nullptr;
  size_t scratchBytes_ = 0;
  // gatherRows' indices go up through a ring of pinned staging slots, so the upload is a true
  // async copy (a pageable one would synchronise the stream); a slot is reused only after the
  // event recorded behind its last copy has passed.
  static constexpr int kRowSlots = 4;
  struct RowSlot {
    int32_t* host = nullptr;  // pinned
    void* device = nullptr;
    size_t bytes = 0;
    void* copied = nullptr;  // cudaEvent_t
  };
  RowSlot rowSlots_[kRowSlots];
  int nextRowSlot_ = 0;
};

}  // namespace gradloop::cuda
