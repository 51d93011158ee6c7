// The CPU convolution choice (issue 17), measured: gradloop's way (im2col, then one OpenBLAS
// sgemm for the whole batch; col2im after the backward products) against oneDNN 2.6 (Debian's
// libdnnl, what PyTorch's CPU convolutions run on), for the MNIST CNN's two convolutions at
// batch 32 and 128: forward, backward data and backward weights of one step, channels last.
// oneDNN gets its best case: it picks its own weight layout (format any), kept across steps.
// Build and run: bash bench/conv/run.sh
#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <oneapi/dnnl/dnnl.hpp>
#include <random>
#include <vector>

using Clock = std::chrono::steady_clock;

struct Shape { int n, h, w, c, f, k; };  // input [n, h, w, c], kernel k x k, f filters, 'valid', stride 1

static void fill(std::vector<float>& v, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1, 1);
  for (float& x : v) x = u(rng);
}

// gradloop's path, as native/ops/conv2d does it on the CPU.
struct Im2col {
  Shape s;
  int oh, ow, K, P;
  std::vector<float> col;
  Im2col(Shape s) : s(s), oh(s.h - s.k + 1), ow(s.w - s.k + 1), K(s.k * s.k * s.c), P(oh * ow), col((size_t)s.n * P * K) {}
  void im2col(const float* x) {
    for (int b = 0; b < s.n; ++b)
      for (int oy = 0; oy < oh; ++oy)
        for (int ox = 0; ox < ow; ++ox) {
          float* row = col.data() + ((size_t)b * P + oy * ow + ox) * K;
          for (int i = 0; i < s.k; ++i)
            for (int j = 0; j < s.k; ++j, row += s.c)
              std::memcpy(row, x + (((size_t)b * s.h + oy + i) * s.w + ox + j) * s.c, sizeof(float) * s.c);
        }
  }
  void col2im(float* dx) {
    std::memset(dx, 0, sizeof(float) * (size_t)s.n * s.h * s.w * s.c);
    for (int b = 0; b < s.n; ++b)
      for (int oy = 0; oy < oh; ++oy)
        for (int ox = 0; ox < ow; ++ox) {
          const float* row = col.data() + ((size_t)b * P + oy * ow + ox) * K;
          for (int i = 0; i < s.k; ++i)
            for (int j = 0; j < s.k; ++j, row += s.c) {
              float* d = dx + (((size_t)b * s.h + oy + i) * s.w + ox + j) * s.c;
              for (int ch = 0; ch < s.c; ++ch) d[ch] += row[ch];
            }
        }
  }
  void step(const float* x, const float* w, float* y, const float* dy, float* dw, float* dx) {
    const int rows = s.n * P;
    im2col(x);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, s.f, K, 1, col.data(), K, w, s.f, 0, y, s.f);
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, K, s.f, rows, 1, col.data(), K, dy, s.f, 0, dw, s.f);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, K, s.f, 1, dy, s.f, w, s.f, 0, col.data(), K);
    col2im(dx);
  }
};

struct OneDnn {
  dnnl::engine eng{dnnl::engine::kind::cpu, 0};
  dnnl::stream strm{eng};
  dnnl::convolution_forward fwd;
  dnnl::convolution_backward_data bwdData;
  dnnl::convolution_backward_weights bwdWeights;
  dnnl::memory src, wts, dst, diffDst, diffSrc, diffWts, userWts, wtsForBwd, diffWtsUser;
  bool reorderBwdWeights = false, reorderDiffWts = false;
  OneDnn(Shape s, float* x, float* w, float* y, float* dy, float* dx, float* dw) {
    using tag = dnnl::memory::format_tag;
    using dt = dnnl::memory::data_type;
    const int oh = s.h - s.k + 1, ow = s.w - s.k + 1;
    dnnl::memory::desc srcMd({s.n, s.c, s.h, s.w}, dt::f32, tag::nhwc), dstMd({s.n, s.f, oh, ow}, dt::f32, tag::nhwc);
    dnnl::memory::desc anyWts({s.f, s.c, s.k, s.k}, dt::f32, tag::any), userWtsMd({s.f, s.c, s.k, s.k}, dt::f32, tag::hwio);
    dnnl::memory::dims strides{1, 1}, pad{0, 0};
    auto fd = dnnl::convolution_forward::desc(dnnl::prop_kind::forward_training, dnnl::algorithm::convolution_direct, srcMd, anyWts, dstMd, strides, pad, pad);
    auto fpd = dnnl::convolution_forward::primitive_desc(fd, eng);
    auto bd = dnnl::convolution_backward_data::desc(dnnl::algorithm::convolution_direct, srcMd, anyWts, dstMd, strides, pad, pad);
    auto bpd = dnnl::convolution_backward_data::primitive_desc(bd, eng, fpd);
    auto wd = dnnl::convolution_backward_weights::desc(dnnl::algorithm::convolution_direct, srcMd, anyWts, dstMd, strides, pad, pad);
    auto wpd = dnnl::convolution_backward_weights::primitive_desc(wd, eng, fpd);
    fwd = dnnl::convolution_forward(fpd), bwdData = dnnl::convolution_backward_data(bpd), bwdWeights = dnnl::convolution_backward_weights(wpd);
    src = dnnl::memory(srcMd, eng, x), dst = dnnl::memory(dstMd, eng, y), diffDst = dnnl::memory(dstMd, eng, dy), diffSrc = dnnl::memory(srcMd, eng, dx);
    userWts = dnnl::memory(userWtsMd, eng, w);
    wts = dnnl::memory(fpd.weights_desc(), eng);
    dnnl::reorder(userWts, wts).execute(strm, userWts, wts);  // once: weights live in oneDNN's layout
    reorderBwdWeights = bpd.weights_desc() != fpd.weights_desc();
    wtsForBwd = reorderBwdWeights ? dnnl::memory(bpd.weights_desc(), eng) : wts;
    if (reorderBwdWeights) dnnl::reorder(wts, wtsForBwd).execute(strm, wts, wtsForBwd);
    diffWts = dnnl::memory(wpd.diff_weights_desc(), eng);
    diffWtsUser = dnnl::memory(userWtsMd, eng, dw);
    reorderDiffWts = wpd.diff_weights_desc() != fpd.weights_desc();
    strm.wait();
  }
  void step() {
    fwd.execute(strm, {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, wts}, {DNNL_ARG_DST, dst}});
    bwdWeights.execute(strm, {{DNNL_ARG_SRC, src}, {DNNL_ARG_DIFF_DST, diffDst}, {DNNL_ARG_DIFF_WEIGHTS, diffWts}});
    bwdData.execute(strm, {{DNNL_ARG_DIFF_DST, diffDst}, {DNNL_ARG_WEIGHTS, wtsForBwd}, {DNNL_ARG_DIFF_SRC, diffSrc}});
    strm.wait();
  }
};

template <typename F>
static double best(F f, double seconds) {
  double bestMs = 1e30;
  const auto end = Clock::now() + std::chrono::duration<double>(seconds);
  f();
  while (Clock::now() < end) {
    const auto t = Clock::now();
    f();
    bestMs = std::min(bestMs, std::chrono::duration<double, std::milli>(Clock::now() - t).count());
  }
  return bestMs;
}

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::atof(argv[1]) : 2;
  const Shape shapes[] = {{32, 28, 28, 1, 32, 3}, {32, 13, 13, 32, 64, 3}, {128, 28, 28, 1, 32, 3}, {128, 13, 13, 32, 64, 3}};
  std::printf("{\"kind\":\"machine\",\"openblas\":\"%s\",\"onednn\":\"%d.%d.%d\"}\n", openblas_get_config(), dnnl_version()->major, dnnl_version()->minor, dnnl_version()->patch);
  for (const Shape& s : shapes) {
    const int oh = s.h - s.k + 1, ow = s.w - s.k + 1;
    std::vector<float> x((size_t)s.n * s.h * s.w * s.c), w((size_t)s.k * s.k * s.c * s.f), y((size_t)s.n * oh * ow * s.f),
        dy(y.size()), dw(w.size()), dx(x.size());
    fill(x, 1), fill(w, 2), fill(dy, 3);
    Im2col mine(s);
    OneDnn dnn(s, x.data(), w.data(), y.data(), dy.data(), dx.data(), dw.data());
    const double flops = 3.0 * 2 * (double)s.n * oh * ow * s.f * s.k * s.k * s.c;
    // Alternate, so both see the same noise.
    double a = 1e30, b = 1e30;
    for (int round = 0; round < 3; ++round) {
      a = std::min(a, best([&] { mine.step(x.data(), w.data(), y.data(), dy.data(), dw.data(), dx.data()); }, seconds / 3));
      b = std::min(b, best([&] { dnn.step(); }, seconds / 3));
    }
    std::printf("{\"kind\":\"conv\",\"batch\":%d,\"input\":[%d,%d,%d],\"filters\":%d,\"kernel\":%d,\"im2colSgemmMs\":%.3f,\"onednnMs\":%.3f,\"im2colGflops\":%.1f,\"onednnGflops\":%.1f,\"onednnOverIm2col\":%.2f}\n",
                s.n, s.h, s.w, s.c, s.f, s.k, a, b, flops / a / 1e6, flops / b / 1e6, a / b);
  }
}
