// The CPU backend: cblas_sgemm from OpenBLAS for matrix products, plain C++
// loops (written to auto-vectorise) for everything else.
#pragma once
#include "../core/backend.h"

namespace gradloop {

class CpuBackend final : public Backend {
 public:
  CpuBackend();
  const char* name() const override { return "cpu"; }

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
};

// BLAS facts for `gradloop info` and the benchmark's ceiling.
int blasThreads();
void openblasSetThreads(int threads);
// The most threads this OpenBLAS build can run (its MAX_THREADS).
int maxBlasThreads();
// The kernel set OpenBLAS chose (or was told, OPENBLAS_CORETYPE) at load time, e.g. "Cooperlake".
const char* blasCoreName();
const char* blasConfig();

}  // namespace gradloop
