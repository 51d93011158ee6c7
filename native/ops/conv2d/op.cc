// conv2d: a 2-D convolution over channels-last samples [h, w, c] (Keras' Conv2D): filters of
// kh x kw x c, strides, dilation, 'valid' or 'same' zero padding, bias and activation fused as in
// dense. Forward is im2col, then one matrix product (the backend's gemm) for the whole batch;
// backward is the product's two gradients and col2im. Grouped (groups > 1: each group of c/groups
// input channels feeds its own filters/groups filters) and depthwise convolutions (Keras'
// DepthwiseConv2D: groups = c, depthMultiplier filters each) run one product per group; the
// kernel [kh, kw, c/groups, filters] is laid out as Keras' depthwise [kh, kw, c, multiplier].
//   scratch per sample: [0, P*K) the column matrix (group by group) (kept from forward for the kernel's gradient,
//   then reused for the columns' gradient), [P*K, P*K + P*F) dZ, then the pre-activation for gelu.
#include <algorithm>

#include "../../core/op.h"
#include "../dense/kernels.h"
#include "attributes.h"

namespace gradloop {
namespace {

class Conv2d final : public Op {
 public:
  explicit Conv2d(const NodeSpec& spec)
      : Op(spec),
        kernel1d_(spec.number("kernelRank", 4) == 3),
        groups_(spec.integer("groups", 1, kMaxElements, 1)),
        depthMultiplier_(spec.integer("depthMultiplier", 0, kMaxElements, 0)),
        a_(spec, g_) {}
  const char* type() const override { return "conv2d"; }

  Shape outputShape(const std::vector<Shape>& in, const std::vector<DType>& types) override {
    if (types[0] != DType::Float32 || in[0].size() != 3)
      throw TypeError("layer '" + name_ + "': conv2d expects float32 samples [height, width, channels], got " + shapeToString(in[0]));
    g_.h = in[0][0], g_.w = in[0][1], g_.c = in[0][2];
    if (depthMultiplier_ > 0) groups_ = g_.c, a_.filters = g_.c * depthMultiplier_;  // depthwise
    if (g_.c % groups_ != 0 || a_.filters % groups_ != 0)
      throw TypeError("layer '" + name_ + "': groups " + std::to_string(groups_) + " must divide the input's " +
                      std::to_string(g_.c) + " channels and the " + std::to_string(a_.filters) + " filters");
    g_.cg = g_.c / groups_, g_.c0 = 0;
    const int64_t spanH = g_.dh * (g_.kh - 1) + 1, spanW = g_.dw * (g_.kw - 1) + 1;
    if (a_.same) {  // TensorFlow's 'same': ceil(size / stride) positions, the extra padding at the end
      g_.oh = (g_.h + g_.sh - 1) / g_.sh, g_.ow = (g_.w + g_.sw - 1) / g_.sw;
      g_.padTop = std::max<int64_t>(0, (g_.oh - 1) * g_.sh + spanH - g_.h) / 2;
      g_.padLeft = std::max<int64_t>(0, (g_.ow - 1) * g_.sw + spanW - g_.w) / 2;
    } else {
      if (spanH > g_.h || spanW > g_.w)
        throw TypeError("layer '" + name_ + "': a " + std::to_string(spanH) + "x" + std::to_string(spanW) +
                        " window does not fit in input " + shapeToString(in[0]) + "; use padding 'same' or a smaller kernelSize");
      g_.oh = (g_.h - spanH) / g_.sh + 1, g_.ow = (g_.w - spanW) / g_.sw + 1;
      g_.padTop = g_.padLeft = 0;
    }
    const std::string what = "layer '" + name_ + "': ";
    numElements({g_.positions(), g_.window(), groups_}, what + "the column matrix of one sample");
    numElements({g_.kh, g_.kw, g_.cg, a_.filters}, what + "kernel");
    return {g_.oh, g_.ow, a_.filters};
  }

  std::vector<ParamInfo> params() const override {
    // conv1d runs as a conv2d of height 1 and keeps Keras' 1-D kernel shape [kw, c, filters] (same
    // layout); depthwise keeps Keras' [kh, kw, c, multiplier] (the layout of [kh, kw, 1, c * multiplier]).
    Shape kernel = depthMultiplier_ > 0 ? Shape{g_.kh, g_.kw, g_.c, depthMultiplier_}
                   : kernel1d_         ? Shape{g_.kw, g_.cg, a_.filters}
                                       : Shape{g_.kh, g_.kw, g_.cg, a_.filters};
    std::vector<ParamInfo> p{{"kernel", kernel, a_.kernelL2}};
    if (a_.useBias) p.push_back({"bias", {a_.filters}, a_.biasL2});
    return p;
  }

  int64_t scratchPerSample() const override {
    const int64_t cols = g_.positions() * g_.window() * groups_, outs = g_.positions() * a_.filters;
    return cols + outs + (activationNeedsInput(a_.act) ? outs : 0);
  }

  void forward(const OpRun& r) override {
    const int64_t rows = r.batch * g_.positions(), K = g_.window(), Fg = a_.filters / groups_;
    float* y = r.output->f();
    for (int64_t group = 0; group < groups_; ++group) {
      float* col = columns(r, group);
      kernelsOf<Conv2dKernels>(r.backend).im2col(r.backend, r.inputs[0]->f(), col, r.batch, inGroup(group));
      r.backend.gemm(false, false, rows, Fg, K, 1.0f, col, K, r.params[0] + group * Fg, a_.filters, 0.0f, y + group * Fg, a_.filters);
    }
    if (a_.useBias || a_.act != Activation::Linear)
      kernelsOf<DenseKernels>(r.backend).biasActivationForward(r.backend, y, activationNeedsInput(a_.act) ? preact(r) : nullptr,
                                                               a_.useBias ? r.params[1] : nullptr, rows, a_.filters, a_.act, a_.alpha);
  }

  void backward(const OpRun& r) override {
    const int64_t rows = r.batch * g_.positions(), K = g_.window(), Fg = a_.filters / groups_;
    const float* dz = r.output->grad;
    if (a_.act != Activation::Linear) {
      float* buffer = r.scratch + rows * K * groups_;
      kernelsOf<ActivationKernels>(r.backend).backward(r.backend, activationNeedsInput(a_.act) ? preact(r) : nullptr,
                                                       r.output->f(), r.output->grad, buffer, rows * a_.filters, a_.act, a_.alpha, false);
      dz = buffer;
    }
    if (a_.useBias && r.paramGrads[1])  // null: frozen
      kernelsOf<DenseKernels>(r.backend).biasBackward(r.backend, dz, r.paramGrads[1], rows, a_.filters, r.accumulateParamGrad);
    for (int64_t group = 0; group < groups_; ++group) {
      float* col = columns(r, group);
      const float* dzGroup = dz + group * Fg;
      // dKernel[K, Fg] = col^T · dz, while col still holds the forward's columns.
      if (r.paramGrads[0])
        r.backend.gemm(true, false, K, Fg, rows, 1.0f, col, K, dzGroup, a_.filters, r.accumulateParamGrad ? 1.0f : 0.0f,
                       r.paramGrads[0] + group * Fg, a_.filters);
      // dcol[rows, K] = dz · kernel^T (over the columns, no longer needed), then back to the input's shape.
      if (float* dx = r.inputs[0]->grad) {
        r.backend.gemm(false, true, rows, K, Fg, 1.0f, dzGroup, a_.filters, r.params[0] + group * Fg, a_.filters, 0.0f, col, K);
        kernelsOf<Conv2dKernels>(r.backend).col2im(r.backend, col, dx, r.batch, inGroup(group), r.accumulateInputGrad[0]);
      }
    }
  }

 private:
  float* preact(const OpRun& r) const { return r.scratch + r.batch * g_.positions() * (g_.window() * groups_ + a_.filters); }
  float* columns(const OpRun& r, int64_t group) const { return r.scratch + group * r.batch * g_.positions() * g_.window(); }
  ConvGeometry inGroup(int64_t group) const {
    ConvGeometry g = g_;
    g.c0 = group * g_.cg;
    return g;
  }

  bool kernel1d_;
  int64_t groups_, depthMultiplier_;  // depthMultiplier > 0: depthwise (groups = channels)
  ConvGeometry g_{};  // before a_: its constructor fills the window fields
  ConvAttributes a_;
};

}  // namespace

std::unique_ptr<Op> make_conv2d(const NodeSpec& spec) { return std::make_unique<Conv2d>(spec); }

}  // namespace gradloop
