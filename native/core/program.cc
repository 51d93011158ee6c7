#include "program.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "float_mode.h"
#include "memory_check.h"

namespace gradloop {

namespace {
const double kZero = 0;
// Parameters start on 64-byte boundaries inside their slab (cache lines, SIMD loads).
constexpr int64_t kAlignFloats = 16;
int64_t alignUp(int64_t n) { return (n + kAlignFloats - 1) / kAlignFloats * kAlignFloats; }
}  // namespace

Program::Program(Backend& backend, const ProgramSpec& spec) : backend_(backend), spec_(spec) {
  if (spec.nodes.empty()) throw TypeError("model: a model needs at least one layer");
  tensors_.resize(spec.nodes.size() + 1);
  tensors_[0].shape = spec.inputShape;
  tensors_[0].dtype = spec.inputType;
  numElements(spec.inputShape, "model input");  // every size is checked once, here, before any allocation
  const bool decoding = spec.decodePositions > 0;
  if (decoding && (spec.decodePositions > kMaxElements || spec.inputShape.empty() || (spec.inputType == DType::Float32 && spec.inputShape.size() < 2)))
    throw TypeError("decode: a decoding program takes one position of a sequence: int32 token ids or float32 [steps, features] samples");

  // Shape inference, node by node, and the parameter list.
  std::vector<ParamInfo> infos;
  std::vector<int> owner;
  nodes_.reserve(spec.nodes.size());
  for (size_t i = 0; i < spec.nodes.size(); ++i) {
    const NodeSpec& ns = spec.nodes[i];
    Node node{createOp(ns), ns.inputs, {}, 0, 0, OpRun(backend)};
    std::vector<Shape> shapes;
    std::vector<DType> types;
    for (int in : ns.inputs) {
      if (in < 0 || in > static_cast<int>(i))
        throw TypeError("layer '" + ns.name + "': input tensor " + std::to_string(in) + " is not produced before it");
      shapes.push_back(tensors_[in].shape);
      types.push_back(tensors_[in].dtype);
    }
    if (shapes.empty()) throw TypeError("layer '" + ns.name + "': has no inputs");
    if (decoding && !node.op->enableDecoding(spec.decodePositions))
      throw TypeError("layer '" + ns.name + "' (" + node.op->type() +
                      ") looks across positions in a way that cannot be computed one new position at a time; incremental decoding "
                      "needs a causal model whose other layers work position by position");
    tensors_[i + 1].shape = node.op->outputShape(shapes, types);
    tensors_[i + 1].dtype = node.op->outputType(types);
    numElements(tensors_[i + 1].shape, "layer '" + ns.name + "': output");
    if (decoding && tensors_[i + 1].shape.size() < 2)
      throw TypeError("layer '" + ns.name + "' (" + node.op->type() + ") gives " + shapeToString(tensors_[i + 1].shape) +
                      ", no longer [steps, features]: incremental decoding needs every layer to keep the positions apart");
    const std::vector<ParamInfo> own = node.op->params();
    if (ns.shareParamsWith >= 0) {
      // A layer applied again (a shared layer): the same parameters, whose gradients add up.
      if (ns.shareParamsWith >= static_cast<int>(i))
        throw TypeError("layer '" + ns.name + "': shares the parameters of node " + std::to_string(ns.shareParamsWith) +
                        ", which does not come before it");
      const Node& first = nodes_[ns.shareParamsWith];
      bool same = own.size() == first.params.size();
      for (size_t k = 0; same && k < own.size(); ++k) same = infos[first.params[k]].shape == own[k].shape;
      if (!same)
        throw TypeError("layer '" + ns.name + "': applied again to an input of another shape; its weights are " +
                        (first.params.empty() ? std::string("none") : shapeToString(infos[first.params[0]].shape)) +
                        (own.empty() ? std::string("") : ", this input needs " + shapeToString(own[0].shape)));
      node.params = first.params;
    } else {
      for (const ParamInfo& p : own) {
        numElements(p.shape, "layer '" + ns.name + "': " + p.suffix);
        node.params.push_back(static_cast<int>(infos.size()));
        infos.push_back(p);
        owner.push_back(static_cast<int>(i));
      }
    }
    node.scratchPerSample = node.op->scratchPerSample();
    node.scratchPerBatch = node.op->scratchPerBatch();
    if (node.scratchPerSample < 0 || node.scratchPerSample > 4 * kMaxElements || node.scratchPerBatch < 0 || node.scratchPerBatch > 4 * kMaxElements)
      throw RangeError("layer '" + ns.name + "': needs " + std::to_string(node.scratchPerSample) + " scratch values per sample and " +
                       std::to_string(node.scratchPerBatch) + " per batch");
    nodes_.push_back(std::move(node));
  }
  outputs_ = spec.outputs.empty() ? std::vector<int>{static_cast<int>(spec.nodes.size())} : spec.outputs;
  for (int t : outputs_)
    if (t < 1 || t >= static_cast<int>(tensors_.size()) || tensors_[t].dtype != DType::Float32)
      throw RangeError("model: output tensor " + std::to_string(t) + " is not a float32 tensor of a node");

  // One slab for the values, one for the gradients.
  int64_t total = 0;
  for (const ParamInfo& p : infos) total = checkedAdd(total, alignUp(numElements(p.shape)), "model parameters");
  // Values and gradients; the optimizer state and the activations are checked when they are made.
  checkMemory(backend_, checkedMultiply(total, 2 * sizeof(float), "model parameters"), [&] {
    std::vector<std::pair<std::string, int64_t>> sizes;
    for (size_t k = 0; k < infos.size(); ++k)
      sizes.push_back({nodes_[owner[k]].op->name() + "/" + infos[k].suffix + " (value and gradient)", 2 * 4 * numElements(infos[k].shape)});
    return sizes;
  });
  paramSlab_ = DeviceBuffer(backend, total * sizeof(float));
  gradSlab_ = DeviceBuffer(backend, total * sizeof(float));
  int64_t offset = 0;
  for (size_t k = 0; k < infos.size(); ++k) {
    int64_t n = numElements(infos[k].shape);
    if (!(infos[k].l2 >= 0) || !std::isfinite(infos[k].l2))
      throw RangeError("layer '" + nodes_[owner[k]].op->name() + "': the L2 regularization factor must be finite and >= 0");
    params_.push_back({nodes_[owner[k]].op->name() + "/" + infos[k].suffix, infos[k].shape, n,
                       paramSlab_.f() + offset, gradSlab_.f() + offset, {nullptr, nullptr, nullptr}, infos[k].l2,
                       infos[k].trainable, infos[k].trainable});
    if (!infos[k].trainable && infos[k].l2 != 0)
      throw RangeError("layer '" + nodes_[owner[k]].op->name() + "': " + infos[k].suffix + " is not trained; it takes no regularizer");
    regularized_ = regularized_ || infos[k].l2 > 0;
    offset += alignUp(n);
  }

  // Each node's run record is built once; a step only updates batch, mode and stream.
  for (auto& node : nodes_) {
    OpRun& r = node.run;
    for (int in : node.inputs) r.inputs.push_back(&tensors_[in]);
    r.accumulateInputGrad.assign(node.inputs.size(), false);
    for (int p : node.params) r.params.push_back(params_[p].value);
  }
  for (size_t i = 0; i < nodes_.size(); ++i) nodes_[i].run.output = &tensors_[i + 1];
  gradWritten_.assign(tensors_.size(), false);
  for (const Parameter& p : params_) paramSizes_.push_back(p.size);
  planGradients();
}

void Program::planGradients() {
  // A tensor needs a gradient when a trainable parameter lies upstream of it (or it is the input
  // and the caller asked); the tensor the loss reads always gets one.
  needsGrad_.assign(tensors_.size(), false);
  needsGrad_[0] = spec_.inputGradient && spec_.inputType == DType::Float32;
  for (size_t i = 0; i < nodes_.size(); ++i) {
    bool needs = false;
    for (int p : nodes_[i].params) needs = needs || params_[p].trainable;
    for (int in : nodes_[i].inputs) needs = needs || needsGrad_[in];
    needsGrad_[i + 1] = needs;
  }
  for (int t : outputs_) needsGrad_[t] = true;  // the loss may read them (before compile: the outputs)
  for (const LossHead& h : heads_) needsGrad_[h.tensor] = true;
  // A frozen parameter's op sees a null gradient and skips that work.
  for (auto& node : nodes_) {
    node.run.paramGrads.clear();
    for (int p : node.params) node.run.paramGrads.push_back(params_[p].trainable ? params_[p].grad : nullptr);
  }
  releaseActivations();  // the next step allocates them for the new plan
}

void Program::setTrainable(const std::vector<bool>& trainable) {
  if (trainable.size() != params_.size())
    throw TypeError("setTrainable: the model has " + std::to_string(params_.size()) + " parameters, got " +
                    std::to_string(trainable.size()) + " flags");
  for (size_t k = 0; k < params_.size(); ++k) params_[k].trainable = trainable[k] && params_[k].learnable;
  for (auto& node : nodes_) {
    bool any = false;
    for (int p : node.params) any = any || trainable[p];
    node.op->setFrozen(!node.params.empty() && !any);
  }
  planGradients();
}

void Program::compile(const std::vector<LossHead>& heads, const OptimizerSpec& optimizerSpec) {
  if (spec_.decodePositions) throw TypeError("compile: a decoding program only runs inference");
  auto optimizer = std::make_unique<Optimizer>(optimizerSpec);
  if (heads.empty()) throw TypeError("compile: a loss is needed");
  std::vector<int64_t> offsets;
  std::vector<LossShape> shapes;
  int64_t words = 0;
  for (size_t h = 0; h < heads.size(); ++h) {  // everything validated before anything changes
    const int t = heads[h].tensor;
    if (t < 0 || t >= static_cast<int>(tensors_.size()) || tensors_[t].dtype != DType::Float32)
      throw RangeError("compile: the loss's tensor " + std::to_string(t) + " is not a float32 tensor of the model");
    for (size_t j = 0; j < h; ++j)
      if (heads[j].tensor == t) throw TypeError("compile: two losses read tensor " + std::to_string(t) + "; give each output one loss");
    if (!(heads[h].weight >= 0) || !std::isfinite(heads[h].weight)) throw RangeError("compile: a loss weight must be finite and >= 0");
    checkLossParam(heads[h].kind, heads[h].param);
    if (heads[h].ignoreIndex != kNoIgnoreIndex && heads[h].kind != LossKind::SoftmaxCrossEntropy)
      throw TypeError(std::string("compile: ignoreIndex applies to softmaxCrossEntropy, not ") + lossName(heads[h].kind));
    offsets.push_back(words);
    shapes.push_back(lossShape(heads[h].kind, tensors_[t].shape));
    words += shapes.back().labelElements;
  }
  heads_ = heads;
  for (auto& set : metrics_) set.clear();  // plans belong to the losses: setMetrics again
  headLabelOffset_ = offsets;
  headLabelShape_ = shapes;
  // One loss: its labels as they are; several: their values side by side as 4-byte words.
  labelShape_ = heads.size() == 1 ? shapes[0] : LossShape{DType::Float32, words, 0};
  planGradients();  // each loss writes its tensor's gradient
  optimizer_ = std::move(optimizer);
  capacity_ = 0;  // label buffers depend on the loss
  try {
    resetOptimizerState();
  } catch (...) {
    optimizer_.reset();  // no slots: the program is uncompiled again, not half compiled
    throw;
  }
}

void Program::resetOptimizerState() {
  const int slots = optimizer_->stateTensors();
  int64_t total = 0;
  for (const Parameter& p : params_) total += alignUp(p.size);
  const int64_t bytes = total * slots * static_cast<int64_t>(sizeof(float));  // parameters were checked: no overflow
  checkMemory(backend_, bytes, [&] {
    MemoryBreakdown sizes;
    for (const Parameter& p : params_) sizes.push_back({p.name + " (optimizer state)", slots * 4 * p.size});
    return sizes;
  }, static_cast<int64_t>(stateSlab_.bytes()));
  // The old slab goes before the new one is asked for (the check counted it as released).
  for (Parameter& p : params_) std::fill(std::begin(p.state), std::end(p.state), nullptr);
  stateSlab_.reset();
  stateSlab_ = DeviceBuffer(backend_, static_cast<size_t>(total * slots) * sizeof(float));
  int64_t offset = 0;
  for (Parameter& p : params_) {
    for (int s = 0; s < kMaxOptimizerSlots; ++s) p.state[s] = s < slots ? stateSlab_.f() + offset + s * total : nullptr;
    offset += alignUp(p.size);
  }
  optimizerStep_ = 0;
  guard_.reset(params_.size(), true);  // fresh slots are zero
}

void Program::ensureCapacity(int64_t batch) {
  if (batch <= capacity_) return;
  // Every size at this batch, overflow-checked, and the total against the memory available
  // (the current activations are freed first, so they count as available).
  MemoryBreakdown sizes;
  int64_t total = 0, held = 0;
  const std::string what = "batch of " + std::to_string(batch);
  for (size_t t = 0; t < tensors_.size(); ++t) {
    const int64_t bytes = checkedMultiply(checkedMultiply(batch, tensors_[t].elements(), what), 4, what);
    const int64_t copies = needsGrad_[t] ? 2 : 1;
    sizes.push_back({(t == 0 ? std::string("input") : "layer '" + nodes_[t - 1].op->name() + "' output") +
                         (copies == 2 ? " (value and gradient)" : ""), copies * bytes});
    total = checkedAdd(total, checkedMultiply(copies, bytes, what), what);
  }
  for (const Node& node : nodes_) {
    const int64_t bytes = checkedMultiply(checkedAdd(checkedMultiply(batch, node.scratchPerSample, what), node.scratchPerBatch, what), 4, what);
    sizes.push_back({"layer '" + node.op->name() + "' scratch", bytes});
    total = checkedAdd(total, bytes, what);
  }
  // The labels, and for several losses each one's unpacked copy as well.
  if (optimizer_) total = checkedAdd(total, checkedMultiply(checkedMultiply(batch, labelShape().labelElements, what), heads_.size() > 1 ? 8 : 4, what), what);
  if (batch > kMaxElements) throw RangeError("batchSize " + std::to_string(batch) + " is too large (at most 2^31 - 1 rows)");
  for (const DeviceBuffer& b : activations_) held += static_cast<int64_t>(b.bytes());
  held += static_cast<int64_t>(labels_.bytes());
  for (const DeviceBuffer& b : headLabels_) held += static_cast<int64_t>(b.bytes());
  checkMemory(backend_, total, [&] { return sizes; }, held);

  // The old activations go first (they were counted as available), and until every new buffer is
  // in place the program holds none: an allocation that fails (the check off, or a GPU whose free
  // memory shrank meanwhile) leaves no pointer into freed memory, and the next call starts over.
  releaseActivations();
  try {
    allocateActivations(batch);
  } catch (...) {
    releaseActivations();
    throw;
  }
  capacity_ = batch;
}

void Program::releaseActivations() {
  capacity_ = 0;
  decodeNext_ = 0;  // the decoding caches go with the scratch
  for (TensorView& t : tensors_) t.value = nullptr, t.grad = nullptr;
  for (Node& node : nodes_) node.run.scratch = nullptr;
  activations_.clear();
  labels_.reset();
  headLabels_.clear();
}

void Program::allocateActivations(int64_t batch) {
  for (size_t t = 0; t < tensors_.size(); ++t) {
    size_t bytes = static_cast<size_t>(batch * tensors_[t].elements()) * 4;
    activations_.emplace_back(backend_, bytes);
    tensors_[t].value = activations_.back().get();
    tensors_[t].grad = nullptr;
    if (needsGrad_[t]) {
      activations_.emplace_back(backend_, bytes);
      tensors_[t].grad = activations_.back().f();
    }
  }
  for (auto& node : nodes_) {
    activations_.emplace_back(backend_, static_cast<size_t>(batch * node.scratchPerSample + node.scratchPerBatch) * sizeof(float));
    node.run.scratch = activations_.back().f();
  }
  if (optimizer_) labels_ = DeviceBuffer(backend_, static_cast<size_t>(batch * labelShape().labelElements) * 4);
  if (optimizer_) weights_ = DeviceBuffer(backend_, static_cast<size_t>(batch) * 4);
  if (optimizer_ && heads_.size() > 1)
    for (const LossShape& shape : headLabelShape_)
      headLabels_.emplace_back(backend_, static_cast<size_t>(batch * shape.labelElements) * 4);
}

void Program::checkDataset(const Dataset& data, bool needLabels, const std::string& argument) const {
  const Columns& x = data.x();
  if (x.dtype != spec_.inputType)
    throw TypeError(argument + ": the model expects " + (spec_.inputType == DType::Int32 ? "int32" : "float32") +
                    " inputs");
  if (x.shape != spec_.inputShape)
    throw TypeError(argument + ": each sample has shape " + shapeToString(x.shape) + " but the model's input is " +
                    shapeToString(spec_.inputShape));
  if (!needLabels) return;
  if (!optimizer_) throw TypeError("model: call compile() before training or evaluating");
  if (!data.hasLabels()) throw TypeError(argument + ": labels are required");
  const LossShape& ls = labelShape();
  if (data.y().dtype != ls.labelType || numElements(data.y().shape) != ls.labelElements)
    throw TypeError(argument + ": " + (heads_.size() == 1 ? "loss '" + std::string(lossName(heads_[0].kind)) + "'" : "the model's losses") + " expect" + (heads_.size() == 1 ? "s " : " ") +
                    (ls.labelType == DType::Int32 ? "int32 class indices" : "float32 targets") + " with " +
                    std::to_string(ls.labelElements) + " value(s) per sample, got " +
                    (data.y().dtype == DType::Int32 ? "int32" : "float32") + " " + shapeToString(data.y().shape));
}

void Program::gather(const Dataset& data, const int32_t* rows, int64_t count) {
  if (&data.backend() != &backend_)
    throw TypeError("the data set lives on " + std::string(data.backend().name()) + " memory but the model runs on " +
                    backend_.name() + "; create it on the model's device");
  for (int64_t i = 0; i < count; ++i)
    if (rows[i] < 0 || rows[i] >= data.rows())
      throw RangeError("row index " + std::to_string(rows[i]) + " is outside the data set of " +
                       std::to_string(data.rows()) + " rows");
  ensureCapacity(count);
  backend_.gatherRows(tensors_[0].value, data.xData(), data.x().rowBytes(), rows, count);
  batchWeighted_ = optimizer_ && data.hasLabels() && data.hasWeights();
  if (batchWeighted_) {
    backend_.gatherRows(weights_.get(), data.weightsData(), 4, rows, count);
    batchWeightSum_ = 0;
    for (int64_t i = 0; i < count; ++i) batchWeightSum_ += data.hostWeights()[rows[i]];
  }
  if (optimizer_ && data.hasLabels()) {
    backend_.gatherRows(labels_.get(), data.yData(), data.y().rowBytes(), rows, count);
    // Several losses: each one's labels out of the packed rows, into a buffer of its own.
    const int64_t words = labelShape().labelElements;
    if (heads_.size() > 1)
      for (size_t h = 0; h < heads_.size(); ++h) {
        const int64_t n = headLabelShape_[h].labelElements;
        backend_.copyBlocks(headLabels_[h].get(), n, static_cast<const char*>(labels_.get()) + headLabelOffset_[h] * 4, words,
                            count, n, false);
      }
  }
}


void Program::forward(int64_t batch, bool training, uint64_t seed, int64_t position) {
  if (training) ++forwardCount_;
  for (size_t i = 0; i < nodes_.size(); ++i) {
    OpRun& r = nodes_[i].run;
    r.batch = batch;
    r.position = position;
    r.training = training;
    r.seed = seed;
    r.stream = (forwardCount_ << 16) | i;
    nodes_[i].op->forward(r);
  }
}

Program::MicroBatch Program::lossAndBackward(int64_t batch, bool runBackward, int64_t slot, bool accumulate,
                                             double gradientWeight) {
  MicroBatch mb{batch, {}, {}, gradientWeight};
  const int64_t H = static_cast<int64_t>(heads_.size());
  for (int64_t h = 0; h < H; ++h) {
    TensorView& out = tensors_[heads_[h].tensor];
    const int64_t at = kStatsPerParam * static_cast<int64_t>(params_.size()) + 2 * (slot * H + h);  // after the per-parameter sums (program.h)
    const LossTerms terms = computeLoss(backend_, heads_[h].kind, out.f(), headLabelsAt(h), out.grad, batch, out.shape,
                                        headLabelShape_[h], statsAt(at), reinterpret_cast<int64_t*>(statsAt(at + 1)),
                                        heads_[h].ignoreIndex, heads_[h].param,
                                        batchWeighted_ ? static_cast<const float*>(weights_.get()) : nullptr, batchWeightSum_);
    mb.divisors.push_back(terms.divisor);
    mb.units.push_back(terms.accuracyUnits);
    // The gradient of this loss's share of the total: its weight, and the micro-batch's share of the rows.
    const double scale = gradientWeight * heads_[h].weight;
    if (runBackward && scale != 1) backend_.scale(out.grad, batch * out.elements(), static_cast<float>(scale));
  }
  if (runBackward && overlapStep_) {  // data parallel, overlapped: the shares first, then buckets during backward
    shareLossTerms(heads_.size() == 1 ? mb.divisors[0] : static_cast<double>(batch));
    planBuckets();
    nextBucket_ = 0;
    overlapping_ = true;
  }
  if (runBackward) backward(accumulate);
  if (overlapping_) finishOverlap();
  return mb;
}

void Program::ensureStats(int64_t microBatches) {
  const size_t need = (kStatsPerParam * params_.size() + 2 * std::max<size_t>(heads_.size(), 1) * static_cast<size_t>(std::max<int64_t>(microBatches, 1))) * sizeof(double);
  if (stats_.bytes() >= need) return;
  DeviceBuffer grown(backend_, std::max(need, 2 * stats_.bytes()));
  // The weight sums of squares of the last update may not have been read yet: keep them.
  if (stats_.get()) backend_.copy(grown.get(), stats_.get(), params_.size() * sizeof(double));
  stats_ = std::move(grown);
  statsHost_.resize(stats_.bytes() / sizeof(double));
}

void Program::readStats(int64_t microBatches) {
  const size_t count = kStatsPerParam * params_.size() + 2 * std::max<size_t>(heads_.size(), 1) * static_cast<size_t>(std::max<int64_t>(microBatches, 1));
  backend_.copyToHost(statsHost_.data(), stats_.get(), count * sizeof(double));
}

StepResult Program::lossFromStats(const std::vector<MicroBatch>& batches) const {
  StepResult total{0, 0, 0};
  const size_t base = kStatsPerParam * params_.size(), H = heads_.size();
  std::vector<double> loss(H, 0);
  std::vector<int64_t> correct(H, 0), units(H, 0);
  for (size_t m = 0; m < batches.size(); ++m)
    for (size_t h = 0; h < H; ++h) {
      const size_t at = base + 2 * (m * H + h);
      int64_t c;
      std::memcpy(&c, &statsHost_[at + 1], sizeof(c));
      const double l = statsHost_[at] / batches[m].divisors[h];
      loss[h] += batches.size() == 1 ? l : l * batches[m].share;
      correct[h] += c;
      units[h] += batches[m].units[h];
    }
  for (size_t h = 0; h < H; ++h) total.loss += H == 1 ? loss[h] : heads_[h].weight * loss[h];
  total.correct = correct[0];
  total.accuracyUnits = units[0];
  if (H > 1) total.headLoss = loss, total.headCorrect = correct, total.headUnits = units;
  return total;
}

std::vector<double> Program::readWeightSquares() {
  std::vector<double> out(params_.size());
  if (!out.empty()) backend_.copyToHost(out.data(), stats_.get(), out.size() * sizeof(double));
  if (weightsPending_) knownWeightSquares_ = out;
  weightsPending_ = false;
  return out;
}

void Program::backward(bool accumulateParams) {
  std::fill(gradWritten_.begin(), gradWritten_.end(), false);
  paramWritten_.assign(params_.size(), false);
  for (const LossHead& h : heads_) gradWritten_[h.tensor] = true;  // nodes after one (a probability output's activation) get none
  for (size_t i = nodes_.size(); i-- > 0;) {
    Node& node = nodes_[i];
    if (!gradWritten_[i + 1]) continue;  // nothing downstream produced a gradient for this node
    for (size_t k = 0; k < node.inputs.size(); ++k) {
      // Add where a gradient is already there: from a later node, or an earlier input of this one
      // that is the same tensor (add([h, h])).
      bool written = gradWritten_[node.inputs[k]];
      for (size_t j = 0; j < k && !written; ++j) written = node.inputs[j] == node.inputs[k];
      node.run.accumulateInputGrad[k] = written;
    }
    // A shared layer's parameters: the first node to reach them writes, the others add.
    bool paramsWritten = false;
    for (int p : node.params) paramsWritten = paramsWritten || paramWritten_[p];
    node.run.accumulateParamGrad = accumulateParams || paramsWritten;
    for (int p : node.params) paramWritten_[p] = true;
    node.op->backward(node.run);
    for (int in : node.inputs)
      if (tensors_[in].grad) gradWritten_[in] = true;
    if (overlapping_) startReadyBuckets(static_cast<int>(i));  // data parallel: buckets whose gradients are final
  }
}

StepResult Program::trainStep(const Dataset& data, const int32_t* rows, int64_t count, float learningRate,
                              uint64_t seed, int64_t microBatch) {
  CanonicalFloatMode mode;
  const size_t P = params_.size();
  // Data parallel: the gradients are all-reduced during backward (one micro-batch, host memory) or
  // after it. L2's gradient goes on after the sum (the same on every rank).
  const bool overlapped = collective_ && hostMemory() && (microBatch <= 0 || microBatch >= count);
  overlapStep_ = overlapped;
  std::vector<MicroBatch> batches = forwardBackward(data, rows, count, true, seed, microBatch, kTrainingMetrics);
  overlapStep_ = false;
  if (collective_ && !overlapped) reduceGradients(batches, count);
  if (regularized_) regularize(true);
  // Gradient health: per-parameter sums of squares, whose total gives the global norm as
  // torch.nn.utils.clip_grad_norm_ computes it.
  for (size_t k = 0; k < P; ++k) {
    if (params_[k].trainable) backend_.sumSquares(params_[k].grad, params_[k].size, statsAt(P + k));
    else backend_.copyFromHost(statsAt(P + k), &kZero, sizeof(double));
  }
  // The update guard's norms, where it lacks them: the weights' (after the caller set them) and
  // the optimizer state's (after a checkpoint's was loaded), measured in this same wait.
  const bool measureWeights = !weightsPending_ && knownWeightSquares_.empty();
  if (measureWeights)
    for (size_t k = 0; k < P; ++k) backend_.sumSquares(params_[k].value, params_[k].size, statsAt(k));
  const bool measureState = !guard_.stateKnown();
  if (measureState) sumStateSquares();
  // The step's one wait for the device: losses, gradient sums, penalties and the previous
  // update's weight sums arrive in one copy.
  const bool pending = weightsPending_;
  readStats(static_cast<int64_t>(batches.size()));
  if (pending) {
    previousWeightSquares_.assign(statsHost_.begin(), statsHost_.begin() + static_cast<std::ptrdiff_t>(P));
    weightsPending_ = false;
  }
  if (pending || measureWeights) knownWeightSquares_.assign(statsHost_.begin(), statsHost_.begin() + static_cast<std::ptrdiff_t>(P));
  if (measureState) stateNormsFromStats();
  StepResult result = lossFromStats(batches);
  if (collective_) reduceStepResult(result);
  if (regularized_) result.loss += penaltyFromStats();

  // The first parameter in model order that is not finite.
  result.gradSquares.assign(statsHost_.begin() + static_cast<std::ptrdiff_t>(P), statsHost_.begin() + static_cast<std::ptrdiff_t>(2 * P));
  double total = 0;
  for (size_t k = 0; k < P; ++k) {
    total += result.gradSquares[k];
    if (!std::isfinite(result.gradSquares[k]) && result.nonFinite == -2) result.nonFinite = static_cast<int32_t>(k);
  }
  result.gradNorm = std::sqrt(total);
  if (!std::isfinite(result.loss) && result.nonFinite == -2) result.nonFinite = -1;
  if (result.nonFinite != -2 && gradientControl_.skipNonFinite) {  // weights stay as they were
    for (size_t k = 0; k < P; ++k) backend_.sumSquares(params_[k].value, params_[k].size, statsAt(k));
    weightsPending_ = true;
    return result;
  }

  if (gradientControl_.clipValue > 0)
    for (Parameter& p : params_)
      if (p.trainable) backend_.clamp(p.grad, p.size, gradientControl_.clipValue);
  if (gradientControl_.clipNorm > 0) {
    double norm = result.gradNorm;
    if (gradientControl_.clipValue > 0) {  // clamping changed the norm: one more wait, with both clips on
      for (size_t k = 0; k < P; ++k)
        if (params_[k].trainable) backend_.sumSquares(params_[k].grad, params_[k].size, statsAt(P + k));
      readStats(static_cast<int64_t>(batches.size()));
      double clamped = 0;
      for (size_t k = 0; k < P; ++k) clamped += statsHost_[P + k];
      norm = std::sqrt(clamped);
    }
    const double coefficient = gradientControl_.clipNorm / (norm + 1e-6);
    if (coefficient < 1)
      for (Parameter& p : params_)
        if (p.trainable) backend_.scale(p.grad, p.size, static_cast<float>(coefficient));
  }
  // Finite gradients can still overflow in the update (update_guard.h): where the norms cannot
  // rule that out, the update runs on the careful path, and a step that overflowed is undone.
  const bool risky = guard_.mightOverflow(*optimizer_, knownWeightSquares_, result.gradSquares, paramSizes_, learningRate, optimizerStep_ + 1);
  const bool careful = risky && gradientControl_.skipNonFinite;
  const int32_t overflowed = applyUpdates(learningRate, static_cast<int64_t>(batches.size()), careful);
  if (overflowed >= 0) result.nonFinite = -3 - overflowed;
  return result;
}

int32_t Program::applyUpdates(float learningRate, int64_t microBatches, bool careful) {
  const size_t P = params_.size();
  const size_t paramBytes = paramSlab_.bytes(), stateBytes = stateSlab_.bytes();
  if (careful) {
    if (backup_.bytes() < paramBytes + stateBytes) backup_ = DeviceBuffer(backend_, paramBytes + stateBytes);
    backend_.copy(backup_.get(), paramSlab_.get(), paramBytes);
    if (stateBytes) backend_.copy(static_cast<char*>(backup_.get()) + paramBytes, stateSlab_.get(), stateBytes);
  }
  ++optimizerStep_;
  for (size_t k = 0; k < P; ++k) {
    Parameter& p = params_[k];
    if (p.trainable) optimizer_->update(backend_, p.value, p.grad, p.state, p.size, learningRate, optimizerStep_, statsAt(k));
    else backend_.sumSquares(p.value, p.size, statsAt(k));  // frozen: unchanged, its norm as the update would write it
  }
  weightsPending_ = true;
  knownWeightSquares_.clear();  // known again when the update's sums are read
  if (!careful) {
    guard_.commit();  // the state bounds mightOverflow worked out for this update
    return -1;
  }
  // Careful: read the new weights' and state's sums now (one more wait), and undo a step that left
  // float32's range, so the weights and state are those from before it.
  sumStateSquares();
  readStats(microBatches);
  int32_t bad = -1;
  for (size_t k = 0; k < P && bad < 0; ++k)
    if (!std::isfinite(statsHost_[k]) || !std::isfinite(statsHost_[3 * P + k]) || !std::isfinite(statsHost_[4 * P + k]) ||
        !std::isfinite(statsHost_[5 * P + k]))
      bad = static_cast<int32_t>(k);
  if (bad < 0) {
    knownWeightSquares_.assign(statsHost_.begin(), statsHost_.begin() + static_cast<std::ptrdiff_t>(P));
    stateNormsFromStats();
    return -1;
  }
  backend_.copy(paramSlab_.get(), backup_.get(), paramBytes);
  if (stateBytes) backend_.copy(stateSlab_.get(), static_cast<const char*>(backup_.get()) + paramBytes, stateBytes);
  --optimizerStep_;
  for (size_t k = 0; k < P; ++k) backend_.sumSquares(params_[k].value, params_[k].size, statsAt(k));
  return bad;
}

void Program::sumStateSquares() {
  const size_t P = params_.size();
  for (size_t k = 0; k < P; ++k)
    for (int s = 0; s < kMaxOptimizerSlots; ++s) {
      if (params_[k].state[s]) backend_.sumSquares(params_[k].state[s], params_[k].size, statsAt((3 + s) * P + k));
      else backend_.copyFromHost(statsAt((3 + s) * P + k), &kZero, sizeof(double));
    }
}

void Program::stateNormsFromStats() {
  const size_t P = params_.size();
  guard_.setStateSquares(&statsHost_[3 * P], &statsHost_[4 * P], &statsHost_[5 * P]);
}

StepResult Program::computeGradients(const Dataset& data, const int32_t* rows, int64_t count, bool training,
                                     uint64_t seed) {
  CanonicalFloatMode mode;
  std::vector<MicroBatch> batches = forwardBackward(data, rows, count, training, seed, 0, -1);
  if (regularized_) regularize(true);
  readStats(static_cast<int64_t>(batches.size()));
  StepResult result = lossFromStats(batches);
  if (regularized_) result.loss += penaltyFromStats();
  return result;
}

std::vector<Program::MicroBatch> Program::forwardBackward(const Dataset& data, const int32_t* rows, int64_t count,
                                                          bool training, uint64_t seed, int64_t microBatch, int metrics) {
  checkDataset(data, true, "x");
  const int64_t micro = microBatch > 0 && microBatch < count ? microBatch : count;
  ensureStats((count + micro - 1) / micro);
  std::vector<MicroBatch> batches;
  // With sample weights, a micro-batch's share is its share of the batch's weight (one micro-batch:
  // all of it, and gather sums its weights already).
  double totalWeight = 0;
  if (data.hasWeights() && micro < count)
    for (int64_t i = 0; i < count; ++i) totalWeight += data.hostWeights()[rows[i]];
  for (int64_t start = 0; start < count; start += micro) {
    const int64_t n = std::min(micro, count - start);
    gather(data, rows + start, n);
    forward(n, training, seed);
    // Each micro-batch's mean-loss gradient, weighted by its share of the rows and summed into
    // the parameter gradients, is the gradient of the mean loss over all `count` rows.
    const double share = micro == count ? 1.0
                         : batchWeighted_ && totalWeight > 0 ? batchWeightSum_ / totalWeight : static_cast<double>(n) / static_cast<double>(count);
    batches.push_back(lossAndBackward(n, true, static_cast<int64_t>(batches.size()), start > 0, share));
    if (metrics >= 0) collectMetrics(static_cast<MetricSet>(metrics), data, rows + start, n);
  }
  return batches;
}

void Program::setMetrics(const std::vector<MetricPlan>& plans) {
  if (heads_.empty()) throw TypeError("metrics: compile the program first");
  if (plans.size() != heads_.size())
    throw RangeError("metrics: expected " + std::to_string(heads_.size()) + " plans (one per loss), got " + std::to_string(plans.size()));
  for (auto& set : metrics_) {
    set.clear();
    for (const MetricPlan& plan : plans) set.push_back(plan.empty() ? nullptr : std::make_unique<MetricTotals>(plan));
  }
}

const MetricTotals* Program::metricTotals(MetricSet set, size_t h) const {
  return h < metrics_[set].size() ? metrics_[set][h].get() : nullptr;
}

void Program::resetMetrics(MetricSet set) {
  for (auto& totals : metrics_[set])
    if (totals) totals->reset();
}

void Program::collectMetrics(MetricSet set, const Dataset& data, const int32_t* rows, int64_t count) {
  bool any = false;
  for (const auto& totals : metrics_[set]) any = any || totals != nullptr;
  if (!any) return;  // nothing beyond the loss's own accuracy asked for: no work per step
  if (data.hasWeights()) {
    metricWeights_.resize(static_cast<size_t>(count));
    for (int64_t i = 0; i < count; ++i) metricWeights_[i] = data.hostWeights()[rows[i]];
  }
  for (size_t h = 0; h < metrics_[set].size(); ++h) {
    MetricTotals* totals = metrics_[set][h].get();
    if (!totals) continue;
    // The values the loss read and its labels: read in place on the CPU backend; a device's are
    // copied to the host (a few KB; on a GPU one wait).
    const TensorView& out = tensors_[heads_[h].tensor];
    const int64_t values = count * out.elements(), labels = count * headLabelShape_[h].labelElements;
    const float* hostValues = out.f();
    const void* hostLabels = headLabelsAt(h);
    if (!hostMemory()) {
      metricValues_.resize(static_cast<size_t>(values));
      metricLabels_.resize(static_cast<size_t>(labels));
      backend_.copyToHost(metricValues_.data(), out.value, static_cast<size_t>(values) * sizeof(float));
      backend_.copyToHost(metricLabels_.data(), headLabelsAt(h), static_cast<size_t>(labels) * 4);
      hostValues = metricValues_.data(), hostLabels = metricLabels_.data();
    }
    totals->add(hostValues, hostLabels, data.hasWeights() ? metricWeights_.data() : nullptr, count);
  }
}

void Program::regularize(bool gradients) {
  const size_t P = params_.size();
  for (size_t k = 0; k < P; ++k) {
    Parameter& p = params_[k];
    if (p.l2 == 0) continue;
    backend_.sumSquares(p.value, p.size, statsAt(2 * P + k));  // a frozen weight's penalty still counts, as Keras
    if (gradients && p.trainable) backend_.axpy(p.grad, p.value, p.size, 2 * p.l2);
  }
}

double Program::penaltyFromStats() const {
  const size_t P = params_.size();
  double penalty = 0;
  for (size_t k = 0; k < P; ++k)
    if (params_[k].l2 != 0) penalty += params_[k].l2 * statsHost_[2 * P + k];
  return penalty;
}

std::vector<std::string> Program::optimizerSlotNames() const {
  return optimizer_ ? optimizer_->slotNames() : std::vector<std::string>{};
}

StepResult Program::evaluateBatch(const Dataset& data, const int32_t* rows, int64_t count) {
  CanonicalFloatMode mode;
  checkDataset(data, true, "x");
  gather(data, rows, count);
  forward(count, false, 0);
  ensureStats(1);
  std::vector<MicroBatch> batches{lossAndBackward(count, false, 0)};
  collectMetrics(kEvaluationMetrics, data, rows, count);
  if (regularized_) regularize(false);
  readStats(1);
  StepResult r = lossFromStats(batches);
  if (regularized_) r.loss += penaltyFromStats();  // as Keras, the reported loss includes the penalties
  r.weight = batchWeighted_ ? batchWeightSum_ : static_cast<double>(count);
  return r;
}

void Program::predictBatch(const Dataset& data, const int32_t* rows, int64_t count, const std::vector<float*>& hostOut) {
  CanonicalFloatMode mode;
  checkDataset(data, false, "x");
  gather(data, rows, count);
  forward(count, false, 0);
  for (size_t k = 0; k < outputs_.size(); ++k) {
    const TensorView& out = tensors_[outputs_[k]];
    backend_.copyToHost(hostOut[k], out.value, static_cast<size_t>(count * out.elements()) * sizeof(float));
  }
}

void Program::decode(const void* hostInput, int64_t batch, int64_t position, float* hostOut) {
  const int64_t L = spec_.decodePositions;
  if (L == 0) throw TypeError("decode: this program was not built for incremental decoding");
  if (batch < 1 || batch > kMaxElements) throw RangeError("decode: batch must be at least 1");
  if (position < 0 || position >= L)
    throw RangeError("decode: position " + std::to_string(position) + " is outside the model's " + std::to_string(L) + " positions");
  if (position > 0 && (position != decodeNext_ || batch != decodeBatch_))
    throw RangeError("decode: position " + std::to_string(position) + " does not follow the previous call (" +
                     (decodeNext_ ? "next is " + std::to_string(decodeNext_) + " for a batch of " + std::to_string(decodeBatch_) : "nothing decoded yet") +
                     "); start again at position 0");
  CanonicalFloatMode mode;
  decodeNext_ = 0;  // until this step is through
  ensureCapacity(batch);
  backend_.copyFromHost(tensors_[0].value, hostInput, static_cast<size_t>(batch * tensors_[0].elements()) * 4);
  forward(batch, false, 0, position);
  const TensorView& out = tensors_[outputs_[0]];
  backend_.copyToHost(hostOut, out.value, static_cast<size_t>(batch * out.elements()) * sizeof(float));
  decodeNext_ = position + 1, decodeBatch_ = batch;
}

void Program::copyInputGradient(float* hostOut, int64_t count) const {
  if (!tensors_[0].grad) throw TypeError("model: input gradients were not requested when the model was built");
  if (count < 0 || count > capacity_) throw RangeError("inputGradient: count exceeds the last batch");
  backend_.copyToHost(hostOut, tensors_[0].grad, static_cast<size_t>(count * tensors_[0].elements()) * sizeof(float));
}

}  // namespace gradloop
