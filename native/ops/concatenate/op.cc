// concatenate: inputs joined along one axis of their per-sample shapes (Keras' Concatenate).
// Viewed as [outer, inner] blocks (outer: the batch and the axes before `axis`), each input is one
// strided 2-D copy into its columns of the output; backward copies the columns back (the backend's
// copyBlocks), so the op needs no kernels of its own.
#include "../../core/op.h"

namespace gradloop {
namespace {

class Concatenate final : public Op {
 public:
  explicit Concatenate(const NodeSpec& spec) : Op(spec), axis_(spec.integer("axis", 0, 64)) {}
  const char* type() const override { return "concatenate"; }

  Shape outputShape(const std::vector<Shape>& in, const std::vector<DType>& types) override {
    if (in.size() < 2) throw TypeError("layer '" + name_ + "': concatenate takes at least 2 inputs");
    if (axis_ >= static_cast<int64_t>(in[0].size()))
      throw TypeError("layer '" + name_ + "': axis " + std::to_string(axis_) + " is outside inputs of shape " +
                      shapeToString(in[0]));
    Shape out = in[0];
    out[axis_] = 0;
    for (size_t k = 0; k < in.size(); ++k) {
      if (types[k] != types[0]) throw TypeError("layer '" + name_ + "': inputs must share one dtype");
      bool fits = in[k].size() == in[0].size();
      for (size_t d = 0; fits && d < in[k].size(); ++d) fits = static_cast<int64_t>(d) == axis_ || in[k][d] == in[0][d];
      if (!fits)
        throw TypeError("layer '" + name_ + "': inputs must match except along axis " + std::to_string(axis_) + ", got " +
                        shapeToString(in[0]) + " and " + shapeToString(in[k]));
      out[axis_] = checkedAdd(out[axis_], in[k][axis_], "layer '" + name_ + "': output");
    }
    outer_ = 1;
    for (int64_t d = 0; d < axis_; ++d) outer_ *= out[d];
    inner_.clear();
    for (const Shape& s : in) inner_.push_back(numElements(s) / outer_);
    outputInner_ = numElements(out) / outer_;
    return out;
  }
  DType outputType(const std::vector<DType>& types) const override { return types[0]; }

  void forward(const OpRun& r) override {
    int64_t offset = 0;
    for (size_t k = 0; k < r.inputs.size(); ++k) {
      r.backend.copyBlocks(static_cast<char*>(r.output->value) + offset * 4, outputInner_, r.inputs[k]->value, inner_[k],
                           r.batch * outer_, inner_[k], false);
      offset += inner_[k];
    }
  }

  void backward(const OpRun& r) override {
    int64_t offset = 0;
    for (size_t k = 0; k < r.inputs.size(); ++k) {
      if (float* dx = r.inputs[k]->grad)
        r.backend.copyBlocks(dx, inner_[k], r.output->grad + offset, outputInner_, r.batch * outer_, inner_[k],
                             r.accumulateInputGrad[k]);
      offset += inner_[k];
    }
  }

 private:
  int64_t axis_, outer_ = 1, outputInner_ = 0;
  std::vector<int64_t> inner_;
};

}  // namespace

std::unique_ptr<Op> make_concatenate(const NodeSpec& spec) { return std::make_unique<Concatenate>(spec); }

}  // namespace gradloop
