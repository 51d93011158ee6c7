// A node of the program graph. Each op type lives in ops/<op>.cc with its
// forward and backward next to each other; the kernels they call are the
// backend's, so the same op runs on every backend.
#pragma once
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "backend.h"
#include "tensor.h"

namespace gradloop {

// What the binding hands over for one node, already validated in TypeScript.
struct NodeSpec {
  std::string op;              // "dense", "activation", "softmax", "dropout", "flatten", "embedding"
  std::string name;            // the layer's name, used in every error message
  std::vector<int> inputs;     // tensor ids; tensor 0 is the model input, node i writes tensor i + 1
  int shareParamsWith = -1;    // a layer applied again: the index of the node whose parameters it uses
  std::map<std::string, double> numbers;
  std::map<std::string, std::string> strings;

  double number(const std::string& key) const;                      // throws if missing
  double number(const std::string& key, double fallback) const;
  // An integer attribute in [min, max], checked before any cast (a double outside int64's range
  // must never reach static_cast): a RangeError naming the layer and the key otherwise.
  int64_t integer(const std::string& key, int64_t min, int64_t max) const;
  int64_t integer(const std::string& key, int64_t min, int64_t max, int64_t fallback) const;
  std::string string(const std::string& key, const std::string& fallback) const;
};

struct ParamInfo {
  std::string suffix;  // "kernel", "bias", "embeddings"
  Shape shape;
  float l2 = 0;        // L2 penalty factor (Keras' regularizers.l2): loss += l2 * sum(w^2)
  // false: state the op itself updates in its forward pass, never a gradient or the optimizer
  // (batch normalization's moving statistics, Keras' non-trainable weights).
  bool trainable = true;
};

// One tensor as an op sees it during a step: `batch` samples of `shape` each.
struct TensorView {
  void* value = nullptr;  // float32, or int32 for an integer model input
  float* grad = nullptr;  // null when nothing upstream needs this gradient
  Shape shape;            // per-sample shape
  DType dtype = DType::Float32;
  int64_t elements() const { return numElements(shape); }  // per sample
  float* f() const { return static_cast<float*>(value); }
  const int32_t* i() const { return static_cast<const int32_t*>(value); }
};

// Everything one forward or backward call needs.
struct OpRun {
  explicit OpRun(Backend& b) : backend(b) {}
  Backend& backend;
  int64_t batch = 0;
  bool training = false;
  uint64_t seed = 0;    // dropout seed for this fit
  uint64_t stream = 0;  // unique per (step, node): a fresh dropout mask every step
  std::vector<TensorView*> inputs;
  TensorView* output = nullptr;
  std::vector<float*> params;      // values, in params() order
  std::vector<float*> paramGrads;  // gradients, same order; null for a frozen parameter
  float* scratch = nullptr;        // scratchPerSample() * batch floats, then scratchPerBatch()
  int64_t position = 0;            // incremental decoding: the position of this call's one step
  std::vector<bool> accumulateInputGrad;
  bool accumulateParamGrad = false;
};

class Op {
 public:
  explicit Op(const NodeSpec& spec) : name_(spec.name) {}
  virtual ~Op() = default;
  const std::string& name() const { return name_; }
  virtual const char* type() const = 0;

  // Validates the input shapes/types and returns the output's per-sample shape.
  // Throws a TypeError/RangeError naming the layer when they do not fit.
  virtual Shape outputShape(const std::vector<Shape>& inputShapes, const std::vector<DType>& inputTypes) = 0;
  // The output's element type: float32 for every op that computes; ops that only move values
  // (reshape, concatenate, a model input's slice) keep int32 token ids int32.
  virtual DType outputType(const std::vector<DType>& /*inputTypes*/) const { return DType::Float32; }
  virtual std::vector<ParamInfo> params() const { return {}; }
  virtual int64_t scratchPerSample() const { return 0; }
  // Scratch of a fixed size whatever the batch (a weight's transposed copy), after the per-sample part.
  virtual int64_t scratchPerBatch() const { return 0; }
  // The layer was frozen (layer.trainable = false) or thawed. Most ops only see null parameter
  // gradients; batch normalization then also normalizes with its moving statistics, as Keras does.
  virtual void setFrozen(bool /*frozen*/) {}
  // Incremental decoding (Program::decode: text generation with a key/value cache) runs one new
  // position per call, a sample's first axis being its positions. Called before outputShape with
  // the most positions a decode will reach. An op that treats positions independently (dense,
  // layer norm, activations, merges) returns true and needs nothing more; one that looks across
  // positions either keeps what it needs of the earlier ones in its scratch and reads
  // OpRun::position (causal attention, position embeddings) or returns false, the default: the
  // model then cannot decode incrementally.
  virtual bool enableDecoding(int64_t /*maxPositions*/) { return false; }

  virtual void forward(const OpRun& run) = 0;
  // Writes (or, when flagged, adds) gradients for every input with a non-null grad and every
  // parameter whose gradient pointer is non-null (null: the parameter is frozen; skip that work).
  virtual void backward(const OpRun& run) = 0;

 protected:
  std::string name_;
};

std::unique_ptr<Op> createOp(const NodeSpec& spec);  // throws TypeError for an unknown op

}  // namespace gradloop
