// permute: a sample's axes in a new order (Keras' Permute). Forward gathers each output element
// from its place in the input; backward is the inverse permutation applied to dy.
#include <sstream>

#include "../../core/op.h"
#include "kernels.h"

namespace gradloop {
namespace {

class Permute final : public Op {
 public:
  explicit Permute(const NodeSpec& spec) : Op(spec) {
    std::stringstream text(spec.string("dims", ""));
    std::string item;
    while (std::getline(text, item, ',')) dims_.push_back(std::atoi(item.c_str()));
  }
  const char* type() const override { return "permute"; }

  Shape outputShape(const std::vector<Shape>& in, const std::vector<DType>& types) override {
    if (types[0] != DType::Float32) throw TypeError("layer '" + name_ + "': permute expects float32 input");
    const int rank = static_cast<int>(in[0].size());
    std::vector<bool> seen(rank, false);
    bool valid = static_cast<int>(dims_.size()) == rank && rank <= PermuteLayout::kMaxRank;
    for (int d : dims_) valid = valid && d >= 0 && d < rank && !seen[d] && (seen[d] = true);
    if (!valid) throw TypeError("layer '" + name_ + "': dims must order all " + std::to_string(rank) + " axes of " + shapeToString(in[0]));
    Shape out(rank);
    std::vector<int64_t> strides(rank, 1);
    for (int a = rank - 2; a >= 0; --a) strides[a] = strides[a + 1] * in[0][a + 1];
    forward_ = backward_ = PermuteLayout{};
    forward_.rank = backward_.rank = rank;
    forward_.elements = backward_.elements = numElements(in[0]);
    // Backward: y's axis a is x's axis dims[a]; the inverse sends x's axis dims[a] back from y's a.
    std::vector<int64_t> outStrides(rank, 1);
    for (int a = 0; a < rank; ++a) out[a] = in[0][dims_[a]];
    for (int a = rank - 2; a >= 0; --a) outStrides[a] = outStrides[a + 1] * out[a + 1];
    for (int a = 0; a < rank; ++a) {
      forward_.outDims[a] = out[a];
      forward_.inStrides[a] = strides[dims_[a]];
      backward_.outDims[dims_[a]] = in[0][dims_[a]];
      backward_.inStrides[dims_[a]] = outStrides[a];
    }
    return out;
  }

  void forward(const OpRun& r) override {
    kernelsOf<PermuteKernels>(r.backend).forward(r.backend, r.inputs[0]->f(), r.output->f(), r.batch, forward_, false);
  }

  void backward(const OpRun& r) override {
    if (float* dx = r.inputs[0]->grad)
      kernelsOf<PermuteKernels>(r.backend).forward(r.backend, r.output->grad, dx, r.batch, backward_, r.accumulateInputGrad[0]);
  }

 private:
  std::vector<int> dims_;
  PermuteLayout forward_{}, backward_{};
};

}  // namespace

std::unique_ptr<Op> make_permute(const NodeSpec& spec) { return std::make_unique<Permute>(spec); }

}  // namespace gradloop
