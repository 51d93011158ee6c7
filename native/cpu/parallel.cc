#include "parallel.h"

#include "simd.h"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define GRADLOOP_CPU_RELAX() _mm_pause()
// A region runs in the caller's floating-point mode (flush-to-zero or not, core/float_mode.h).
#define GRADLOOP_GET_FLOAT_MODE() _mm_getcsr()
#define GRADLOOP_SET_FLOAT_MODE(mode) \
  if (_mm_getcsr() != (mode)) _mm_setcsr(mode)
#else
#define GRADLOOP_CPU_RELAX() std::this_thread::yield()
#define GRADLOOP_GET_FLOAT_MODE() 0u
#define GRADLOOP_SET_FLOAT_MODE(mode) (void)(mode)
#endif

namespace gradloop {
namespace {

// Between regions a worker spins before it sleeps, as libgomp does by default (GOMP_SPINCOUNT
// 300000): the next step's update region then rarely pays a futex wake-up, which on a VM costs
// tens of microseconds. Measured against shorter spins and yielding in bench/NOTES.md.
constexpr int kSpin = 100;

class Pool {
 public:
  void run(int64_t blocks, int threads, const std::function<void(int64_t, int64_t)>& fn) {
    std::unique_lock<std::mutex> exclusive(callMutex_, std::try_to_lock);
    if (!exclusive.owns_lock()) {  // another thread's region is running: do this one here
      fn(0, blocks);
      return;
    }
    while (static_cast<int>(workers_.size()) < threads - 1) {
      const int index = static_cast<int>(workers_.size());
      const uint64_t before = generation_.load(std::memory_order_relaxed);  // the worker waits for the next one
      workers_.emplace_back([this, index, before] { work(index, before); });
      workers_.back().detach();  // the pool lives as long as the process
    }
    fn_ = &fn;
    floatMode_ = GRADLOOP_GET_FLOAT_MODE();
    blocks_ = blocks;
    threads_ = threads;
    // Every worker acknowledges every region, taking part or not, so none can still be reading
    // this region's fields when the next one overwrites them.
    pending_.store(static_cast<int>(workers_.size()), std::memory_order_relaxed);
    {
      std::lock_guard<std::mutex> lock(wakeMutex_);
      generation_.fetch_add(1, std::memory_order_release);
    }
    wake_.notify_all();
    fn(0, blocks / threads);
    while (pending_.load(std::memory_order_acquire) > 0) GRADLOOP_CPU_RELAX();
  }

 private:
  void work(int index, uint64_t seen) {
    for (;;) {
      uint64_t now = seen;
      for (int i = 0; i < kSpin && (now = generation_.load(std::memory_order_acquire)) == seen; ++i) GRADLOOP_CPU_RELAX();
      if (now == seen) {
        std::unique_lock<std::mutex> lock(wakeMutex_);
        wake_.wait(lock, [&] { return (now = generation_.load(std::memory_order_acquire)) != seen; });
      }
      seen = now;
      const int part = index + 1;  // range 0 is the caller's
      GRADLOOP_SET_FLOAT_MODE(floatMode_);
      if (part < threads_) (*fn_)(blocks_ * part / threads_, blocks_ * (part + 1) / threads_);
      pending_.fetch_sub(1, std::memory_order_release);
    }
  }

  std::mutex callMutex_;  // one region at a time
  std::vector<std::thread> workers_;
  std::atomic<uint64_t> generation_{0};
  std::atomic<int> pending_{0};
  std::mutex wakeMutex_;
  std::condition_variable wake_;
  // The current region, published by generation_'s release and read after its acquire.
  const std::function<void(int64_t, int64_t)>* fn_ = nullptr;
  unsigned floatMode_ = 0;
  int64_t blocks_ = 0;
  int threads_ = 1;
};

}  // namespace

void runRanges(int64_t blocks, int threads, const RangeFn& fn) {
  if (threads > blocks) threads = static_cast<int>(blocks);
  if (threads <= 1) {
    fn(0, blocks);
    return;
  }
  static Pool* pool = new Pool;  // never destroyed: detached workers may still wait on it at exit
  pool->run(blocks, threads, fn);
}

int forEachRangeThreads(int64_t elements, int64_t minElements) { return elements >= minElements ? blasThreads() : 1; }

}  // namespace gradloop
