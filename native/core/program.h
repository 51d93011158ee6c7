// A compiled model: a graph of ops over numbered tensors, with every buffer a
// training step touches allocated up front. Parameters, gradients and
// optimizer state each live in one slab; activations are sized for the
// largest batch seen so far and reused, so a step allocates nothing.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "buffer.h"
#include "collective.h"
#include "dataset.h"
#include "loss.h"
#include "metrics.h"
#include "op.h"
#include "optimizer.h"
#include "update_guard.h"

namespace gradloop {

struct ProgramSpec {
  Shape inputShape;  // per sample
  DType inputType = DType::Float32;
  std::vector<NodeSpec> nodes;  // topological order; node i writes tensor i + 1
  std::vector<int> outputs;     // the model's outputs (tensor ids); default: the last node's tensor
  bool inputGradient = false;   // also compute d loss / d input (gradient checks)
  // Incremental decoding (text generation with a key/value cache): when > 0, the program runs
  // one position per call (decode()), inputShape being one position's, for up to this many
  // positions. Every op must support it (Op::enableDecoding); inference only.
  int64_t decodePositions = 0;
};

struct Parameter {
  std::string name;  // "<layer>/<kind>", e.g. "dense_1/kernel"
  Shape shape;
  int64_t size;
  float* value;
  float* grad;
  float* state[kMaxOptimizerSlots];  // optimizer slots (Optimizer::stateTensors() of them)
  float l2;         // L2 penalty factor, 0 when the layer has no regularizer
  bool trainable = true;  // false: frozen (no gradient computed, no update)
  bool learnable = true;  // false: updated by its op, never trained (ParamInfo::trainable)
};

// One loss of a compiled program: its kind, the tensor it reads, its weight in the total. A model
// with several outputs has one per output; the labels of all sit side by side in each data set row.
struct LossHead {
  LossKind kind;
  int tensor;
  float weight = 1;
  int32_t ignoreIndex = kNoIgnoreIndex;  // softmaxCrossEntropy: a padding label left out of loss and accuracy
  float param = 0;                        // Huber's delta, or the cross-entropies' label smoothing
};

struct StepResult {
  double loss;            // mean over the batch (several losses: their weighted sum)
  int64_t correct;        // correct predictions (several losses: the first's)
  int64_t accuracyUnits;  // predictions counted (the accuracy's denominator)
  double weight = 0;      // evaluateBatch: what the batch counts for in a mean over batches (its rows, or its samples' weights)
  // Several losses: each one's mean loss, correct count and predictions counted (empty for one).
  std::vector<double> headLoss = {};
  std::vector<int64_t> headCorrect = {}, headUnits = {};
  double gradNorm = 0;    // global L2 norm of the gradients, before clipping (trainStep only)
  // Set when the loss or a gradient was NaN/Inf: -1 the loss only, else the index of the first
  // parameter (in model order) whose gradient was non-finite. -2 when everything was finite.
  int32_t nonFinite = -2;  // -2 none; -1 the loss; k the gradient of parameter k; -3 - k its update overflowed
  // Per parameter (model order), trainStep only: sum of squares of the gradient before clipping,
  // and of the weights after the step. Per-layer norms are the root of a layer's sum.
  // trainStep leaves weightSquares empty: the update writes them on the device and they arrive
  // with the next step's readback (previousWeightSquares) or readWeightSquares().
  std::vector<double> gradSquares = {}, weightSquares = {};
};

// What a checkpoint needs beyond weights and optimizer slots to continue bit-identically.
struct ProgramCounters {
  int64_t optimizerStep = 0;  // updates applied (Adam's bias correction, SGD's first step)
  uint64_t forwardCount = 0;  // training forwards run (selects each step's dropout masks)
};

// What trainStep does between the backward pass and the update.
struct GradientControl {
  float clipNorm = 0;             // scale gradients so their global norm is at most this (0: off)
  float clipValue = 0;            // clamp each gradient element to [-clipValue, clipValue] (0: off)
  bool skipNonFinite = true;      // a non-finite loss or gradient skips the update
};

class Program {
 public:
  Program(Backend& backend, const ProgramSpec& spec);

  Backend& backend() const { return backend_; }
  const Shape& inputShape() const { return spec_.inputShape; }
  DType inputType() const { return spec_.inputType; }
  const Shape& outputShape() const { return tensors_[outputs_[0]].shape; }
  const std::vector<int>& outputs() const { return outputs_; }
  const Shape& tensorShape(int id) const { return tensors_.at(id).shape; }
  size_t tensorCount() const { return tensors_.size(); }
  std::vector<Parameter>& parameters() { return params_; }
  bool compiled() const { return optimizer_ != nullptr; }

  // Attaches the losses and the optimizer (compile), with fresh optimizer state. A loss reads its
  // tensor: an output, or for an output that applies sigmoid or softmax the tensor before it, so
  // the loss is computed from logits (stable) while predict still returns probabilities. Several
  // losses (one per output) add up, weighted; their gradients meet in the shared layers.
  void compile(const std::vector<LossHead>& heads, const OptimizerSpec& optimizer);
  void compile(LossKind loss, const OptimizerSpec& optimizer, int lossTensor = -1) {
    compile({{loss, lossTensor < 0 ? outputs_[0] : lossTensor, 1}}, optimizer);
  }
  // What a data set's labels must look like: one loss's, or for several their values side by
  // side as 4-byte words (float32 targets, or int32 class ids as their bits). Set by compile.
  const LossShape& labelShape() const { return labelShape_; }
  size_t headCount() const { return heads_.size(); }
  void setGradientControl(const GradientControl& control) { gradientControl_ = control; }
  // Which parameters train (one flag each, model order: its layer's trainable setting). A frozen
  // one gets no gradient (its ops skip that work), no update and no optimizer state change;
  // tensors that then need no gradient get none (activations are sized again at the next step).
  // A parameter that is not learnable never trains; an op all of whose flags are false is frozen
  // (Op::setFrozen).
  void setTrainable(const std::vector<bool>& trainable);

  // Whole-epoch metrics (metrics.h): one plan per loss, in heads order (an empty plan collects
  // nothing). Training steps add to the training totals, evaluateBatch to the evaluation ones;
  // the caller reads and resets them between calls.
  enum MetricSet { kTrainingMetrics = 0, kEvaluationMetrics = 1 };
  void setMetrics(const std::vector<MetricPlan>& plans);
  // Head h's totals in `set`, or null when its plan is empty.
  const MetricTotals* metricTotals(MetricSet set, size_t h) const;
  void resetMetrics(MetricSet set);

  // Data-parallel training (collective.h; program_distributed.cc): every rank runs trainStep on its
  // own rows of each global batch; after backward the gradients are summed across the ranks, each
  // weighted by its share of the global loss's terms (rows, or sample weights), so the update is
  // the one the whole batch gives on one process, and the step's loss and counts are global.
  // Null (the default): one process.
  void setCollective(Collective* collective) { collective_ = collective; }
  Collective* collective() const { return collective_; }
  // Rank root's weights, optimizer state and counters to every rank: the replicas start equal.
  void broadcastState(int root);
  // Seconds spent in the gradient all-reduce (with its scaling and copies) and the steps that ran
  // it, since the program was made: what data parallelism adds to a step, for benchmarks.
  std::pair<double, int64_t> collectiveTime() const { return {collectiveSeconds_, collectiveSteps_}; }
  // A hash of the weights, the same on every rank when the replicas agree.
  uint64_t weightsHash();
  // Every rank's totals of `set` combined (MetricTotals::mergeAcrossRanks); once per read.
  void mergeMetrics(MetricSet set);

  // Throws a TypeError naming `argument` when the data set does not match the model.
  void checkDataset(const Dataset& data, bool needLabels, const std::string& argument) const;

  // One training step on rows[0..count) of data: gather, forward, loss, backward, update.
  // With 0 < microBatch < count the rows go through forward/backward in micro-batches of that
  // size whose gradients are summed, weighted by size (gradient accumulation): the update is
  // the one a single batch of `count` rows would give, with activations for microBatch rows only.
  StepResult trainStep(const Dataset& data, const int32_t* rows, int64_t count, float learningRate, uint64_t seed,
                       int64_t microBatch = 0);
  // Forward, loss and backward without the update; gradients stay readable (tests, accumulation).
  StepResult computeGradients(const Dataset& data, const int32_t* rows, int64_t count, bool training, uint64_t seed);
  // Loss and correct count in inference mode.
  StepResult evaluateBatch(const Dataset& data, const int32_t* rows, int64_t count);
  // Inference outputs for rows into host memory: output k into hostOut[k], [count, its elements].
  void predictBatch(const Dataset& data, const int32_t* rows, int64_t count, const std::vector<float*>& hostOut);
  // A decoding program (decodePositions > 0): the first output for the samples' next position,
  // from hostInput [batch, one position's input] (host memory, the input's type) into hostOut.
  // Positions go 0, 1, 2, ... with one batch size; position 0 starts the samples over.
  void decode(const void* hostInput, int64_t batch, int64_t position, float* hostOut);
  int64_t decodePositions() const { return spec_.decodePositions; }

  // Optimizer slots per parameter (0 to 3) and their names, e.g. {"m", "v"} for Adam.
  int optimizerSlots() const { return optimizer_ ? optimizer_->stateTensors() : 0; }
  std::vector<std::string> optimizerSlotNames() const;
  ProgramCounters counters() const { return {optimizerStep_, forwardCount_}; }
  void setCounters(const ProgramCounters& c) { optimizerStep_ = c.optimizerStep; forwardCount_ = c.forwardCount; }

  // Gradient of the loss with respect to the input of the last computeGradients (needs inputGradient).
  void copyInputGradient(float* hostOut, int64_t count) const;

  // The weight sums of squares written by the update before the last trainStep, which that
  // step's single readback brought along (empty before the second step).
  const std::vector<double>& previousWeightSquares() const { return previousWeightSquares_; }
  // The last update's weight sums of squares, read now (one wait for the device).
  std::vector<double> readWeightSquares();
  // The caller wrote weights or optimizer state (setParameter, setOptimizerState): the norms the
  // update guard keeps are stale.
  void weightsChanged() { knownWeightSquares_.clear(); }
  void optimizerStateChanged() { guard_.reset(params_.size(), false); }

 private:
  struct Node {
    std::unique_ptr<Op> op;
    std::vector<int> inputs;
    std::vector<int> params;  // indices into params_
    int64_t scratchPerSample;
    int64_t scratchPerBatch;
    OpRun run;                // built once; pointers refreshed when capacity grows
  };

  void resetOptimizerState();  // fresh optimizer slots (compile)
  void planGradients();        // needsGrad_ and each node's gradient pointers, from the trainable flags
  void ensureCapacity(int64_t batch);
  void releaseActivations();
  void allocateActivations(int64_t batch);  // after releaseActivations; may throw part way
  void gather(const Dataset& data, const int32_t* rows, int64_t count);
  void forward(int64_t batch, bool training, uint64_t seed, int64_t position = 0);
  // One micro-batch's bookkeeping; its loss sum and correct count wait in the stats buffer.
  struct MicroBatch {
    int64_t rows;
    std::vector<double> divisors;  // of each loss's mean
    std::vector<int64_t> units;    // each loss's predictions counted by accuracy
    double share;                  // rows / the step's rows
  };
  // Forward and backward over rows in micro-batches (all at once when microBatch is 0); the
  // losses stay on the device, in the stats buffer, until readStats.
  // metrics: the set whose totals the micro-batches add to, or -1 for none.
  std::vector<MicroBatch> forwardBackward(const Dataset& data, const int32_t* rows, int64_t count, bool training,
                                          uint64_t seed, int64_t microBatch, int metrics);
  // The gathered batch's values and labels (rows of data) into `set`'s totals.
  void collectMetrics(MetricSet set, const Dataset& data, const int32_t* rows, int64_t count);
  // Loss of micro-batch `slot` into the stats buffer; with `backward`, the backward pass too.
  // gradientWeight scales the loss gradient (a micro-batch's share of the rows); accumulate adds
  // the parameter gradients to those already there.
  MicroBatch lossAndBackward(int64_t batch, bool backward, int64_t slot, bool accumulate = false,
                             double gradientWeight = 1);
  void backward(bool accumulateParams);
  // L2 penalties: sum(l2 * |w|^2) per parameter into the stats buffer; with gradients, adds
  // 2 * l2 * w to each gradient. penaltyFromStats() adds them up after readStats.
  void regularize(bool gradients);
  double penaltyFromStats() const;
  // Loss, correct count and accuracy units of the micro-batches, from the last readStats.
  StepResult lossFromStats(const std::vector<MicroBatch>& batches) const;

  // The stats buffer (backend memory, doubles): [0, P) weight sums of squares written by the
  // updates, [P, 2P) gradient sums of squares, [2P, 3P) L2 penalty sums, [3P, 6P) the optimizer
  // state slots' sums (when the update guard needs them), then per micro-batch {loss sum, correct
  // count (int64)}. One copy brings it all to the host: one wait per step.
  double* statsAt(int64_t index) const { return static_cast<double*>(stats_.get()) + index; }
  static constexpr int64_t kStatsPerParam = 3 + kMaxOptimizerSlots;
  void ensureStats(int64_t microBatches);
  void readStats(int64_t microBatches);

  Backend& backend_;
  ProgramSpec spec_;
  std::vector<TensorView> tensors_;
  std::vector<Node> nodes_;
  std::vector<Parameter> params_;
  std::vector<bool> needsGrad_, gradWritten_, paramWritten_;
  bool regularized_ = false;
  std::vector<int> outputs_;
  std::vector<LossHead> heads_;            // empty until compile
  std::vector<int64_t> headLabelOffset_;   // each loss's first label word in a packed row
  std::vector<LossShape> headLabelShape_;  // each loss's labels (worked out once, at compile)
  LossShape labelShape_{DType::Float32, 0, 0};
  std::vector<DeviceBuffer> headLabels_;   // several losses: each one's labels, unpacked per step
  const void* headLabelsAt(size_t h) const { return heads_.size() == 1 ? labels_.get() : headLabels_[h].get(); }
  DeviceBuffer paramSlab_, gradSlab_, stateSlab_;

  // Sized per batch capacity.
  int64_t capacity_ = 0;
  std::vector<DeviceBuffer> activations_;
  DeviceBuffer labels_;
  // The gathered batch's sample weights (when its data set has them) and their sum.
  DeviceBuffer weights_;
  bool batchWeighted_ = false;
  double batchWeightSum_ = 0;

  DeviceBuffer stats_;
  std::vector<double> statsHost_;
  std::vector<double> previousWeightSquares_;
  bool weightsPending_ = false;  // an update wrote weight sums of squares not yet read
  // The current weights' sums of squares when known (empty after the caller set weights), and the
  // guard against updates that would overflow float32 (update_guard.h) with its backup slab.
  std::vector<double> knownWeightSquares_;
  UpdateGuard guard_;
  DeviceBuffer backup_;
  std::vector<int64_t> paramSizes_;  // each parameter's elements, for the guard (set once)
  // Updates every parameter; on the careful path, backs up first and undoes a non-finite result
  // (returns the first parameter that overflowed, or -1).
  int32_t applyUpdates(float learningRate, int64_t microBatches, bool careful);
  // The optimizer state slots' sums of squares into stats [3P, 6P) (0 for a slot the optimizer lacks).
  void sumStateSquares();
  void stateNormsFromStats();

  // Data parallel: the engine, this rank's share of the last step's loss terms, and host copies of
  // the gradients for backends whose memory MPI cannot read.
  Collective* collective_ = nullptr;
  bool hostMemory() const;  // the backend's buffers are host memory (the CPU backend)
  double rankShare_ = 1;
  double collectiveSeconds_ = 0;
  int64_t collectiveSteps_ = 0;
  std::vector<float> hostGradients_;
  void reduceGradients(const std::vector<MicroBatch>& batches, int64_t count);
  // This rank's share of the global loss's terms (one tiny all-reduce): rankShare_.
  void shareLossTerms(double mine);
  // Overlap (host-memory backends, one micro-batch): the gradient slab in buckets from its end (the
  // last layers, whose gradients are final first), each all-reduced as soon as backward has passed
  // every node that writes it, while backward goes on.
  struct GradientBucket {
    float* data;
    int64_t n;
    int readyAfterNode;  // started once backward has run this node (the smallest writing it)
  };
  static const int64_t kOverlapBucketFloats;
  std::vector<GradientBucket> buckets_;
  size_t nextBucket_ = 0;
  bool overlapStep_ = false, overlapping_ = false;
  void planBuckets();
  void startReadyBuckets(int node);
  void finishOverlap();
  void reduceStepResult(StepResult& result) const;

  // Per metric set, per loss: its totals (null: nothing to collect), and host copies of a batch.
  std::vector<std::unique_ptr<MetricTotals>> metrics_[2];
  std::vector<float> metricValues_, metricWeights_;
  std::vector<int32_t> metricLabels_;

  std::unique_ptr<Optimizer> optimizer_;
  int64_t optimizerStep_ = 0;
  GradientControl gradientControl_;
  uint64_t forwardCount_ = 0;  // training forwards so far: selects each step's dropout mask
  // Decoding: the samples' next position and their count (the caches live in the activations'
  // scratch, so a new allocation starts over: releaseActivations sets decodeNext_ to 0).
  int64_t decodeNext_ = 0, decodeBatch_ = 0;
};

}  // namespace gradloop
