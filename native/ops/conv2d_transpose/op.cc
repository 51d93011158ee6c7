// conv2d_transpose: Keras' Conv2DTranspose over channels-last samples, the gradient of a
// convolution with respect to its input, run forward (upsampling by learned filters). It has no
// kernels of its own: it is conv2d's pieces in the other order. Forward: columns = x · kernel^T
// (one product for the batch), then col2im scatters them into the output; backward: im2col of
// the output's gradient, then the two products. The geometry is that of the convolution that maps
// the output [oh, ow, filters] back to the input [h, w, channels].
//   kernel [kh, kw, filters, channels] (Keras'), bias [filters]; output size per axis: 'same'
//   h * stride, 'valid' h * stride + max(span - stride, 0) (Keras without outputPadding).
//   scratch per sample: [0, h*w*K) the columns (K = kh * kw * filters), then the output's
//   gradient after the activation, then the pre-activation for gelu.
#include <algorithm>

#include "../../core/op.h"
#include "../conv2d/attributes.h"
#include "../dense/kernels.h"

namespace gradloop {
namespace {

class Conv2dTranspose final : public Op {
 public:
  explicit Conv2dTranspose(const NodeSpec& spec)
      : Op(spec), a_(spec, g_) {}
  const char* type() const override { return "conv2d_transpose"; }

  Shape outputShape(const std::vector<Shape>& in, const std::vector<DType>& types) override {
    if (types[0] != DType::Float32 || in[0].size() != 3)
      throw TypeError("layer '" + name_ + "': conv2dTranspose expects float32 samples [height, width, channels], got " + shapeToString(in[0]));
    const int64_t h = in[0][0], w = in[0][1];
    channels_ = in[0][2];
    const int64_t spanH = g_.dh * (g_.kh - 1) + 1, spanW = g_.dw * (g_.kw - 1) + 1;
    const std::string what = "layer '" + name_ + "': ";
    const int64_t oh = checkedMultiply(h, g_.sh, what + "output height"), ow = checkedMultiply(w, g_.sw, what + "output width");
    // The convolution from the output back to the input: positions (h, w) over an image (oh, ow, filters).
    g_.oh = h, g_.ow = w, g_.c = g_.cg = a_.filters, g_.c0 = 0;
    g_.h = a_.same ? oh : oh + std::max<int64_t>(spanH - g_.sh, 0);
    g_.w = a_.same ? ow : ow + std::max<int64_t>(spanW - g_.sw, 0);
    g_.padTop = a_.same ? std::max<int64_t>(0, (h - 1) * g_.sh + spanH - g_.h) / 2 : 0;
    g_.padLeft = a_.same ? std::max<int64_t>(0, (w - 1) * g_.sw + spanW - g_.w) / 2 : 0;
    numElements({g_.h, g_.w, a_.filters}, what + "output");
    numElements({h * w, g_.window()}, what + "the column matrix of one sample");
    numElements({g_.kh, g_.kw, a_.filters, channels_}, what + "kernel");
    return {g_.h, g_.w, a_.filters};
  }

  std::vector<ParamInfo> params() const override {
    std::vector<ParamInfo> p{{"kernel", {g_.kh, g_.kw, a_.filters, channels_}, a_.kernelL2}};
    if (a_.useBias) p.push_back({"bias", {a_.filters}, a_.biasL2});
    return p;
  }

  int64_t scratchPerSample() const override {
    const int64_t outs = g_.h * g_.w * a_.filters;
    return g_.positions() * g_.window() + outs + (activationNeedsInput(a_.act) ? outs : 0);
  }

  void forward(const OpRun& r) override {
    const int64_t rows = r.batch * g_.positions(), K = g_.window(), outRows = r.batch * g_.h * g_.w;
    float* col = r.scratch;
    // col[rows, K] = x[rows, channels] · kernel[K, channels]^T, then each column entry added where it lands.
    r.backend.gemm(false, true, rows, K, channels_, 1.0f, r.inputs[0]->f(), channels_, r.params[0], channels_, 0.0f, col, K);
    float* y = r.output->f();
    kernelsOf<Conv2dKernels>(r.backend).col2im(r.backend, col, y, r.batch, g_, false);
    if (a_.useBias || a_.act != Activation::Linear)
      kernelsOf<DenseKernels>(r.backend).biasActivationForward(r.backend, y, activationNeedsInput(a_.act) ? preact(r) : nullptr,
                                                               a_.useBias ? r.params[1] : nullptr, outRows, a_.filters, a_.act, a_.alpha);
  }

  void backward(const OpRun& r) override {
    const int64_t rows = r.batch * g_.positions(), K = g_.window(), outRows = r.batch * g_.h * g_.w;
    float* col = r.scratch;
    const float* dz = r.output->grad;
    if (a_.act != Activation::Linear) {
      float* buffer = r.scratch + rows * K;
      kernelsOf<ActivationKernels>(r.backend).backward(r.backend, activationNeedsInput(a_.act) ? preact(r) : nullptr,
                                                       r.output->f(), r.output->grad, buffer, outRows * a_.filters, a_.act, a_.alpha, false);
      dz = buffer;
    }
    if (a_.useBias && r.paramGrads[1])  // null: frozen
      kernelsOf<DenseKernels>(r.backend).biasBackward(r.backend, dz, r.paramGrads[1], outRows, a_.filters, r.accumulateParamGrad);
    // The gradient of each column entry is the output gradient where it landed: im2col of dz.
    kernelsOf<Conv2dKernels>(r.backend).im2col(r.backend, dz, col, r.batch, g_);
    // dKernel[K, channels] = dcol^T · x;  dx[rows, channels] = dcol · kernel.
    if (r.paramGrads[0])
      r.backend.gemm(true, false, K, channels_, rows, 1.0f, col, K, r.inputs[0]->f(), channels_,
                     r.accumulateParamGrad ? 1.0f : 0.0f, r.paramGrads[0], channels_);
    if (float* dx = r.inputs[0]->grad)
      r.backend.gemm(false, false, rows, channels_, K, 1.0f, col, K, r.params[0], channels_,
                     r.accumulateInputGrad[0] ? 1.0f : 0.0f, dx, channels_);
  }

 private:
  float* preact(const OpRun& r) const { return r.scratch + r.batch * (g_.positions() * g_.window() + g_.h * g_.w * a_.filters); }

  int64_t channels_ = 1;
  ConvGeometry g_{};  // before a_: its constructor fills the window fields
  ConvAttributes a_;
};

}  // namespace

std::unique_ptr<Op> make_conv2d_transpose(const NodeSpec& spec) { return std::make_unique<Conv2dTranspose>(spec); }

}  // namespace gradloop
