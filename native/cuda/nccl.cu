#include "nccl.h"

#include <cuda_runtime.h>
#include <dlfcn.h>

#include <chrono>
#include <cstdlib>
#include <thread>

namespace gradloop::cuda {

namespace {

// The slice of NCCL's C API used here (nccl.h, stable since NCCL 2.0): handles are pointers,
// enums ints, the unique id 128 bytes passed by value.
struct UniqueId {
  char internal[128];
};
constexpr int kFloat32 = 7;      // ncclFloat32
constexpr int kSum = 0;          // ncclSum
constexpr int kSuccess = 0;      // ncclSuccess
constexpr int kInProgress = 7;   // ncclInProgress

struct Api {
  int (*GetVersion)(int*);
  int (*GetUniqueId)(UniqueId*);
  int (*CommInitRank)(void** comm, int nranks, UniqueId id, int rank);
  int (*AllReduce)(const void*, void*, size_t, int, int, void* comm, cudaStream_t);
  int (*GroupStart)();
  int (*GroupEnd)();
  int (*CommGetAsyncError)(void* comm, int* result);
  int (*CommAbort)(void* comm);
  int (*CommDestroy)(void* comm);
  const char* (*GetErrorString)(int);
};

template <class T>
bool bind(void* lib, T& fn, const char* name) {
  fn = reinterpret_cast<T>(dlsym(lib, name));
  return fn != nullptr;
}

class NcclEngine final : public Collective {
 public:
  NcclEngine(const Api& api, Collective& host, void* comm, cudaStream_t stream, double timeout, std::string engine)
      : api_(api), host_(host), comm_(comm), stream_(stream), timeout_(timeout), engine_(std::move(engine)) {}
  ~NcclEngine() override {
    if (comm_) broken_ ? api_.CommAbort(comm_) : api_.CommDestroy(comm_);
  }
  int rank() const override { return host_.rank(); }
  int size() const override { return host_.size(); }
  const char* engine() const override { return engine_.c_str(); }
  bool deviceMemory() const override { return true; }

  // The gradients (device memory): one NCCL group on the backend's stream, then a wait that polls
  // the stream and NCCL's own error state until the timeout.
  void allreduceSumBuckets(const std::vector<std::pair<float*, int64_t>>& buckets, const std::string& what) override {
    check(api_.GroupStart(), what);
    for (const auto& [data, n] : buckets) check(api_.AllReduce(data, data, static_cast<size_t>(n), kFloat32, kSum, comm_, stream_), what);
    check(api_.GroupEnd(), what);
    const auto started = std::chrono::steady_clock::now();
    for (int spins = 0;; ++spins) {
      const cudaError_t state = cudaStreamQuery(stream_);
      if (state == cudaSuccess) return;
      if (state != cudaErrorNotReady) throw CollectiveError(what + ": CUDA error " + cudaGetErrorString(state));
      int async = kSuccess;
      api_.CommGetAsyncError(comm_, &async);
      if (async != kSuccess && async != kInProgress) {
        broken_ = true;
        throw CollectiveError(what + ": NCCL error: " + api_.GetErrorString(async) + " (a rank failed)");
      }
      const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      if (waited > timeout_) {
        broken_ = true;
        throw CollectiveError(what + ": rank " + std::to_string(rank()) + " waited " + std::to_string(static_cast<int>(waited)) +
                              " s for the other ranks in NCCL (timeout " + std::to_string(static_cast<int>(timeout_)) +
                              " s): a rank died, hangs or failed");
      }
      if (spins > 1000) std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
  }
  // Host memory: the host engine.
  void allreduceSum(double* data, int64_t n, const std::string& what) override { host_.allreduceSum(data, n, what); }
  void broadcast(void* data, int64_t bytes, int root, const std::string& what) override { host_.broadcast(data, bytes, root, what); }
  void allgather(const void* mine, const std::vector<int64_t>& counts, void* out, const std::string& what) override {
    host_.allgather(mine, counts, out, what);
  }
  void abort(int code) override {
    if (comm_) api_.CommAbort(comm_);
    comm_ = nullptr;
    host_.abort(code);
  }

 private:
  void check(int code, const std::string& what) {
    if (code != kSuccess && code != kInProgress) throw CollectiveError(what + ": NCCL error: " + api_.GetErrorString(code));
  }

  Api api_;
  Collective& host_;
  void* comm_;
  cudaStream_t stream_;
  double timeout_;
  bool broken_ = false;
  std::string engine_;
};

}  // namespace

std::unique_ptr<Collective> openNccl(Collective& host, void* stream, double timeoutSeconds, std::string* why) {
  const char* own = std::getenv("GRADLOOP_NCCL_LIBRARY");
  void* lib = dlopen(own ? own : "libnccl.so.2", RTLD_NOW | RTLD_GLOBAL);
  // Every rank decides together (one that lacks NCCL makes all use the host engine).
  double missing = lib ? 0 : 1;
  host.allreduceSum(&missing, 1, "distributed: whether every rank has NCCL");
  if (missing > 0) {
    *why = lib ? "a rank has no NCCL library" : std::string("libnccl.so.2 could not be loaded (") + dlerror() + ")";
    return nullptr;
  }
  Api a{};
  const bool bound = bind(lib, a.GetVersion, "ncclGetVersion") && bind(lib, a.GetUniqueId, "ncclGetUniqueId") &&
                     bind(lib, a.CommInitRank, "ncclCommInitRank") && bind(lib, a.AllReduce, "ncclAllReduce") &&
                     bind(lib, a.GroupStart, "ncclGroupStart") && bind(lib, a.GroupEnd, "ncclGroupEnd") &&
                     bind(lib, a.CommGetAsyncError, "ncclCommGetAsyncError") && bind(lib, a.CommAbort, "ncclCommAbort") &&
                     bind(lib, a.CommDestroy, "ncclCommDestroy") && bind(lib, a.GetErrorString, "ncclGetErrorString");
  double unusable = bound ? 0 : 1;
  host.allreduceSum(&unusable, 1, "distributed: whether every rank's NCCL is usable");
  if (unusable > 0) {
    *why = "the NCCL library lacks functions gradloop calls (NCCL 2.4 or later is needed)";
    return nullptr;
  }
  // Rank 0's unique id to every rank over the host engine; NCCL's own bootstrap does the rest.
  UniqueId id{};
  if (host.rank() == 0 && a.GetUniqueId(&id) != kSuccess) throw CollectiveError("distributed: ncclGetUniqueId failed");
  host.broadcast(&id, sizeof(id), 0, "distributed: NCCL's unique id from rank 0");
  void* comm = nullptr;
  const int code = a.CommInitRank(&comm, host.size(), id, host.rank());
  if (code != kSuccess) throw CollectiveError(std::string("distributed: ncclCommInitRank failed: ") + a.GetErrorString(code));
  int version = 0;
  a.GetVersion(&version);
  const std::string engine = "NCCL " + std::to_string(version / 10000) + "." + std::to_string(version / 100 % 100) + "." +
                             std::to_string(version % 100) + " with " + host.engine();
  return std::make_unique<NcclEngine>(a, host, comm, static_cast<cudaStream_t>(stream), timeoutSeconds, engine);
}

}  // namespace gradloop::cuda
