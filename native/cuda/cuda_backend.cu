// The CUDA backend's kernels, each forward next to its backward as in the CPU backend. Results
// follow the CPU formulas: the activations and the dropout stream are the same functions
// (core/activation_math.h, core/rng.h), softmax/log-sum-exp and the fused updates the same math. Reductions (bias gradients, losses, sums of squares) use a fixed
// grid and a fixed tree, so they are deterministic run to run; only the embedding gradient's
// scatter-add uses float atomics, whose order can vary when an id repeats within a batch.
#include <cuda_runtime.h>

#include <algorithm>
#include <mutex>
#include <cmath>
#include <cstring>
#include <string>

#include "../core/activation_math.h"
#include "../core/rng.h"
#include "../core/tensor.h"
#include "cublas_loader.h"
#include "cuda_backend.h"

namespace gradloop::cuda {
namespace {

constexpr int kThreads = 256;
constexpr int kMaxBlocks = 1024;  // the fixed grid of reductions (the partials' count)

void check(cudaError_t status, const char* what) {
  if (status != cudaSuccess) throw std::runtime_error(std::string("CUDA: ") + what + " failed: " + cudaGetErrorString(status));
}
void checkLaunch(const char* kernel) { check(cudaGetLastError(), kernel); }

inline int blocksFor(int64_t n) { return static_cast<int>(std::min<int64_t>((n + kThreads - 1) / kThreads, 65535)); }
inline int reduceBlocks(int64_t n) { return static_cast<int>(std::max<int64_t>(1, std::min<int64_t>((n + kThreads - 1) / kThreads, kMaxBlocks))); }
inline cudaStream_t asStream(void* s) { return static_cast<cudaStream_t>(s); }

#define GRID_STRIDE(i, n) for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < (n); i += static_cast<int64_t>(blockDim.x) * gridDim.x)

// ---- reductions: a block's threads -> one value, fixed order ----

template <typename T>
__device__ T blockSum(T value) {
  __shared__ T shared[kThreads];
  shared[threadIdx.x] = value;
  __syncthreads();
  for (int half = blockDim.x / 2; half > 0; half >>= 1) {
    if (threadIdx.x < half) shared[threadIdx.x] += shared[threadIdx.x + half];
    __syncthreads();
  }
  T total = shared[0];
  __syncthreads();
  return total;
}

// out[0] = sum of in[0..n), one block.
__global__ void sumDoubles(const double* in, int n, double* out) {
  double s = 0;
  for (int i = threadIdx.x; i < n; i += blockDim.x) s += in[i];
  s = blockSum(s);
  if (threadIdx.x == 0) out[0] = s;
}

// Per-row losses and hits -> the program's device scalars (a double sum and an int64 count).
__global__ void sumLossTerms(const double* loss, const int* hits, int64_t n, double* lossSum, int64_t* correct) {
  double s = 0;
  long long h = 0;
  for (int64_t i = threadIdx.x; i < n; i += blockDim.x) s += loss[i], h += hits[i];
  s = blockSum(s);
  h = blockSum(h);
  if (threadIdx.x == 0) *lossSum = s, *correct = h;
}

__global__ void sumSquaresKernel(const float* x, int64_t n, double* partial) {
  double s = 0;
  GRID_STRIDE(i, n) s += static_cast<double>(x[i]) * x[i];
  s = blockSum(s);
  if (threadIdx.x == 0) partial[blockIdx.x] = s;
}

// ---- memory ----

__global__ void gatherWords(uint32_t* dst, const uint32_t* src, int64_t words, const int32_t* rows, int64_t count) {
  GRID_STRIDE(i, count * words) {
    const int64_t r = i / words, w = i % words;
    dst[i] = src[static_cast<int64_t>(rows[r]) * words + w];
  }
}

// ---- activations ----

using activation::apply;
using activation::derivative;

template <Activation A>
__global__ void biasActivationKernel(float* y, float* preact, const float* bias, int64_t rows, int64_t cols, float alpha) {
  GRID_STRIDE(i, rows * cols) {
    const float z = bias ? y[i] + bias[i % cols] : y[i];
    if (preact) preact[i] = z;
    y[i] = apply<A>(z, alpha);
  }
}
template <Activation A>
__global__ void activationKernel(const float* x, float* y, int64_t n, float alpha) {
  GRID_STRIDE(i, n) y[i] = apply<A>(x[i], alpha);
}
template <Activation A>
__global__ void activationBackwardKernel(const float* x, const float* y, const float* dy, float* dx, int64_t n, float alpha,
                                         bool accumulate) {
  GRID_STRIDE(i, n) {
    const float g = dy[i] * derivative<A>(x ? x[i] : 0.0f, y ? y[i] : 0.0f, alpha);
    dx[i] = accumulate ? dx[i] + g : g;
  }
}

#define GRADLOOP_CUDA_DISPATCH(act, kernel, grid, ...)                                                      \
  switch (act) {                                                                                            \
    case Activation::Linear: kernel<Activation::Linear><<<grid, kThreads, 0, s>>>(__VA_ARGS__); break;       \
    case Activation::Relu: kernel<Activation::Relu><<<grid, kThreads, 0, s>>>(__VA_ARGS__); break;           \
    case Activation::LeakyRelu: kernel<Activation::LeakyRelu><<<grid, kThreads, 0, s>>>(__VA_ARGS__); break; \
    case Activation::Sigmoid: kernel<Activation::Sigmoid><<<grid, kThreads, 0, s>>>(__VA_ARGS__); break;     \
    case Activation::Tanh: kernel<Activation::Tanh><<<grid, kThreads, 0, s>>>(__VA_ARGS__); break;           \
    case Activation::Gelu: kernel<Activation::Gelu><<<grid, kThreads, 0, s>>>(__VA_ARGS__); break;           \
  }

// Column sums of dy[rows, cols]: a block covers 32 columns; its 8 thread rows stride over the
// rows, then one thread per column adds the 8 partials in order.
__global__ void biasBackwardKernel(const float* dy, float* dbias, int64_t rows, int64_t cols, bool accumulate) {
  __shared__ float partial[8][33];
  const int64_t c = blockIdx.x * 32 + threadIdx.x;
  float s = 0;
  if (c < cols)
    for (int64_t r = threadIdx.y; r < rows; r += 8) s += dy[r * cols + c];
  partial[threadIdx.y][threadIdx.x] = s;
  __syncthreads();
  if (threadIdx.y == 0 && c < cols) {
    float total = 0;
    for (int k = 0; k < 8; ++k) total += partial[k][threadIdx.x];
    dbias[c] = accumulate ? dbias[c] + total : total;
  }
}

// ---- softmax: one warp per row ----

__device__ inline float warpMax(float v) {
  for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}
__device__ inline float warpSum(float v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}
// The largest value and its first index across the warp (ties: the lowest index, as the CPU).
__device__ inline void warpArgMax(float& v, int64_t& idx) {
  for (int o = 16; o > 0; o >>= 1) {
    const float ov = __shfl_xor_sync(0xffffffffu, v, o);
    const int64_t oi = __shfl_xor_sync(0xffffffffu, idx, o);
    if (ov > v || (ov == v && oi < idx)) v = ov, idx = oi;
  }
}

constexpr int kRowsPerBlock = kThreads / 32;
inline int rowBlocks(int64_t rows) { return static_cast<int>((rows + kRowsPerBlock - 1) / kRowsPerBlock); }
// The row this thread's warp handles (kernels launched with rowBlocks), and its lane.
__device__ inline int64_t warpRow() { return blockIdx.x * static_cast<int64_t>(kRowsPerBlock) + threadIdx.x / 32; }
__device__ inline int laneIndex() { return threadIdx.x % 32; }

__global__ void softmaxKernel(const float* x, float* y, int64_t rows, int64_t cols) {
  const int64_t r = warpRow();
  const int lane = laneIndex();
  if (r >= rows) return;
  const float* in = x + r * cols;
  float* out = y + r * cols;
  float mx = -INFINITY;
  for (int64_t c = lane; c < cols; c += 32) mx = fmaxf(mx, in[c]);
  mx = warpMax(mx);
  float sum = 0;
  for (int64_t c = lane; c < cols; c += 32) sum += (out[c] = expf(in[c] - mx));
  const float inv = 1.0f / warpSum(sum);
  for (int64_t c = lane; c < cols; c += 32) out[c] *= inv;
}

__global__ void softmaxBackwardKernel(const float* y, const float* dy, float* dx, int64_t rows, int64_t cols, bool accumulate) {
  const int64_t r = warpRow();
  const int lane = laneIndex();
  if (r >= rows) return;
  const float *yr = y + r * cols, *dyr = dy + r * cols;
  float* dxr = dx + r * cols;
  float dot = 0;
  for (int64_t c = lane; c < cols; c += 32) dot += dyr[c] * yr[c];
  dot = warpSum(dot);
  for (int64_t c = lane; c < cols; c += 32) {
    const float g = yr[c] * (dyr[c] - dot);
    dxr[c] = accumulate ? dxr[c] + g : g;
  }
}

// ---- dropout: the CPU's counter-based stream, so masks are identical on both backends ----

__global__ void dropoutKernel(const float* x, float* y, int64_t n, float rate, uint64_t seed, uint64_t stream, bool accumulate) {
  const float scale = 1.0f / (1.0f - rate);
  GRID_STRIDE(i, n) {
    const float g = uniformAt(seed, stream, static_cast<uint64_t>(i)) >= rate ? x[i] * scale : 0.0f;
    y[i] = accumulate ? y[i] + g : g;
  }
}

// ---- embedding (ids were range-checked on the host before they were uploaded) ----

__global__ void embeddingGather(const int32_t* ids, const float* table, float* out, int64_t count, int64_t dim) {
  GRID_STRIDE(i, count * dim) out[i] = table[static_cast<int64_t>(ids[i / dim]) * dim + i % dim];
}
__global__ void embeddingScatterAdd(const int32_t* ids, const float* dout, float* dtable, int64_t count, int64_t dim) {
  GRID_STRIDE(i, count * dim) atomicAdd(dtable + static_cast<int64_t>(ids[i / dim]) * dim + i % dim, dout[i]);
}

// ---- losses: per-row terms into scratch, then one deterministic sum ----

__global__ void softmaxCrossEntropyKernel(const float* logits, const int32_t* labels, float* dlogits, int64_t rows,
                                          int64_t classes, float scale, double* loss, int* hits) {
  const int64_t r = warpRow();
  const int lane = laneIndex();
  if (r >= rows) return;
  const float* z = logits + r * classes;
  float* dz = dlogits + r * classes;
  // Per lane: the first maximum among its columns; then across lanes (lowest index wins ties).
  float mx = -INFINITY;
  int64_t best = classes;
  for (int64_t c = lane; c < classes; c += 32)
    if (z[c] > mx) mx = z[c], best = c;
  warpArgMax(mx, best);
  float sum = 0;
  for (int64_t c = lane; c < classes; c += 32) sum += (dz[c] = expf(z[c] - mx));
  sum = warpSum(sum);
  const int32_t label = labels[r];
  const float inv = scale / sum;
  for (int64_t c = lane; c < classes; c += 32) dz[c] = dz[c] * inv - (c == label ? scale : 0.0f);
  if (lane == 0) {
    loss[r] = static_cast<double>(logf(sum) + mx - z[label]);
    hits[r] = best == label;
  }
}

__global__ void meanSquaredErrorKernel(const float* pred, const float* target, float* dpred, int64_t rows, int64_t cols,
                                       float scale, double* loss, int* hits) {
  const int64_t r = warpRow();
  const int lane = laneIndex();
  if (r >= rows) return;
  const float *p = pred + r * cols, *t = target + r * cols;
  float* dp = dpred + r * cols;
  float rowSum = 0, pMax = -INFINITY, tMax = -INFINITY;
  int64_t pBest = cols, tBest = cols;
  for (int64_t c = lane; c < cols; c += 32) {
    const float d = p[c] - t[c];
    rowSum += d * d;
    dp[c] = 2.0f * d * scale;
    if (p[c] > pMax) pMax = p[c], pBest = c;
    if (t[c] > tMax) tMax = t[c], tBest = c;
  }
  rowSum = warpSum(rowSum);
  warpArgMax(pMax, pBest);
  warpArgMax(tMax, tBest);
  if (lane == 0) {
    loss[r] = rowSum;
    hits[r] = cols == 1 ? ((p[0] > 0.5f) == (t[0] > 0.5f)) : (pBest == tBest);
  }
}

__global__ void binaryCrossEntropyKernel(const float* logits, const float* target, float* dlogits, int64_t n, float scale,
                                         double* loss, int* hits) {
  GRID_STRIDE(i, n) {
    const float z = logits[i], t = target[i];
    const float e = expf(-fabsf(z));
    loss[i] = static_cast<double>((z > 0 ? z : 0.0f) - z * t + log1pf(e));
    const float s = z >= 0 ? 1.0f / (1.0f + e) : e / (1.0f + e);
    dlogits[i] = (s - t) * scale;
    hits[i] = (z > 0) == (t > 0.5f);
  }
}

// ---- fused optimizer updates; each block also sums its updated weights' squares ----

__global__ void sgdKernel(float* w, const float* g, float* buf, int64_t n, float lr, float wd, float mu, bool firstStep,
                          bool nesterov, double* partial) {
  double sq = 0;
  GRID_STRIDE(i, n) {
    const float d = g[i] + wd * w[i];
    float step = d;
    if (buf) {
      const float b = firstStep ? d : mu * buf[i] + d;
      buf[i] = b;
      step = nesterov ? d + mu * b : b;
    }
    const float wi = w[i] - lr * step;
    w[i] = wi;
    sq += static_cast<double>(wi) * wi;
  }
  sq = blockSum(sq);
  if (threadIdx.x == 0) partial[blockIdx.x] = sq;
}

__global__ void adamKernel(float* w, const float* g, float* m, float* v, int64_t n, float stepSize, float invSqrtBc2, float b1,
                           float b2, float eps, float l2, float shrink, double* partial) {
  double sq = 0;
  GRID_STRIDE(i, n) {
    const float wi = w[i] * shrink;
    const float gi = g[i] + l2 * w[i];
    const float mi = b1 * m[i] + (1.0f - b1) * gi;
    const float vi = b2 * v[i] + (1.0f - b2) * gi * gi;
    m[i] = mi;
    v[i] = vi;
    const float wn = wi - stepSize * mi / (sqrtf(vi) * invSqrtBc2 + eps);
    w[i] = wn;
    sq += static_cast<double>(wn) * wn;
  }
  sq = blockSum(sq);
  if (threadIdx.x == 0) partial[blockIdx.x] = sq;
}

__global__ void axpyKernel(float* y, const float* x, int64_t n, float alpha) { GRID_STRIDE(i, n) y[i] += alpha * x[i]; }
__global__ void scaleKernel(float* x, int64_t n, float s) { GRID_STRIDE(i, n) x[i] *= s; }
__global__ void clampKernel(float* x, int64_t n, float limit) { GRID_STRIDE(i, n) x[i] = fminf(fmaxf(x[i], -limit), limit); }

double integerPower(double base, int64_t step) {
  double result = 1;
  for (; step > 0; step >>= 1, base *= base)
    if (step & 1) result *= base;
  return result;
}

}  // namespace

// ---------------------------------------------------------------------------------------------

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

void CudaBackend::biasActivationForward(float* y, float* preact, const float* bias, int64_t rows, int64_t cols,
                                        Activation act, float alpha) {
  activate();
  cudaStream_t s = asStream(stream_);
  GRADLOOP_CUDA_DISPATCH(act, biasActivationKernel, blocksFor(rows * cols), y, preact, bias, rows, cols, alpha)
  checkLaunch("biasActivation");
}

void CudaBackend::biasBackward(const float* dy, float* dbias, int64_t rows, int64_t cols, bool accumulate) {
  activate();
  biasBackwardKernel<<<static_cast<unsigned>((cols + 31) / 32), dim3(32, 8), 0, asStream(stream_)>>>(dy, dbias, rows, cols,
                                                                                                     accumulate);
  checkLaunch("biasBackward");
}

void CudaBackend::activationForward(const float* x, float* y, int64_t n, Activation act, float alpha) {
  activate();
  cudaStream_t s = asStream(stream_);
  GRADLOOP_CUDA_DISPATCH(act, activationKernel, blocksFor(n), x, y, n, alpha)
  checkLaunch("activation");
}

void CudaBackend::activationBackward(const float* x, const float* y, const float* dy, float* dx, int64_t n, Activation act,
                                     float alpha, bool accumulate) {
  activate();
  cudaStream_t s = asStream(stream_);
  GRADLOOP_CUDA_DISPATCH(act, activationBackwardKernel, blocksFor(n), x, y, dy, dx, n, alpha, accumulate)
  checkLaunch("activationBackward");
}

void CudaBackend::softmaxForward(const float* x, float* y, int64_t rows, int64_t cols) {
  activate();
  softmaxKernel<<<rowBlocks(rows), kThreads, 0, asStream(stream_)>>>(x, y, rows, cols);
  checkLaunch("softmax");
}

void CudaBackend::softmaxBackward(const float* y, const float* dy, float* dx, int64_t rows, int64_t cols, bool accumulate) {
  activate();
  softmaxBackwardKernel<<<rowBlocks(rows), kThreads, 0, asStream(stream_)>>>(y, dy, dx, rows, cols, accumulate);
  checkLaunch("softmaxBackward");
}

void CudaBackend::dropoutForward(const float* x, float* y, int64_t n, float rate, uint64_t seed, uint64_t stream) {
  activate();
  dropoutKernel<<<blocksFor(n), kThreads, 0, asStream(stream_)>>>(x, y, n, rate, seed, stream, false);
  checkLaunch("dropout");
}

void CudaBackend::dropoutBackward(const float* dy, float* dx, int64_t n, float rate, uint64_t seed, uint64_t stream,
                                  bool accumulate) {
  activate();
  dropoutKernel<<<blocksFor(n), kThreads, 0, asStream(stream_)>>>(dy, dx, n, rate, seed, stream, accumulate);
  checkLaunch("dropoutBackward");
}

void CudaBackend::embeddingForward(const int32_t* ids, const float* table, float* out, int64_t count, int64_t dim, int64_t) {
  activate();
  embeddingGather<<<blocksFor(count * dim), kThreads, 0, asStream(stream_)>>>(ids, table, out, count, dim);
  checkLaunch("embedding");
}

void CudaBackend::embeddingBackward(const int32_t* ids, const float* dout, float* dtable, int64_t count, int64_t dim,
                                    int64_t vocab, bool accumulate) {
  activate();
  if (!accumulate) check(cudaMemsetAsync(dtable, 0, static_cast<size_t>(vocab * dim) * sizeof(float), asStream(stream_)), "memset");
  embeddingScatterAdd<<<blocksFor(count * dim), kThreads, 0, asStream(stream_)>>>(ids, dout, dtable, count, dim);
  checkLaunch("embeddingBackward");
}

void CudaBackend::reduceLoss(int64_t terms, double* lossSum, int64_t* correct) {
  const double* loss = static_cast<const double*>(scratch_);
  const int* hits = reinterpret_cast<const int*>(loss + terms);
  sumLossTerms<<<1, kThreads, 0, asStream(stream_)>>>(loss, hits, terms, lossSum, correct);
  checkLaunch("loss sum");
}

void CudaBackend::softmaxCrossEntropy(const float* logits, const int32_t* labels, float* dlogits, int64_t rows,
                                      int64_t classes, float scale, double* lossSum, int64_t* correct) {
  std::lock_guard<std::mutex> lock(mutex_);  // scratch, row slots and the cuBLAS handle are shared
  activate();
  double* loss = static_cast<double*>(scratch(static_cast<size_t>(rows) * (sizeof(double) + sizeof(int))));
  softmaxCrossEntropyKernel<<<rowBlocks(rows), kThreads, 0, asStream(stream_)>>>(
      logits, labels, dlogits, rows, classes, scale, loss, reinterpret_cast<int*>(loss + rows));
  checkLaunch("softmaxCrossEntropy");
  reduceLoss(rows, lossSum, correct);
}

void CudaBackend::meanSquaredError(const float* pred, const float* target, float* dpred, int64_t rows, int64_t cols,
                                   float scale, double* lossSum, int64_t* correct) {
  std::lock_guard<std::mutex> lock(mutex_);  // scratch, row slots and the cuBLAS handle are shared
  activate();
  double* loss = static_cast<double*>(scratch(static_cast<size_t>(rows) * (sizeof(double) + sizeof(int))));
  meanSquaredErrorKernel<<<rowBlocks(rows), kThreads, 0, asStream(stream_)>>>(pred, target, dpred, rows, cols, scale, loss,
                                                                            reinterpret_cast<int*>(loss + rows));
  checkLaunch("meanSquaredError");
  reduceLoss(rows, lossSum, correct);
}

void CudaBackend::binaryCrossEntropy(const float* logits, const float* target, float* dlogits, int64_t rows, int64_t cols,
                                     float scale, double* lossSum, int64_t* correct) {
  std::lock_guard<std::mutex> lock(mutex_);  // scratch, row slots and the cuBLAS handle are shared
  activate();
  const int64_t n = rows * cols;
  double* loss = static_cast<double*>(scratch(static_cast<size_t>(n) * (sizeof(double) + sizeof(int))));
  binaryCrossEntropyKernel<<<blocksFor(n), kThreads, 0, asStream(stream_)>>>(logits, target, dlogits, n, scale, loss,
                                                                          reinterpret_cast<int*>(loss + n));
  checkLaunch("binaryCrossEntropy");
  reduceLoss(n, lossSum, correct);
}

void CudaBackend::finishSum(int blocks, double* sum) {
  sumDoubles<<<1, kThreads, 0, asStream(stream_)>>>(static_cast<double*>(scratch_), blocks, sum);
  checkLaunch("sum");
}

void CudaBackend::sgdUpdate(float* w, const float* g, float* momentumBuf, int64_t n, float lr, const SgdConfig& cfg,
                            bool firstStep, double* weightSquares) {
  std::lock_guard<std::mutex> lock(mutex_);  // scratch, row slots and the cuBLAS handle are shared
  activate();
  double* partial = static_cast<double*>(scratch(kMaxBlocks * sizeof(double)));
  const int blocks = reduceBlocks(n);
  sgdKernel<<<blocks, kThreads, 0, asStream(stream_)>>>(w, g, momentumBuf, n, lr, cfg.weightDecay, cfg.momentum, firstStep,
                                                         cfg.nesterov, partial);
  checkLaunch("sgd");
  finishSum(blocks, weightSquares);
}

void CudaBackend::adamUpdate(float* w, const float* g, float* m, float* v, int64_t n, float lr, const AdamConfig& cfg,
                             int64_t step, double* weightSquares) {
  std::lock_guard<std::mutex> lock(mutex_);  // scratch, row slots and the cuBLAS handle are shared
  activate();
  const float stepSize = lr / static_cast<float>(1.0 - integerPower(cfg.beta1, step));
  const float invSqrtBc2 = 1.0f / static_cast<float>(std::sqrt(1.0 - integerPower(cfg.beta2, step)));
  const float l2 = cfg.decoupled ? 0.0f : cfg.weightDecay;
  const float shrink = cfg.decoupled ? 1.0f - lr * cfg.weightDecay : 1.0f;
  double* partial = static_cast<double*>(scratch(kMaxBlocks * sizeof(double)));
  const int blocks = reduceBlocks(n);
  adamKernel<<<blocks, kThreads, 0, asStream(stream_)>>>(w, g, m, v, n, stepSize, invSqrtBc2, cfg.beta1, cfg.beta2,
                                                          cfg.epsilon, l2, shrink, partial);
  checkLaunch("adam");
  finishSum(blocks, weightSquares);
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

void CudaBackend::scale(float* x, int64_t n, float s) {
  activate();
  scaleKernel<<<blocksFor(n), kThreads, 0, asStream(stream_)>>>(x, n, s);
  checkLaunch("scale");
}

void CudaBackend::clamp(float* x, int64_t n, float limit) {
  activate();
  clampKernel<<<blocksFor(n), kThreads, 0, asStream(stream_)>>>(x, n, limit);
  checkLaunch("clamp");
}

}  // namespace gradloop::cuda
