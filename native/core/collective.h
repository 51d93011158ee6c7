// What data-parallel training needs from a collective engine (MPI on CPUs; NCCL on GPUs later):
// sums, a broadcast and gathers across the ranks of one job. Plain C++ over host memory; the
// engines live in native/collective. Every call blocks until all ranks took part or the timeout passed,
// and then throws a CollectiveError saying which operation waited and for how long, so that no
// rank hangs forever on a rank that died, hung or failed.
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace gradloop {

class CollectiveError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Collective {
 public:
  virtual ~Collective() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  virtual const char* engine() const = 0;  // "Open MPI 4.1.4", ...
  // The float sums read and write device memory (NCCL on GPUs); otherwise host memory.
  virtual bool deviceMemory() const { return false; }

  // In place: data[i] = the sum of data[i] over every rank (small host-memory sums: shares, step
  // results, metric totals). `what` names the operation in errors.
  virtual void allreduceSum(double* data, int64_t n, const std::string& what) = 0;
  // Several float ranges summed in place, started together (buckets of one gradient slab), so the
  // engine can pipeline them; returns when all are done.
  virtual void allreduceSumBuckets(const std::vector<std::pair<float*, int64_t>>& buckets, const std::string& what) = 0;
  // Starts summing data in place across the ranks and returns at once (a communication thread
  // carries it out, so the backward pass goes on meanwhile); finishAllreduces waits for all of
  // them, in the order started, and rethrows a failure. No other call may come in between.
  virtual void startAllreduceSum(float* data, int64_t n, const std::string& what) { allreduceSumBuckets({{data, n}}, what); }
  virtual void finishAllreduces() {}
  // root's bytes into every rank's data.
  virtual void broadcast(void* data, int64_t bytes, int root, const std::string& what) = 0;
  // Every rank's `counts[r]` bytes (rank order) into out; `mine` holds this rank's counts[rank()].
  virtual void allgather(const void* mine, const std::vector<int64_t>& counts, void* out, const std::string& what) = 0;
  // Ends every rank of the job now (the launcher stops the others): for a rank leaving with an
  // error, which must not wait in a clean shutdown for ranks that still train.
  virtual void abort(int code) = 0;
};

}  // namespace gradloop
