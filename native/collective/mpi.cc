#include "mpi.h"

#include <dlfcn.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdlib>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <thread>

namespace gradloop {

namespace {

constexpr int kThreadSerialized = 2;  // MPI_THREAD_SERIALIZED, the same in both families

// The slice of the MPI C API gradloop calls, for one ABI family: Open MPI's handles are pointers
// to its predefined objects (exported symbols), MPICH's (and its derivatives': Intel MPI, MVAPICH,
// Cray MPICH) are integers with fixed values. Handle is void* or int accordingly.
template <class Handle>
struct Api {
  int (*Initialized)(int*);
  int (*Init_thread)(int*, char***, int, int*);
  int (*Finalized)(int*);
  int (*Finalize)();
  int (*Comm_rank)(Handle, int*);
  int (*Comm_size)(Handle, int*);
  int (*Allreduce)(const void*, void*, int, Handle, Handle, Handle);
  int (*Iallreduce)(const void*, void*, int, Handle, Handle, Handle, Handle*);
  int (*Ibcast)(void*, int, Handle, int, Handle, Handle*);
  int (*Iallgatherv)(const void*, int, Handle, void*, const int*, const int*, Handle, Handle, Handle*);
  int (*Testall)(int, Handle*, int*, void*);
  int (*Get_library_version)(char*, int*);
  int (*Abort)(Handle, int);
  Handle world, f32, f64, byte, sum;
  void* inPlace;
  void* statusesIgnore;
};

template <class T>
void bind(void* lib, T& fn, const char* name) {
  fn = reinterpret_cast<T>(dlsym(lib, name));
  if (!fn) throw CollectiveError(std::string("MPI library lacks ") + name);
}

template <class Handle>
class MpiEngine final : public Collective {
 public:
  MpiEngine(const Api<Handle>& api, double timeoutSeconds) : api_(api), timeout_(timeoutSeconds) {
    int ready = 0;
    api_.Initialized(&ready);
    if (!ready) {
      int provided = 0;
      if (api_.Init_thread(nullptr, nullptr, kThreadSerialized, &provided) != 0) throw CollectiveError("MPI_Init_thread failed");
      // Steps run on a worker thread, one at a time: MPI_THREAD_SERIALIZED is what we need.
      if (provided < kThreadSerialized) throw CollectiveError("the MPI library does not support MPI_THREAD_SERIALIZED (steps call it from a worker thread)");
      owned_ = true;
    }
    api_.Comm_rank(api_.world, &rank_);
    api_.Comm_size(api_.world, &size_);
    char version[8192] = {0};
    int length = 0;
    api_.Get_library_version(version, &length);
    engine_ = std::string(version, static_cast<size_t>(std::max(0, length)));
    engine_ = engine_.substr(0, engine_.find_first_of(",\n"));
  }
  ~MpiEngine() override {
    {
      std::lock_guard<std::mutex> lock(queueMutex_);
      stopComm_ = true;
      queueCv_.notify_all();
    }
    if (comm_.joinable()) comm_.join();
    {
      std::lock_guard<std::mutex> lock(watchMutex_);
      stopWatchdog_ = true;
    }
    if (watchdog_.joinable()) watchdog_.join();
    int done = 0;
    if (!owned_ || api_.Finalized(&done) != 0 || done) return;
    // After a collective timed out the job cannot shut down cleanly (MPI_Finalize would wait for
    // the rank that is missing): end it.
    if (broken_) api_.Abort(api_.world, 1);
    api_.Finalize();
  }
  void abort(int code) override { api_.Abort(api_.world, code); }

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  const char* engine() const override { return engine_.c_str(); }

  void allreduceSum(double* data, int64_t n, const std::string& what) override {
    std::vector<Handle> requests;
    for (int64_t at = 0; at < n; at += kChunk)
      start(requests, api_.Iallreduce(api_.inPlace, data + at, static_cast<int>(std::min(kChunk, n - at)), api_.f64, api_.sum, api_.world, next(requests)));
    wait(requests, what);
  }
  // The gradients: the blocking MPI_Allreduce, which Open MPI runs with its tuned algorithms (its
  // non-blocking collectives are 1.5 to 2.3x slower on 2.6 and 11 MiB here). A step's small
  // collectives come first and are non-blocking, so a rank that hangs or died before the step is
  // caught there with an Error; one that dies inside this call is caught by the watchdog.
  void allreduceSumBuckets(const std::vector<std::pair<float*, int64_t>>& buckets, const std::string& what) override {
    Watch watch(*this, what);
    for (const auto& [data, n] : buckets)
      for (int64_t at = 0; at < n; at += kChunk)
        start(api_.Allreduce(api_.inPlace, data + at, static_cast<int>(std::min(kChunk, n - at)), api_.f32, api_.sum, api_.world));
  }
  void startAllreduceSum(float* data, int64_t n, const std::string& what) override {
    std::lock_guard<std::mutex> lock(queueMutex_);
    if (!comm_.joinable()) comm_ = std::thread([this] { commLoop(); });
    queue_.push_back({data, n, what});
    queueCv_.notify_all();
  }
  void finishAllreduces() override {
    std::unique_lock<std::mutex> lock(queueMutex_);
    queueCv_.wait(lock, [&] { return queue_.empty() && !commBusy_; });
    if (!commError_.empty()) {
      const std::string error = commError_;
      commError_.clear();
      throw CollectiveError(error);
    }
  }
  void broadcast(void* data, int64_t bytes, int root, const std::string& what) override {
    std::vector<Handle> requests;
    for (int64_t at = 0; at < bytes; at += kChunk)
      start(requests, api_.Ibcast(static_cast<char*>(data) + at, static_cast<int>(std::min(kChunk, bytes - at)), api_.byte, root, api_.world, next(requests)));
    wait(requests, what);
  }
  void allgather(const void* mine, const std::vector<int64_t>& counts, void* out, const std::string& what) override {
    std::vector<int> sizes(counts.size()), offsets(counts.size());
    int64_t at = 0;
    for (size_t r = 0; r < counts.size(); ++r) {
      if (counts[r] > INT_MAX || at > INT_MAX) throw CollectiveError(what + ": more than 2 GiB to gather");
      sizes[r] = static_cast<int>(counts[r]), offsets[r] = static_cast<int>(at);
      at += counts[r];
    }
    std::vector<Handle> requests;
    start(requests, api_.Iallgatherv(mine, sizes[static_cast<size_t>(rank_)], api_.byte, out, sizes.data(), offsets.data(), api_.byte, api_.world, next(requests)));
    wait(requests, what);
  }

 private:
  static constexpr int64_t kChunk = int64_t{1} << 30;  // MPI counts are ints

  Handle* next(std::vector<Handle>& requests) {
    requests.emplace_back();
    return &requests.back();
  }
  void start(std::vector<Handle>&, int code) { start(code); }
  void start(int code) {
    if (code != 0) throw CollectiveError("MPI call failed with error code " + std::to_string(code));
  }

  // The watchdog of a blocking call: when it has not returned within the timeout, the rank says
  // what waited and leaves (the launcher then ends the job); MPI offers no way to cancel the call.
  // It polls every 100 ms (a condition variable's timed wait on the steady clock would need
  // glibc 2.30's pthread_cond_clockwait, above the prebuild's 2.28 floor).
  class Watch {
   public:
    Watch(MpiEngine& e, const std::string& what) : e_(e) {
      std::lock_guard<std::mutex> lock(e_.watchMutex_);
      e_.watching_ = what;
      e_.deadline_ = std::chrono::steady_clock::now() + std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(e_.timeout_));
      if (!e_.watchdog_.joinable()) e_.watchdog_ = std::thread([&e = e_] { e.watchdogLoop(); });
    }
    ~Watch() {
      std::lock_guard<std::mutex> lock(e_.watchMutex_);
      e_.watching_.clear();
    }

   private:
    MpiEngine& e_;
  };
  void watchdogLoop() {
    for (;;) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      std::lock_guard<std::mutex> lock(watchMutex_);
      if (stopWatchdog_) return;
      if (!watching_.empty() && std::chrono::steady_clock::now() >= deadline_) {
        std::fprintf(stderr, "gradloop rank %d of %d: %s: waited %d s for the other ranks (timeout): a rank died, hangs or failed; leaving the job\n",
                     rank_, size_, watching_.c_str(), static_cast<int>(timeout_));
        std::fflush(stderr);
        std::_Exit(1);
      }
    }
  }
  // The communication thread of startAllreduceSum: the blocking all-reduces, one after another,
  // while the caller's thread goes on (the caller makes no MPI call until finishAllreduces).
  struct Pending {
    float* data;
    int64_t n;
    std::string what;
  };
  void commLoop() {
    std::unique_lock<std::mutex> lock(queueMutex_);
    for (;;) {
      queueCv_.wait(lock, [&] { return stopComm_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping
      Pending job = queue_.front();
      queue_.erase(queue_.begin());
      commBusy_ = true;
      const bool failedBefore = !commError_.empty();  // after a failure the rest are skipped
      lock.unlock();
      std::string error;
      try {
        if (!failedBefore) allreduceSumBuckets({{job.data, job.n}}, job.what);
      } catch (const std::exception& e) {
        error = e.what();
      }
      lock.lock();
      if (!error.empty() && commError_.empty()) commError_ = error;
      commBusy_ = false;
      queueCv_.notify_all();
    }
  }
  std::mutex queueMutex_;
  std::condition_variable queueCv_;
  std::vector<Pending> queue_;
  std::thread comm_;
  bool commBusy_ = false, stopComm_ = false;
  std::string commError_;

  std::mutex watchMutex_;
  std::thread watchdog_;
  std::string watching_;
  std::chrono::steady_clock::time_point deadline_;
  bool stopWatchdog_ = false;
  // Drives the requests to completion, or throws when the timeout passes first: a rank that died,
  // hangs or failed never joins, and without the timeout every other rank would wait forever.
  void wait(std::vector<Handle>& requests, const std::string& what) {
    const auto started = std::chrono::steady_clock::now();
    for (int spins = 0;; ++spins) {
      int done = 0;
      if (api_.Testall(static_cast<int>(requests.size()), requests.data(), &done, api_.statusesIgnore) != 0)
        throw CollectiveError(what + ": MPI reported an error (a rank failed)");
      if (done) return;
      const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      if (waited > timeout_) {
        broken_ = true;
        throw CollectiveError(what + ": rank " + std::to_string(rank_) + " waited " + std::to_string(static_cast<int>(waited)) +
                              " s for the other ranks (timeout " + std::to_string(static_cast<int>(timeout_)) +
                              " s): a rank died, hangs or failed before reaching this point; its own output or the launcher's says which");
      }
      // Spin briefly (loopback collectives take microseconds), then yield the core.
      if (spins > 2000) std::this_thread::sleep_for(std::chrono::microseconds(spins > 20000 ? 200 : 20));
    }
  }

  Api<Handle> api_;
  double timeout_;
  int rank_ = 0, size_ = 1;
  bool owned_ = false, broken_ = false;
  std::string engine_;
};

template <class Handle>
void bindCalls(void* lib, Api<Handle>& a) {
  bind(lib, a.Initialized, "MPI_Initialized");
  bind(lib, a.Init_thread, "MPI_Init_thread");
  bind(lib, a.Finalized, "MPI_Finalized");
  bind(lib, a.Finalize, "MPI_Finalize");
  bind(lib, a.Comm_rank, "MPI_Comm_rank");
  bind(lib, a.Comm_size, "MPI_Comm_size");
  bind(lib, a.Allreduce, "MPI_Allreduce");
  bind(lib, a.Iallreduce, "MPI_Iallreduce");
  bind(lib, a.Ibcast, "MPI_Ibcast");
  bind(lib, a.Iallgatherv, "MPI_Iallgatherv");
  bind(lib, a.Testall, "MPI_Testall");
  bind(lib, a.Get_library_version, "MPI_Get_library_version");
  bind(lib, a.Abort, "MPI_Abort");
}

}  // namespace

std::unique_ptr<Collective> openMpi(double timeoutSeconds, std::string* tried) {
  std::vector<std::string> names;
  if (const char* own = std::getenv("GRADLOOP_MPI_LIBRARY")) names.push_back(own);
  // Open MPI 3 to 5, then the MPICH ABI (MPICH 3.1+, Intel MPI, MVAPICH2, Cray MPICH).
  for (const char* n : {"libmpi.so.40", "libmpi.so.12", "libmpich.so.12", "libmpi.so"}) names.push_back(n);
  void* lib = nullptr;
  std::string errors;
  for (const std::string& name : names) {
    // RTLD_GLOBAL: Open MPI's components (loaded by it later) resolve their symbols against it.
    lib = dlopen(name.c_str(), RTLD_NOW | RTLD_GLOBAL);
    if (lib) break;
    errors += (errors.empty() ? "" : "; ") + std::string(dlerror());
  }
  if (!lib) {
    if (tried) *tried = errors;
    return nullptr;
  }
  if (void* world = dlsym(lib, "ompi_mpi_comm_world")) {  // Open MPI: handles are its objects' addresses
    Api<void*> a{};
    bindCalls(lib, a);
    a.world = world;
    a.f32 = dlsym(lib, "ompi_mpi_float");
    a.f64 = dlsym(lib, "ompi_mpi_double");
    a.byte = dlsym(lib, "ompi_mpi_byte");
    a.sum = dlsym(lib, "ompi_mpi_op_sum");
    if (!a.f32 || !a.f64 || !a.byte || !a.sum) throw CollectiveError("the Open MPI library lacks its predefined datatypes");
    a.inPlace = reinterpret_cast<void*>(1);  // MPI_IN_PLACE
    a.statusesIgnore = nullptr;              // MPI_STATUSES_IGNORE
    return std::make_unique<MpiEngine<void*>>(a, timeoutSeconds);
  }
  Api<int> a{};  // the MPICH ABI: fixed integer handles (mpi.h of MPICH 3.1 and later)
  bindCalls(lib, a);
  a.world = 0x44000000;  // MPI_COMM_WORLD
  a.f32 = 0x4c00040a;    // MPI_FLOAT
  a.f64 = 0x4c00080b;    // MPI_DOUBLE
  a.byte = 0x4c00010d;   // MPI_BYTE
  a.sum = 0x58000003;    // MPI_SUM
  a.inPlace = reinterpret_cast<void*>(-1);
  a.statusesIgnore = reinterpret_cast<void*>(1);
  return std::make_unique<MpiEngine<int>>(a, timeoutSeconds);
}

}  // namespace gradloop
