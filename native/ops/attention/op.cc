// attention: the core of Keras' MultiHeadAttention, between its projections (dense nodes):
// queries [Tq, heads * keyDim], keys [Tv, heads * keyDim], values [Tv, heads * valueDim] per
// sample; for each sample and head, P = softmax(Q K^T / sqrt(keyDim)) (the causal mask before the
// softmax when asked), dropout on P in training, and O = P V, written head by head into
// [Tq, heads * valueDim]. The products are the backend's gemm on strided views (a head's columns),
// so no head is copied out; the softmax and dropout are those ops' kernels. A fourth input, a
// key mask [Tv] per sample (Keras' value_mask: 0 for a padded key; float32, or int32 token ids
// with 0 the padding id), keeps every query off the padded keys; it gets no gradient.
//   scratch per sample: [0, S) the probabilities P (kept for backward), [S, 2S) P after dropout,
//   [2S, 3S) dP in backward; S = heads * Tq * Tv.
// Decoding (causal only: each new position attends to the ones before it, which do not change),
// one position per call: the scratch is the key/value cache. The new position's keys and values
// are appended at OpRun::position and its query attends to positions [0, position].
//   scratch: keys [batch, L, heads * keyDim], values [batch, L, heads * valueDim], then the
//   scores [batch, heads, position + 1]; L = the most positions decoded.
#include <cmath>

#include "../../core/op.h"
#include "../../core/rng.h"
#include "../dropout/kernels.h"
#include "../softmax/kernels.h"
#include "kernels.h"

namespace gradloop {
namespace {

class Attention final : public Op {
 public:
  explicit Attention(const NodeSpec& spec)
      : Op(spec),
        heads_(spec.integer("heads", 1, 65536)),
        keyDim_(spec.integer("keyDim", 1, kMaxElements)),
        valueDim_(spec.integer("valueDim", 1, kMaxElements)),
        causal_(spec.number("causal", 0) != 0),
        masked_(spec.inputs.size() == 4),
        rate_(static_cast<float>(spec.number("dropout", 0))),
        salt_(mix64(static_cast<uint64_t>(spec.integer("seed", 0, kMaxSafeInteger, 0)) + 0x61747465ULL)) {
    if (!(rate_ >= 0 && rate_ < 1)) throw RangeError("layer '" + name_ + "': dropout must be in [0, 1)");
  }
  const char* type() const override { return "attention"; }
  bool enableDecoding(int64_t maxPositions) override {
    if (!causal_ || masked_) return false;  // a non-causal query reads later positions; a mask is not cached
    decodeLength_ = maxPositions;
    return true;
  }

  Shape outputShape(const std::vector<Shape>& in, const std::vector<DType>& types) override {
    if (in.size() != 3 && in.size() != 4) throw TypeError("layer '" + name_ + "': attention takes queries, keys, values and a key mask");
    if (masked_ && in[3] != Shape{in[1][0]})
      throw TypeError("layer '" + name_ + "': the key mask must be [" + std::to_string(in[1][0]) + "] (one value per key), got " + shapeToString(in[3]));
    intMask_ = masked_ && types[3] == DType::Int32;
    for (size_t k = 0; k < 3; ++k)
      if (types[k] != DType::Float32 || in[k].size() != 2)
        throw TypeError("layer '" + name_ + "': attention expects float32 [steps, features] inputs, got " + shapeToString(in[k]));
    if (in[0][1] != heads_ * keyDim_ || in[1][1] != heads_ * keyDim_ || in[2][1] != heads_ * valueDim_ || in[1][0] != in[2][0])
      throw TypeError("layer '" + name_ + "': queries " + shapeToString(in[0]) + ", keys " + shapeToString(in[1]) + " and values " +
                      shapeToString(in[2]) + " do not fit " + std::to_string(heads_) + " heads of " + std::to_string(keyDim_) +
                      " (keys) and " + std::to_string(valueDim_) + " (values)");
    tq_ = in[0][0], tv_ = in[1][0];
    numElements({heads_, tq_, tv_, 3}, "layer '" + name_ + "': attention scores of one sample");
    if (decodeLength_) numElements({decodeLength_, heads_, keyDim_ + valueDim_ + 1}, "layer '" + name_ + "': key/value cache");
    return {tq_, heads_ * valueDim_};
  }

  int64_t scratchPerSample() const override {
    return decodeLength_ ? decodeLength_ * (heads_ * (keyDim_ + valueDim_ + 1)) : 3 * heads_ * tq_ * tv_;
  }

  void forward(const OpRun& r) override {
    if (decodeLength_) return decode(r);
    Backend& b = r.backend;
    const int64_t S = heads_ * tq_ * tv_, count = r.batch * heads_, qw = heads_ * keyDim_, vw = heads_ * valueDim_;
    float *p = r.scratch, *pDrop = dropping(r) ? r.scratch + r.batch * S : p;
    const float* q = r.inputs[0]->f();
    const float* k = r.inputs[1]->f();
    const float* v = r.inputs[2]->f();
    const float scale = 1.0f / std::sqrt(static_cast<float>(keyDim_));
    for (int64_t n = 0; n < r.batch; ++n)
      for (int64_t h = 0; h < heads_; ++h)  // scores = Q_h K_h^T / sqrt(keyDim)
        b.gemm(false, true, tq_, tv_, keyDim_, scale, q + n * tq_ * qw + h * keyDim_, qw, k + n * tv_ * qw + h * keyDim_, qw, 0.0f,
               scores(p, n, h), tv_);
    if (masked_) kernelsOf<AttentionKernels>(b).keyMask(b, p, r.inputs[3]->value, intMask_, r.batch, heads_, tq_, tv_);
    if (causal_) kernelsOf<AttentionKernels>(b).causalMask(b, p, count, tq_, tv_);
    kernelsOf<SoftmaxKernels>(b).forward(b, p, p, count * tq_, tv_);
    if (dropping(r)) kernelsOf<DropoutKernels>(b).apply(b, p, pDrop, r.batch * S, rate_, r.seed ^ salt_, r.stream, false);
    float* out = r.output->f();
    for (int64_t n = 0; n < r.batch; ++n)
      for (int64_t h = 0; h < heads_; ++h)  // O_h = P V_h
        b.gemm(false, false, tq_, valueDim_, tv_, 1.0f, scores(pDrop, n, h), tv_, v + n * tv_ * vw + h * valueDim_, vw, 0.0f,
               out + n * tq_ * vw + h * valueDim_, vw);
  }

  // In the order queries, keys, values, so that inputs that are one tensor (self-attention fed
  // directly) are written first and then added to (accumulateInputGrad).
  void backward(const OpRun& r) override {
    if (decodeLength_) throw TypeError("layer '" + name_ + "': a decoding program only runs forward");
    Backend& b = r.backend;
    const int64_t S = heads_ * tq_ * tv_, count = r.batch * heads_, qw = heads_ * keyDim_, vw = heads_ * valueDim_;
    const float *p = r.scratch, *pDrop = dropping(r) ? r.scratch + r.batch * S : p;
    float* dp = r.scratch + 2 * r.batch * S;
    const float* q = r.inputs[0]->f();
    const float* k = r.inputs[1]->f();
    const float* v = r.inputs[2]->f();
    const float* dOut = r.output->grad;
    const float scale = 1.0f / std::sqrt(static_cast<float>(keyDim_));
    float *dq = r.inputs[0]->grad, *dk = r.inputs[1]->grad, *dv = r.inputs[2]->grad;
    if (dq || dk) {
      for (int64_t n = 0; n < r.batch; ++n)
        for (int64_t h = 0; h < heads_; ++h)  // dP = dO_h V_h^T
          b.gemm(false, true, tq_, tv_, valueDim_, 1.0f, dOut + n * tq_ * vw + h * valueDim_, vw, v + n * tv_ * vw + h * valueDim_, vw,
                 0.0f, scores(dp, n, h), tv_);
      if (dropping(r)) kernelsOf<DropoutKernels>(b).apply(b, dp, dp, r.batch * S, rate_, r.seed ^ salt_, r.stream, false);
      kernelsOf<SoftmaxKernels>(b).backward(b, p, dp, dp, count * tq_, tv_, false);  // dS, in place
      for (int64_t n = 0; n < r.batch && dq; ++n)
        for (int64_t h = 0; h < heads_; ++h)  // dQ_h = dS K_h / sqrt(keyDim)
          b.gemm(false, false, tq_, keyDim_, tv_, scale, scores(dp, n, h), tv_, k + n * tv_ * qw + h * keyDim_, qw,
                 r.accumulateInputGrad[0] ? 1.0f : 0.0f, dq + n * tq_ * qw + h * keyDim_, qw);
      for (int64_t n = 0; n < r.batch && dk; ++n)
        for (int64_t h = 0; h < heads_; ++h)  // dK_h = dS^T Q_h / sqrt(keyDim)
          b.gemm(true, false, tv_, keyDim_, tq_, scale, scores(dp, n, h), tv_, q + n * tq_ * qw + h * keyDim_, qw,
                 r.accumulateInputGrad[1] ? 1.0f : 0.0f, dk + n * tv_ * qw + h * keyDim_, qw);
    }
    if (masked_ && r.inputs[3]->grad && !r.accumulateInputGrad[3]) b.fill(r.inputs[3]->grad, r.batch * tv_, 0.0f);
    for (int64_t n = 0; n < r.batch && dv; ++n)
      for (int64_t h = 0; h < heads_; ++h)  // dV_h = P^T dO_h
        b.gemm(true, false, tv_, valueDim_, tq_, 1.0f, scores(pDrop, n, h), tv_, dOut + n * tq_ * vw + h * valueDim_, vw,
               r.accumulateInputGrad[2] ? 1.0f : 0.0f, dv + n * tv_ * vw + h * valueDim_, vw);
  }

 private:
  void decode(const OpRun& r) {
    Backend& b = r.backend;
    const int64_t L = decodeLength_, qw = heads_ * keyDim_, vw = heads_ * valueDim_, P = r.position + 1;
    float* keys = r.scratch;
    float* values = keys + r.batch * L * qw;
    float* p = values + r.batch * L * vw;
    b.copyBlocks(keys + r.position * qw, L * qw, r.inputs[1]->f(), qw, r.batch, qw, false);
    b.copyBlocks(values + r.position * vw, L * vw, r.inputs[2]->f(), vw, r.batch, vw, false);
    const float* q = r.inputs[0]->f();
    const float scale = 1.0f / std::sqrt(static_cast<float>(keyDim_));
    for (int64_t n = 0; n < r.batch; ++n)
      for (int64_t h = 0; h < heads_; ++h)
        b.gemm(false, true, 1, P, keyDim_, scale, q + n * qw + h * keyDim_, qw, keys + n * L * qw + h * keyDim_, qw, 0.0f,
               p + (n * heads_ + h) * P, P);
    kernelsOf<SoftmaxKernels>(b).forward(b, p, p, r.batch * heads_, P);
    float* out = r.output->f();
    for (int64_t n = 0; n < r.batch; ++n)
      for (int64_t h = 0; h < heads_; ++h)
        b.gemm(false, false, 1, valueDim_, P, 1.0f, p + (n * heads_ + h) * P, P, values + n * L * vw + h * valueDim_, vw, 0.0f,
               out + n * vw + h * valueDim_, vw);
  }

  bool dropping(const OpRun& r) const { return r.training && rate_ > 0; }
  template <typename T>
  T* scores(T* base, int64_t n, int64_t h) const { return base + (n * heads_ + h) * tq_ * tv_; }

  int64_t heads_, keyDim_, valueDim_;
  bool causal_, masked_, intMask_ = false;
  float rate_;
  uint64_t salt_;
  int64_t tq_ = 1, tv_ = 1;
  int64_t decodeLength_ = 0;  // decoding: the cache's positions (0: not decoding)
};

}  // namespace

std::unique_ptr<Op> make_attention(const NodeSpec& spec) { return std::make_unique<Attention>(spec); }

}  // namespace gradloop
