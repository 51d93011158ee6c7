// position_embedding: keras-nlp's PositionEmbedding, a learned vector per position: the output
// is the table's first `steps` rows, broadcast over the batch, with the input's shape [steps,
// features] (its values unused, so no gradient reaches it); with `add`, the table is added to the
// input instead (TokenAndPositionEmbedding's second half), which passes the gradient through.
// Decoding one position at a time, it reads the table's row at OpRun::position.
#include "../../core/op.h"
#include "kernels.h"

namespace gradloop {
namespace {

class PositionEmbedding final : public Op {
 public:
  explicit PositionEmbedding(const NodeSpec& spec)
      : Op(spec),
        sequenceLength_(spec.integer("sequenceLength", 1, kMaxElements)),
        add_(spec.number("add", 0) != 0),
        l2_(static_cast<float>(spec.number("embeddingsL2", 0))) {}
  const char* type() const override { return "position_embedding"; }
  bool enableDecoding(int64_t maxPositions) override {
    if (maxPositions > sequenceLength_)
      throw TypeError("layer '" + name_ + "': decoding " + std::to_string(maxPositions) + " positions needs a sequenceLength of at least that, got " +
                      std::to_string(sequenceLength_));
    decoding_ = true;
    return true;
  }

  Shape outputShape(const std::vector<Shape>& in, const std::vector<DType>& types) override {
    if (types[0] != DType::Float32 || in[0].size() != 2)
      throw TypeError("layer '" + name_ + "': a position embedding expects float32 samples [steps, features], got " + shapeToString(in[0]));
    if (in[0][0] > sequenceLength_)
      throw TypeError("layer '" + name_ + "': the input has " + std::to_string(in[0][0]) + " steps, more than its sequenceLength " +
                      std::to_string(sequenceLength_) + "; raise sequenceLength");
    features_ = in[0][1];
    steps_ = in[0][0];
    return in[0];
  }

  std::vector<ParamInfo> params() const override { return {{"embeddings", {sequenceLength_, features_}, l2_}}; }

  void forward(const OpRun& r) override {
    const float* table = decoding_ ? r.params[0] + r.position * features_ : r.params[0];
    kernelsOf<PositionEmbeddingKernels>(r.backend).forward(r.backend, add_ ? r.inputs[0]->f() : nullptr, table, r.output->f(),
                                                           r.batch, steps_ * features_);
  }

  void backward(const OpRun& r) override {
    if (decoding_) throw TypeError("layer '" + name_ + "': a decoding program only runs forward");
    const int64_t n = steps_ * features_;
    if (r.paramGrads[0])
      kernelsOf<PositionEmbeddingKernels>(r.backend).backward(r.backend, r.output->grad, r.paramGrads[0], r.batch, n,
                                                              sequenceLength_ * features_, r.accumulateParamGrad);
    float* dx = r.inputs[0]->grad;
    if (!dx) return;
    if (add_) return passGradient(r.backend, r.output->grad, dx, r.batch * n, r.accumulateInputGrad[0]);
    // The output does not depend on the input's values: its gradient is 0 (backward over no
    // positions writes zeros to all `total` entries).
    if (!r.accumulateInputGrad[0])
      kernelsOf<PositionEmbeddingKernels>(r.backend).backward(r.backend, nullptr, dx, 0, 0, r.batch * n, false);
  }

 private:
  int64_t sequenceLength_;
  bool add_;
  bool decoding_ = false;
  float l2_;
  int64_t steps_ = 1, features_ = 1;
};

}  // namespace

std::unique_ptr<Op> make_position_embedding(const NodeSpec& spec) { return std::make_unique<PositionEmbedding>(spec); }

}  // namespace gradloop
