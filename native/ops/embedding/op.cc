// embedding: out[..., dim] = embeddings[ids[...], :] for int32 ids in [0, inputDim).
//   ids [batch, T], embeddings [inputDim, outputDim], out [batch, T, outputDim].
// Backward scatter-adds rows of dOut into dEmbeddings; ids carry no gradient.
#include "../../core/op.h"
#include "kernels.h"

namespace gradloop {
namespace {

class Embedding final : public Op {
 public:
  explicit Embedding(const NodeSpec& spec)
      : Op(spec),
        vocab_(spec.integer("inputDim", 1, kMaxElements)),
        dim_(spec.integer("outputDim", 1, kMaxElements)),
        l2_(static_cast<float>(spec.number("embeddingsL2", 0))) {
  }
  const char* type() const override { return "embedding"; }
  bool enableDecoding(int64_t) override { return true; }  // position by position

  Shape outputShape(const std::vector<Shape>& in, const std::vector<DType>& types) override {
    if (types[0] != DType::Int32)
      throw TypeError("layer '" + name_ + "': embedding expects int32 token ids as input (tensor(data, shape, 'int32'))");
    Shape out = in[0];
    out.push_back(dim_);
    return out;
  }

  std::vector<ParamInfo> params() const override { return {{"embeddings", {vocab_, dim_}, l2_}}; }

  void forward(const OpRun& r) override {
    int64_t count = r.batch * r.inputs[0]->elements();
    try {
      kernelsOf<EmbeddingKernels>(r.backend).forward(r.backend, r.inputs[0]->i(), r.params[0], r.output->f(), count,
                                                     dim_, vocab_);
    } catch (const RangeError& e) {
      throw RangeError("layer '" + name_ + "': " + e.what());
    }
  }

  void backward(const OpRun& r) override {
    if (!r.paramGrads[0]) return;  // frozen: no gradient to scatter (token ids have none)
    int64_t count = r.batch * r.inputs[0]->elements();
    kernelsOf<EmbeddingKernels>(r.backend).backward(r.backend, r.inputs[0]->i(), r.output->grad, r.paramGrads[0],
                                                    count, dim_, vocab_, r.accumulateParamGrad);
  }

 private:
  int64_t vocab_, dim_;
  float l2_;
};

}  // namespace

std::unique_ptr<Op> make_embedding(const NodeSpec& spec) { return std::make_unique<Embedding>(spec); }

}  // namespace gradloop
