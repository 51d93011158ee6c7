// Data-parallel training: what a Program does differently with a collective engine attached
// (program.h, setCollective). Each rank computes the gradient of the mean loss over its own rows;
// the global batch's gradient is the weighted sum of those, weighted by each rank's share of the
// loss's terms, so it equals what one process computes over the whole batch (up to the order of
// the additions).
#include <algorithm>
#include <chrono>
#include <cstring>
#include <string>

#include "program.h"

namespace gradloop {

namespace {
// Gradients go to the engine in buckets of 16 MiB, started together so the engine pipelines them
// (PyTorch DDP's default bucket is 25 MB).
constexpr int64_t kBucketFloats = int64_t{1} << 22;
}  // namespace

bool Program::hostMemory() const { return std::strcmp(backend_.name(), "cpu") == 0; }

// Overlapped buckets are smaller (4 MiB), so the first starts while much of backward is left.
const int64_t Program::kOverlapBucketFloats = int64_t{1} << 20;

void Program::reduceGradients(const std::vector<MicroBatch>& batches, int64_t count) {
  const auto started = std::chrono::steady_clock::now();
  struct Timer {
    std::chrono::steady_clock::time_point started;
    double& seconds;
    ~Timer() { seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count(); }
  } timer{started, collectiveSeconds_};
  ++collectiveSteps_;
  // This rank's share of the global mean's divisor: for one loss, what its mean divides by (rows,
  // positions not ignored, or the samples' weights); for several, the rows (as PyTorch DDP: every
  // rank counts by its rows).
  double mine = 0;
  if (heads_.size() == 1)
    for (const MicroBatch& m : batches) mine += m.divisors[0];
  else
    mine = static_cast<double>(count);
  shareLossTerms(mine);

  const int64_t floats = static_cast<int64_t>(gradSlab_.bytes() / sizeof(float));
  if (floats == 0) return;
  auto* grads = static_cast<float*>(gradSlab_.get());
  backend_.scale(grads, floats, static_cast<float>(rankShare_));
  // The CPU backend's memory is the host's, and NCCL reads a GPU's; otherwise (a GPU without NCCL)
  // the gradients travel through host memory.
  const bool host = hostMemory() || collective_->deviceMemory();
  float* data = grads;
  if (!host) {
    hostGradients_.resize(static_cast<size_t>(floats));
    backend_.copyToHost(hostGradients_.data(), grads, static_cast<size_t>(floats) * sizeof(float));
    data = hostGradients_.data();
  }
  std::vector<std::pair<float*, int64_t>> buckets;
  for (int64_t at = 0; at < floats; at += kBucketFloats) buckets.emplace_back(data + at, std::min(kBucketFloats, floats - at));
  collective_->allreduceSumBuckets(buckets, "fit: the gradient all-reduce");
  if (!host) backend_.copyFromHost(grads, data, static_cast<size_t>(floats) * sizeof(float));
}

void Program::shareLossTerms(double mine) {
  double total = mine;
  collective_->allreduceSum(&total, 1, "fit: the step's loss terms");
  rankShare_ = total > 0 ? mine / total : 1.0 / collective_->size();
}

void Program::planBuckets() {
  if (!buckets_.empty() || params_.empty()) return;
  // The first (smallest) node writing each parameter: its gradient is final once backward ran it.
  std::vector<int> firstNode(params_.size(), static_cast<int>(nodes_.size()));
  for (size_t i = nodes_.size(); i-- > 0;)
    for (int p : nodes_[i].params) firstNode[static_cast<size_t>(p)] = static_cast<int>(i);
  float* end = params_.back().grad + params_.back().size;
  int ready = static_cast<int>(nodes_.size());
  for (size_t k = params_.size(); k-- > 0;) {
    ready = std::min(ready, firstNode[k]);
    const bool last = k == 0;
    if (last || end - params_[k].grad >= kOverlapBucketFloats) {
      float* begin = last ? static_cast<float*>(gradSlab_.get()) : params_[k].grad;
      buckets_.push_back({begin, end - begin, ready});
      end = begin;
      ready = static_cast<int>(nodes_.size());
    }
  }
}

void Program::startReadyBuckets(int node) {
  while (nextBucket_ < buckets_.size() && buckets_[nextBucket_].readyAfterNode >= node) {
    const GradientBucket& b = buckets_[nextBucket_++];
    backend_.scale(b.data, b.n, static_cast<float>(rankShare_));
    collective_->startAllreduceSum(b.data, b.n, "fit: the gradient all-reduce");
  }
}

void Program::finishOverlap() {
  const auto started = std::chrono::steady_clock::now();
  startReadyBuckets(-1);  // whatever is left
  collective_->finishAllreduces();
  overlapping_ = false;
  // What the overlap leaves exposed: the wait after backward.
  collectiveSeconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  ++collectiveSteps_;
}

void Program::reduceStepResult(StepResult& result) const {
  // The global loss is the shares' weighted sum of the ranks' losses; counts add up.
  std::vector<double> v{result.loss * rankShare_, static_cast<double>(result.correct), static_cast<double>(result.accuracyUnits)};
  for (size_t h = 0; h < result.headLoss.size(); ++h)
    v.insert(v.end(), {result.headLoss[h] * rankShare_, static_cast<double>(result.headCorrect[h]), static_cast<double>(result.headUnits[h])});
  collective_->allreduceSum(v.data(), static_cast<int64_t>(v.size()), "fit: the step's loss");
  result.loss = v[0];
  result.correct = static_cast<int64_t>(v[1]);
  result.accuracyUnits = static_cast<int64_t>(v[2]);
  for (size_t h = 0; h < result.headLoss.size(); ++h) {
    result.headLoss[h] = v[3 + 3 * h];
    result.headCorrect[h] = static_cast<int64_t>(v[4 + 3 * h]);
    result.headUnits[h] = static_cast<int64_t>(v[5 + 3 * h]);
  }
}

void Program::broadcastState(int root) {
  if (!collective_) return;
  const bool host = hostMemory();
  for (DeviceBuffer* slab : {&paramSlab_, &stateSlab_}) {
    const size_t bytes = slab->bytes();
    if (bytes == 0) continue;
    std::vector<char> staged;
    void* data = slab->get();
    if (!host) {
      staged.resize(bytes);
      backend_.copyToHost(staged.data(), slab->get(), bytes);
      data = staged.data();
    }
    collective_->broadcast(data, static_cast<int64_t>(bytes), root, "fit: the starting weights from rank 0");
    if (!host) backend_.copyFromHost(slab->get(), data, bytes);
  }
  int64_t counters[2] = {optimizerStep_, static_cast<int64_t>(forwardCount_)};
  collective_->broadcast(counters, sizeof(counters), root, "fit: the starting counters from rank 0");
  optimizerStep_ = counters[0], forwardCount_ = static_cast<uint64_t>(counters[1]);
  weightsChanged();
  optimizerStateChanged();
}

void Program::mergeMetrics(MetricSet set) {
  if (!collective_) return;
  for (auto& totals : metrics_[set])
    if (totals) totals->mergeAcrossRanks(*collective_);
}

uint64_t Program::weightsHash() {
  // The CPU backend's slab is read where it is; a device's is copied to the host first.
  const size_t n = paramSlab_.bytes();
  std::vector<char> copy;
  const char* bytes = static_cast<const char*>(paramSlab_.get());
  if (!hostMemory() && n > 0) {
    copy.resize(n);
    backend_.copyToHost(copy.data(), paramSlab_.get(), n);
    bytes = copy.data();
  }
  uint64_t hash = 1469598103934665603ull;  // FNV-1a
  for (size_t i = 0; i < n; ++i) hash = (hash ^ static_cast<unsigned char>(bytes[i])) * 1099511628211ull;
  return hash;
}

}  // namespace gradloop
