// recurrent: Keras' SimpleRNN, LSTM and GRU (the `cell` attribute), the whole time loop in one op,
// forward and backpropagation through time side by side. The three cells share everything but
// their arithmetic (cells.h): the input projection of every time step as one matrix product,
// one recurrent product per step, masks, direction, initial and returned states, and dropout.
//   inputs:  x [T, F]; then the initial states [U] (h, and c for LSTM) when `initialState`; then
//            a mask when `masked`: [T] (0 = a padded step: float32, or int32 token ids with 0 the
//            padding id), or a Masking layer's input [T, F'] (a step all of whose values equal
//            `maskValue` is padded). A padded step neither changes the state nor outputs anything but 0.
//   params:  kernel [F, G U], recurrent_kernel [U, G U], bias [G U] (GRU: [2, G U], the input
//            and recurrent biases, Keras' reset_after layout); G = 1, 4 (i f c o), 3 (z r h).
//   output:  [T, U] (returnSequences) or [U]; with returnState, one packed row per sample,
//            [that | h | c], which the layer's slice nodes take apart.
// goBackwards reads the sequence from its end and outputs the steps in that order, as Keras;
// `timeOrder` puts them back in time order (a bidirectional layer's backward half).
// dropout / recurrentDropout: one mask per sample over the input features / the state, the same
// at every step (Keras); the recurrent one applies to the state entering the recurrent product.
//
// Scratch per sample, in regions of [batch, ...] each: gates [T, G U] (the projection, then the
// activations), rec [T, G U] (GRU: the recurrent product and bias), hPrev [T, U] (the state before
// each time step, indexed by time), cPrev [T, U] (LSTM), hLast, cLast [U] (the final states),
// hDrop [T, U] (hPrev through the recurrent dropout mask, what the product read), xDrop [T, F]
// (the input through the dropout mask), dropMask [F], recMask [U]; for backward dz, dzRec [T, G U]
// and dh, dc, tmp [U]; stepMask [T] (a Masking layer's mask). Per batch, backward's copy of the recurrent kernel transposed, [G U, U]:
// the per-step product dh = dz R^T runs at 156 GFLOP/s from it against 85 from R itself
// (OpenBLAS packs a transposed operand more slowly; [32 x 256 x 1,024], 2 threads, AMD EPYC Zen 4).
#include "../../core/op.h"
#include "../../core/rng.h"
#include "../dense/kernels.h"
#include "../dropout/kernels.h"
#include "../masking/kernels.h"
#include "../permute/kernels.h"
#include "kernels.h"

namespace gradloop {
namespace {

Cell cellFromName(const std::string& name, const std::string& layer) {
  if (name == "lstm") return Cell::Lstm;
  if (name == "gru") return Cell::Gru;
  if (name == "simpleRnn") return Cell::SimpleRnn;
  throw TypeError("layer '" + layer + "': unknown recurrent cell '" + name + "'");
}

class Recurrent final : public Op {
 public:
  explicit Recurrent(const NodeSpec& spec)
      : Op(spec),
        cell_(cellFromName(spec.string("cell", ""), spec.name)),
        units_(spec.integer("units", 1, kMaxElements)),
        gates_(cell_ == Cell::Lstm ? 4 : cell_ == Cell::Gru ? 3 : 1),
        returnSequences_(spec.number("returnSequences", 0) != 0),
        returnState_(spec.number("returnState", 0) != 0),
        goBackwards_(spec.number("goBackwards", 0) != 0),
        timeOrder_(spec.number("timeOrder", 0) != 0),
        useBias_(spec.number("useBias", 1) != 0),
        initialState_(spec.number("initialState", 0) != 0),
        masked_(spec.number("masked", 0) != 0),
        activation_(activationFromName(spec.string("activation", "tanh"))),
        recurrentActivation_(activationFromName(spec.string("recurrentActivation", "sigmoid"))),
        maskValue_(static_cast<float>(spec.number("maskValue", 0))),
        dropout_(static_cast<float>(spec.number("dropout", 0))),
        recurrentDropout_(static_cast<float>(spec.number("recurrentDropout", 0))),
        kernelL2_(static_cast<float>(spec.number("kernelL2", 0))),
        recurrentL2_(static_cast<float>(spec.number("recurrentL2", 0))),
        biasL2_(static_cast<float>(spec.number("biasL2", 0))),
        salt_(mix64(static_cast<uint64_t>(spec.integer("seed", 0, kMaxSafeInteger, 0)) + 0x726e6eULL)) {
    if (!recurrent::supported(activation_) || !recurrent::supported(recurrentActivation_))
      throw TypeError("layer '" + name_ + "': a recurrent layer's activations must be tanh, sigmoid, relu or linear");
    if (!(dropout_ >= 0 && dropout_ < 1) || !(recurrentDropout_ >= 0 && recurrentDropout_ < 1))
      throw RangeError("layer '" + name_ + "': dropout and recurrentDropout must be in [0, 1)");
  }
  const char* type() const override { return "recurrent"; }

  Shape outputShape(const std::vector<Shape>& in, const std::vector<DType>& types) override {
    const size_t expected = 1 + (initialState_ ? states() : 0) + (masked_ ? 1 : 0);
    if (in.size() != expected) throw TypeError("layer '" + name_ + "': expected " + std::to_string(expected) + " inputs, got " + std::to_string(in.size()));
    if (types[0] != DType::Float32 || in[0].size() != 2)
      throw TypeError("layer '" + name_ + "': a recurrent layer expects float32 [steps, features] input, got " + shapeToString(in[0]));
    steps_ = in[0][0], features_ = in[0][1];
    for (int k = 0; initialState_ && k < states(); ++k)
      if (in[1 + k] != Shape{units_} || types[1 + k] != DType::Float32)
        throw TypeError("layer '" + name_ + "': initial state " + std::to_string(k) + " must be float32 [" + std::to_string(units_) + "], got " + shapeToString(in[1 + k]));
    valueMask_ = masked_ && in.back().size() == 2 && in.back()[0] == steps_ && types.back() == DType::Float32;
    if (masked_ && in.back() != Shape{steps_} && !valueMask_)
      throw TypeError("layer '" + name_ + "': the mask must be [" + std::to_string(steps_) + "] (one value per step), got " + shapeToString(in.back()));
    intMask_ = masked_ && types.back() == DType::Int32;
    const std::string what = "layer '" + name_ + "': ";
    const int64_t gu = numElements({gates_, units_}, what + "gates");
    numElements({features_, gu}, what + "kernel");
    numElements({units_, gu}, what + "recurrent kernel");
    // The scratch regions, per sample.
    int64_t at = 0;
    auto region = [&](int64_t& offset, int64_t size) { offset = at, at = checkedAdd(at, size, what + "scratch"); };
    const int64_t tgu = numElements({steps_, gu}, what + "gates of a sample"), tu = numElements({steps_, units_}, what + "states");
    region(gatesAt_, tgu);
    region(recAt_, cell_ == Cell::Gru ? tgu : 0);
    region(hPrevAt_, tu);
    region(cPrevAt_, cell_ == Cell::Lstm ? tu : 0);
    region(hLastAt_, units_);
    region(cLastAt_, units_);
    region(hDropAt_, recurrentDropout_ > 0 ? tu : 0);
    region(xDropAt_, dropout_ > 0 ? numElements({steps_, features_}, what + "input") : 0);
    region(dropMaskAt_, features_);
    region(recMaskAt_, units_);
    region(dzAt_, tgu);
    region(dzRecAt_, cell_ == Cell::Gru ? tgu : 0);
    region(dhAt_, units_);
    region(dcAt_, units_);
    region(tmpAt_, units_);
    region(stepMaskAt_, valueMask_ ? steps_ : 0);
    scratch_ = at;
    mainWidth_ = returnSequences_ ? tu : units_;
    if (!returnState_) return returnSequences_ ? Shape{steps_, units_} : Shape{units_};
    return {checkedAdd(mainWidth_, states() * units_, what + "output")};
  }

  std::vector<ParamInfo> params() const override {
    const int64_t gu = gates_ * units_;
    std::vector<ParamInfo> p{{"kernel", {features_, gu}, kernelL2_}, {"recurrent_kernel", {units_, gu}, recurrentL2_}};
    if (useBias_) p.push_back({"bias", cell_ == Cell::Gru ? Shape{2, gu} : Shape{gu}, biasL2_});
    return p;
  }
  int64_t scratchPerSample() const override { return scratch_; }
  int64_t scratchPerBatch() const override { return gates_ * units_ * units_; }

  void forward(const OpRun& r) override {
    Backend& b = r.backend;
    const int64_t N = r.batch, T = steps_, F = features_, U = units_, GU = gates_ * units_;
    const auto& k = kernelsOf<RecurrentKernels>(b);
    float *gates = at(r, gatesAt_), *hPrev = at(r, hPrevAt_), *cPrev = at(r, cPrevAt_);
    // The input projection of every step at once: gates[N T, G U] = x W + b.
    if (valueMask_) {  // which steps are padding, from the Masking layer's input
      const TensorView* m = r.inputs.back();
      kernelsOf<MaskingKernels>(b).stepMask(b, m->f(), at(r, stepMaskAt_), N * T, m->shape[1], maskValue_);
    }
    const float* x = input(r);
    if (r.training && dropout_ > 0) {
      makeMask(r, at(r, dropMaskAt_), N * F, dropout_, 1);
      k.maskRows(b, x, T * F, at(r, dropMaskAt_), at(r, xDropAt_), T * F, N, T, F, false);
      x = at(r, xDropAt_);
    }
    b.gemm(false, false, N * T, GU, F, 1.0f, x, F, r.params[0], GU, 0.0f, gates, GU);
    if (useBias_) kernelsOf<DenseKernels>(b).biasActivationForward(b, gates, nullptr, r.params[2], N * T, GU, Activation::Linear, 0.0f);
    if (recurrentDropping(r)) makeMask(r, at(r, recMaskAt_), N * U, recurrentDropout_, 2);
    // The initial states at the first step's slot.
    const int64_t first = goBackwards_ ? T - 1 : 0;
    if (initialState_) {
      b.copyBlocks(hPrev + first * U, T * U, r.inputs[1]->f(), U, N, U, false);
      if (cell_ == Cell::Lstm) b.copyBlocks(cPrev + first * U, T * U, r.inputs[2]->f(), U, N, U, false);
    } else {
      b.fill(hPrev, N * T * U, 0.0f);
      if (cell_ == Cell::Lstm) b.fill(cPrev, N * T * U, 0.0f);
    }
    float* out = r.output->f();
    const int64_t P = outputWidth();
    for (int64_t s = 0; s < T; ++s) {
      const int64_t t = time(s);
      const float* hp = recurrentInput(r, t);
      if (cell_ == Cell::Gru) {  // rec = h_prev R + recurrent bias, kept for backward
        float* rec = at(r, recAt_) + t * GU;
        if (useBias_) b.copyBlocks(rec, T * GU, r.params[2] + GU, 0, N, GU, false);
        b.gemm(false, false, N, GU, U, 1.0f, hp, hpStride(), r.params[1], GU, useBias_ ? 1.0f : 0.0f, rec, T * GU);
      } else {
        b.gemm(false, false, N, GU, U, 1.0f, hp, hpStride(), r.params[1], GU, 1.0f, gates + t * GU, T * GU);
      }
      recurrent::StepViews v = views(r, s);
      if (returnSequences_) v.y = out + outputStep(s) * U, v.yStride = P;
      k.stepForward(b, cell_, activation_, recurrentActivation_, v);
    }
    if (!returnSequences_) b.copyBlocks(out, P, at(r, hLastAt_), U, N, U, false);
    if (returnState_) {
      b.copyBlocks(out + mainWidth_, P, at(r, hLastAt_), U, N, U, false);
      if (cell_ == Cell::Lstm) b.copyBlocks(out + mainWidth_ + U, P, at(r, cLastAt_), U, N, U, false);
    }
  }

  void backward(const OpRun& r) override {
    Backend& b = r.backend;
    const int64_t N = r.batch, T = steps_, F = features_, U = units_, GU = gates_ * units_, P = outputWidth();
    const auto& k = kernelsOf<RecurrentKernels>(b);
    float *dz = at(r, dzAt_), *dzRec = cell_ == Cell::Gru ? at(r, dzRecAt_) : dz, *dh = at(r, dhAt_), *dc = at(r, dcAt_);
    float* dOut = r.output->grad;
    // The final states' gradients: from the last output (no sequences) and the returned states.
    if (returnSequences_) b.fill(dh, N * U, 0.0f);
    else b.copyBlocks(dh, U, dOut, P, N, U, false);
    b.fill(dc, N * U, 0.0f);
    if (returnState_) {
      b.copyBlocks(dh, U, dOut + mainWidth_, P, N, U, true);
      if (cell_ == Cell::Lstm) b.copyBlocks(dc, U, dOut + mainWidth_ + U, P, N, U, true);
    }
    const bool stateGrad = initialState_ && r.inputs[1]->grad;
    // R^T [G U, U] for the per-step products.
    float* rT = r.scratch + r.batch * scratch_;
    PermuteLayout transpose{2, {GU, U}, {1, GU}, GU * U};
    kernelsOf<PermuteKernels>(b).forward(b, r.params[1], rT, 1, transpose, false);
    for (int64_t s = T; s-- > 0;) {
      const int64_t t = time(s);
      recurrent::StepViews v = views(r, s);
      if (returnSequences_) v.dy = dOut + outputStep(s) * U, v.yStride = P;
      k.stepBackward(b, cell_, activation_, recurrentActivation_, v);
      if (s == 0 && !stateGrad) break;  // dh now would be the initial state's gradient: not needed
      // dh_prev += dzRec R^T (through the recurrent dropout mask when there is one).
      if (recurrentDropping(r)) {
        b.gemm(false, false, N, U, GU, 1.0f, dzRec + t * GU, T * GU, rT, U, 0.0f, at(r, tmpAt_), U);
        k.maskRows(b, at(r, tmpAt_), U, at(r, recMaskAt_), dh, U, N, 1, U, true);
      } else {
        b.gemm(false, false, N, U, GU, 1.0f, dzRec + t * GU, T * GU, rT, U, 1.0f, dh, U);
      }
    }
    if (stateGrad) {
      b.copyBlocks(r.inputs[1]->grad, U, dh, U, N, U, r.accumulateInputGrad[1]);
      if (cell_ == Cell::Lstm && r.inputs[2]->grad) b.copyBlocks(r.inputs[2]->grad, U, dc, U, N, U, r.accumulateInputGrad[2]);
    }
    // The weights' gradients: one product each over every step.
    const float beta = r.accumulateParamGrad ? 1.0f : 0.0f;
    const float* x = r.training && dropout_ > 0 ? at(r, xDropAt_) : input(r);
    if (r.paramGrads[0]) b.gemm(true, false, F, GU, N * T, 1.0f, x, F, dz, GU, beta, r.paramGrads[0], GU);
    if (r.paramGrads[1])
      b.gemm(true, false, U, GU, N * T, 1.0f, recurrentDropping(r) ? at(r, hDropAt_) : at(r, hPrevAt_), U, dzRec, GU, beta, r.paramGrads[1], GU);
    if (useBias_ && r.paramGrads[2]) {
      const auto& dense = kernelsOf<DenseKernels>(b);
      dense.biasBackward(b, dz, r.paramGrads[2], N * T, GU, r.accumulateParamGrad);
      if (cell_ == Cell::Gru) dense.biasBackward(b, dzRec, r.paramGrads[2] + GU, N * T, GU, r.accumulateParamGrad);
    }
    if (float* dx = r.inputs[0]->grad) {
      if (r.training && dropout_ > 0) {  // dx = (dz W^T) * mask, the product in xDrop (no longer needed)
        b.gemm(false, true, N * T, F, GU, 1.0f, dz, GU, r.params[0], GU, 0.0f, at(r, xDropAt_), F);
        k.maskRows(b, at(r, xDropAt_), T * F, at(r, dropMaskAt_), dx, T * F, N, T, F, r.accumulateInputGrad[0]);
      } else {
        b.gemm(false, true, N * T, F, GU, 1.0f, dz, GU, r.params[0], GU, r.accumulateInputGrad[0] ? 1.0f : 0.0f, dx, F);
      }
    }
    const size_t maskInput = r.inputs.size() - 1;
    if (masked_ && r.inputs[maskInput]->grad && !r.accumulateInputGrad[maskInput])
      b.fill(r.inputs[maskInput]->grad, N * r.inputs[maskInput]->elements(), 0.0f);
    // With returned states, the packed output's parts are read by slice nodes, and a part nobody
    // reads gets no gradient written: zero it after use, so such a part counts as 0 next step.
    if (returnState_) b.fill(dOut, N * P, 0.0f);
  }

 private:
  int states() const { return cell_ == Cell::Lstm ? 2 : 1; }
  int64_t outputWidth() const { return returnState_ ? mainWidth_ + states() * units_ : mainWidth_; }
  // The time index processed at step s, and where step s's output goes.
  int64_t time(int64_t s) const { return goBackwards_ ? steps_ - 1 - s : s; }
  int64_t outputStep(int64_t s) const { return timeOrder_ ? time(s) : s; }
  bool recurrentDropping(const OpRun& r) const { return r.training && recurrentDropout_ > 0; }
  float* at(const OpRun& r, int64_t offset) const { return r.scratch + r.batch * offset; }
  const float* input(const OpRun& r) const { return r.inputs[0]->f(); }
  int64_t hpStride() const { return steps_ * units_; }

  // The state the recurrent product reads at time t: hPrev, or its copy through the dropout mask.
  const float* recurrentInput(const OpRun& r, int64_t t) const {
    const float* hp = at(r, hPrevAt_) + t * units_;
    if (!recurrentDropping(r)) return hp;
    float* dropped = at(r, hDropAt_) + t * units_;
    kernelsOf<RecurrentKernels>(r.backend).maskRows(r.backend, hp, hpStride(), at(r, recMaskAt_), dropped, hpStride(), r.batch, 1, units_, false);
    return dropped;
  }

  // Step s's buffers (without its output, which forward and backward set).
  recurrent::StepViews views(const OpRun& r, int64_t s) const {
    const int64_t T = steps_, U = units_, GU = gates_ * units_, t = time(s);
    const bool last = s == T - 1;
    const int64_t next = goBackwards_ ? t - 1 : t + 1;
    recurrent::StepViews v;
    v.batch = r.batch, v.units = U;
    v.gates = at(r, gatesAt_) + t * GU, v.gatesStride = T * GU;
    if (cell_ == Cell::Gru) v.rec = at(r, recAt_) + t * GU;
    v.hPrev = at(r, hPrevAt_) + t * U, v.prevStride = T * U;
    v.hNext = last ? at(r, hLastAt_) : at(r, hPrevAt_) + next * U, v.nextStride = last ? U : T * U;
    if (cell_ == Cell::Lstm) {
      v.cPrev = at(r, cPrevAt_) + t * U;
      v.cNext = last ? at(r, cLastAt_) : at(r, cPrevAt_) + next * U;
    }
    if (masked_) {
      const TensorView* m = r.inputs.back();
      v.mask = intMask_ ? static_cast<const void*>(m->i() + t) : static_cast<const void*>((valueMask_ ? at(r, stepMaskAt_) : m->f()) + t);
      v.intMask = intMask_, v.maskStride = T;
    }
    v.dh = at(r, dhAt_), v.dc = at(r, dcAt_);
    v.dz = at(r, dzAt_) + t * GU;
    if (cell_ == Cell::Gru) v.dzRec = at(r, dzRecAt_) + t * GU;
    return v;
  }

  // A dropout mask of n values (0, or 1 / (1 - rate)), new every training step; `which` keeps
  // the input and recurrent masks apart.
  void makeMask(const OpRun& r, float* mask, int64_t n, float rate, uint64_t which) const {
    r.backend.fill(mask, n, 1.0f);
    kernelsOf<DropoutKernels>(r.backend).apply(r.backend, mask, mask, n, rate, r.seed ^ salt_ ^ mix64(which), r.stream, false);
  }

  Cell cell_;
  int64_t units_, gates_;
  bool returnSequences_, returnState_, goBackwards_, timeOrder_, useBias_, initialState_, masked_, intMask_ = false, valueMask_ = false;
  Activation activation_, recurrentActivation_;
  float maskValue_, dropout_, recurrentDropout_, kernelL2_, recurrentL2_, biasL2_;
  uint64_t salt_;
  int64_t steps_ = 1, features_ = 1, mainWidth_ = 1, scratch_ = 0;
  int64_t gatesAt_ = 0, recAt_ = 0, hPrevAt_ = 0, cPrevAt_ = 0, hLastAt_ = 0, cLastAt_ = 0, hDropAt_ = 0, xDropAt_ = 0,
          dropMaskAt_ = 0, recMaskAt_ = 0, dzAt_ = 0, dzRecAt_ = 0, dhAt_ = 0, dcAt_ = 0, tmpAt_ = 0, stepMaskAt_ = 0;
};

}  // namespace

std::unique_ptr<Op> make_recurrent(const NodeSpec& spec) { return std::make_unique<Recurrent>(spec); }

}  // namespace gradloop
