// The one interface every backend implements (cpu, cuda): what every op shares.
// All pointers are backend ("device") memory unless a parameter says host.
// Shapes are given in the comments as [rows, cols], row-major.
// Backward kernels take `accumulate`: false overwrites the gradient buffer,
// true adds to it (a tensor read by several nodes sums their gradients).
#pragma once
#include <cstddef>
#include <climits>
#include <cstdint>
#include <string>

#include "op_kernels.h"
#include "loss_rules.h"
#include "optimizer_rules.h"

namespace gradloop {

// No label is ignored (softmaxCrossEntropy's ignoreIndex): below any label a data set can hold.
constexpr int32_t kNoIgnoreIndex = INT32_MIN;

struct SgdConfig { float momentum = 0, weightDecay = 0; bool nesterov = false; };
struct AdamConfig { float beta1 = 0.9f, beta2 = 0.999f, epsilon = 1e-8f, weightDecay = 0; bool decoupled = false; };

class Backend {
 public:
  virtual ~Backend() = default;
  virtual const char* name() const = 0;

  // ---- memory ----
  virtual void* allocate(size_t bytes) = 0;  // zero-filled; throws RangeError naming the size on failure
  virtual void release(void* ptr) = 0;
  // Bytes this backend can still allocate without failing or getting the process killed, or -1
  // when it cannot tell; `source` (may be null) receives where the figure comes from.
  virtual int64_t availableMemory(std::string* source) = 0;
  virtual void copyFromHost(void* dst, const void* hostSrc, size_t bytes) = 0;
  virtual void copyToHost(void* hostDst, const void* src, size_t bytes) = 0;
  virtual void copy(void* dst, const void* src, size_t bytes) = 0;

  // dst[i, :] = src[rows[i], :] for i < count; rowBytes per row. rows is host memory.
  virtual void gatherRows(void* dst, const void* src, size_t rowBytes, const int32_t* hostRows, int64_t count) = 0;

  // ---- dense algebra ----
  // C[M,N] = alpha * op(A) * op(B) + beta * C, row-major, op = transpose when flagged.
  virtual void gemm(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
                    int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc) = 0;
  // ---- losses: write the summed loss and the count of correct predictions into device
  // scalars (lossSum[0], correct[0]) and the gradient of the *mean* loss into dlogits.
  // scale = 1 / (number of terms the mean divides by). ----
  // logits[rows, classes], labels[rows] (int32 class indices).
  // Rows whose label is ignoreIndex (a padding label) add nothing: no loss, a zero gradient, not
  // counted as correct.
  // smoothing: PyTorch's label_smoothing (Keras' for one-hot targets): the target is
  // (1 - smoothing) on the label and smoothing / classes on every class.
  // weights (may be null): a weight per sample, rows [rowsPerWeight r, rowsPerWeight (r + 1))
  // belonging to sample r; each row's loss and gradient are multiplied by its sample's (fit's
  // sampleWeight and classWeight). The same for the losses below.
  virtual void softmaxCrossEntropy(const float* logits, const int32_t* labels, float* dlogits, int64_t rows,
                                   int64_t classes, float scale, double* lossSum, int64_t* correct, int32_t ignoreIndex = kNoIgnoreIndex,
                                   float smoothing = 0, const float* weights = nullptr, int64_t rowsPerWeight = 1) = 0;
  // How many of values[n] differ from `value` (the labels a loss with ignoreIndex counts), as a
  // host number: on a GPU this waits for the device.
  virtual int64_t countNotEqual(const int32_t* values, int64_t n, int32_t value) = 0;
  // logits/target [rows, cols]; stable sigmoid cross-entropy from logits, against the target
  // t (1 - smoothing) + smoothing / 2 (Keras' label_smoothing); weights one per row.
  virtual void binaryCrossEntropy(const float* logits, const float* target, float* dlogits, int64_t rows,
                                  int64_t cols, float scale, double* lossSum, int64_t* correct, float smoothing = 0,
                                  const float* weights = nullptr) = 0;

  // The other losses (loss_rules.h) over pred/target [rows, cols] (categoricalCrossEntropy: pred
  // are logits): the summed loss, the gradient of the mean and the count of correct predictions,
  // the argmax agreement of each row (for one column, (p > 0.5) == (t > 0.5), Keras' choice). param:
  // Huber's delta, or categoricalCrossEntropy's label smoothing.
  virtual void ruleLoss(LossRule rule, float param, const float* pred, const float* target, float* dpred, int64_t rows, int64_t cols,
                        float scale, double* lossSum, int64_t* correct, const float* weights = nullptr, int64_t rowsPerWeight = 1) = 0;

  // ---- optimizer updates, fused over one parameter tensor of n elements ----
  // Each also writes the sum of squares of the updated weights (weight norms), computed in the
  // same pass, into *weightSquares: backend memory, read back later with the step's other
  // numbers, so a GPU never waits for it.
  // momentumBuf may be null when momentum == 0. firstStep initialises the buffer as PyTorch does.
  virtual void sgdUpdate(float* w, const float* g, float* momentumBuf, int64_t n, float lr, const SgdConfig& cfg,
                         bool firstStep, double* weightSquares) = 0;
  // step is 1-based (bias correction).
  virtual void adamUpdate(float* w, const float* g, float* m, float* v, int64_t n, float lr, const AdamConfig& cfg,
                          int64_t step, double* weightSquares) = 0;

  // The other optimizers (optimizer_rules.h): one step of `rule` over n weights with its state
  // slots (slots[k] for k < the rule's count) and the step's scalars.
  virtual void ruleUpdate(OptimizerRule rule, float* w, const float* g, float* const* slots, int64_t n, const RuleScalars& c,
                          double* weightSquares) = 0;

  // Sum of squares of x[n] into *sum (backend memory; gradient norms, L2 penalties); NaN/Inf
  // when x holds one. The summation order is fixed, so the result does not depend on threads.
  virtual void sumSquares(const float* x, int64_t n, double* sum) = 0;
  // y[n] += alpha * x[n] (L2 regularization's gradient).
  virtual void axpy(float* y, const float* x, int64_t n, float alpha) = 0;
  // A strided 2-D copy, for concatenating, slicing and repeating along an axis: for each of
  // `blocks` blocks, dst[b * dstStride + i] = src[b * srcStride + i] for i < width (+= when
  // accumulating a gradient). Strides and width count 4-byte values (float32, or int32 bits).
  virtual void copyBlocks(void* dst, int64_t dstStride, const void* src, int64_t srcStride, int64_t blocks,
                          int64_t width, bool accumulate) = 0;
  // x[n] *= s (gradient clipping by norm).
  virtual void scale(float* x, int64_t n, float s) = 0;
  // x[n] = value (the zero gradient of an input an op's output does not depend on, such as a mask).
  virtual void fill(float* x, int64_t n, float value) = 0;
  // x[n] = min(max(x, -limit), limit) (gradient clipping by value).
  virtual void clamp(float* x, int64_t n, float limit) = 0;

  // ---- the ops' own kernels ----
  // The kernel table of op `id` on this backend: a <Name>Kernels struct (native/ops/<op>/kernels.h).
  virtual const void* opKernels(OpId id) const = 0;
};

// Op `Kernels`' table on backend b: kernelsOf<SoftmaxKernels>(b).forward(b, ...).
template <class Kernels>
const Kernels& kernelsOf(const Backend& b) {
  return *static_cast<const Kernels*>(b.opKernels(Kernels::kOp));
}

// dx (+)= dy over n elements: the backward of ops that pass values through unchanged.
inline void passGradient(Backend& b, const float* dy, float* dx, int64_t n, bool accumulate) {
  if (accumulate) b.axpy(dx, dy, n, 1.0f);
  else b.copy(dx, dy, static_cast<size_t>(n) * sizeof(float));
}

}  // namespace gradloop
