#include "loss.h"

#include <algorithm>
#include <cmath>

namespace gradloop {

namespace {
constexpr const char* kNames[] = {"softmaxCrossEntropy", "mse", "binaryCrossEntropy", "mae", "logCosh", "hinge", "poisson", "kld",
                                  "categoricalCrossEntropy", "cosineSimilarity", "huber"};
constexpr int kRuleKinds = static_cast<int>(LossKind::Mae);  // the first kind that is a rule
bool isRule(LossKind kind) { return static_cast<int>(kind) >= kRuleKinds; }
LossRule ruleOf(LossKind kind) { return static_cast<LossRule>(static_cast<int>(kind) - kRuleKinds); }
// A rule that works row by row along the last axis (its mean over rows).
bool perRow(LossKind kind) { return isRule(kind) && (isRowLoss(ruleOf(kind)) || lossSumsRows(ruleOf(kind))); }
}  // namespace

LossKind lossFromName(const std::string& name) {
  if (name == "meanSquaredError") return LossKind::MeanSquaredError;
  if (name == "meanAbsoluteError") return LossKind::Mae;
  for (int k = 0; k < static_cast<int>(sizeof(kNames) / sizeof(kNames[0])); ++k)
    if (name == kNames[k]) return static_cast<LossKind>(k);
  std::string known;
  for (const char* n : kNames) known += std::string(known.empty() ? "" : ", ") + "'" + n + "'";
  throw TypeError("loss: unknown loss '" + name + "'; expected one of " + known);
}

const char* lossName(LossKind kind) { return kNames[static_cast<int>(kind)]; }

LossShape lossShape(LossKind kind, const Shape& out) {
  int64_t n = numElements(out);
  switch (kind) {
    case LossKind::SoftmaxCrossEntropy: {
      // [classes], or a sequence [..., classes]: one class index per position (language models).
      if (out.empty() || out.back() < 2)
        throw TypeError("loss 'softmaxCrossEntropy' needs a model output of shape [classes] (or [steps, classes]) with classes >= 2, got " +
                        shapeToString(out));
      const int64_t positions = n / out.back();
      return {DType::Int32, positions, positions};
    }
    case LossKind::MeanSquaredError:
      return {DType::Float32, n, 1};
    case LossKind::BinaryCrossEntropy:
      return {DType::Float32, n, n};
    default:  // a rule: float32 targets shaped like the output
      if (kind == LossKind::CategoricalCrossEntropy && (out.empty() || out.back() < 2))
        throw TypeError("loss 'categoricalCrossEntropy' needs a model output of shape [classes] (or [steps, classes]) with classes >= 2, got " +
                        shapeToString(out));
      return {DType::Float32, n, perRow(kind) ? n / out.back() : 1};
  }
}

void checkLossParam(LossKind kind, float param) {
  const bool smoothing = kind == LossKind::SoftmaxCrossEntropy || kind == LossKind::BinaryCrossEntropy || kind == LossKind::CategoricalCrossEntropy;
  if (kind == LossKind::Huber ? !(param > 0 && std::isfinite(param)) : smoothing ? !(param >= 0 && param <= 1) : param != 0)
    throw RangeError(std::string("compile: loss '") + lossName(kind) + "' " +
                     (kind == LossKind::Huber ? "needs a finite delta > 0" : smoothing ? "takes a label smoothing in [0, 1]" : "takes no parameter") +
                     ", got " + std::to_string(param));
}

LossTerms computeLoss(Backend& backend, LossKind kind, const float* output, const void* labels, float* dOutput, int64_t rows,
                      const Shape& outputShape, const LossShape& labelShape, double* lossSum, int64_t* correct,
                      int32_t ignoreIndex, float param, const float* weights, double weightSum) {
  const int64_t cols = numElements(outputShape);
  // A weighted mean divides by the weights' sum times each sample's terms (1 when every weight is 0:
  // the loss and its gradient are then 0).
  auto divisor = [&](int64_t terms, int64_t perSample) {
    if (!weights) return static_cast<double>(terms);
    const double d = weightSum * static_cast<double>(perSample);
    return d > 0 ? d : 1.0;
  };
  switch (kind) {
    case LossKind::SoftmaxCrossEntropy: {  // mean over samples, or over every position of a sequence
      const int64_t classes = outputShape.back(), positions = cols / classes, terms = rows * positions;
      const auto* ids = static_cast<const int32_t*>(labels);
      if (weights && ignoreIndex != kNoIgnoreIndex)
        throw TypeError("fit: sampleWeight or classWeight together with the loss's ignoreIndex is not supported yet; weight the padded positions 0 through the labels instead");
      const int64_t counted = ignoreIndex == kNoIgnoreIndex ? terms : backend.countNotEqual(ids, terms, ignoreIndex);
      const double d = weights ? divisor(terms, positions) : static_cast<double>(std::max<int64_t>(counted, 1));
      backend.softmaxCrossEntropy(output, ids, dOutput, terms, classes, static_cast<float>(1.0 / d), lossSum, correct, ignoreIndex, param,
                                  weights, positions);
      return {d, counted};
    }
    case LossKind::MeanSquaredError: {  // mean over every element, as Keras and PyTorch
      const double d = divisor(rows * cols, cols);
      backend.ruleLoss(LossRule::Mse, 0, output, static_cast<const float*>(labels), dOutput, rows, cols, static_cast<float>(1.0 / d), lossSum,
                       correct, weights, 1);
      return {d, rows * labelShape.accuracyUnitsPerRow};
    }
    case LossKind::BinaryCrossEntropy: {
      const double d = divisor(rows * cols, cols);
      backend.binaryCrossEntropy(output, static_cast<const float*>(labels), dOutput, rows, cols, static_cast<float>(1.0 / d), lossSum, correct,
                                 param, weights);
      return {d, rows * labelShape.accuracyUnitsPerRow};
    }
    default: {  // a rule: the mean over every element, or over the rows of the last axis
      const bool rowwise = perRow(kind);
      const int64_t r = rowwise ? rows * (cols / outputShape.back()) : rows, c = rowwise ? outputShape.back() : cols;
      const int64_t terms = rowwise ? r : r * c;
      const double d = divisor(terms, terms / rows);
      backend.ruleLoss(ruleOf(kind), param, output, static_cast<const float*>(labels), dOutput, r, c, static_cast<float>(1.0 / d), lossSum,
                       correct, weights, rowwise ? r / rows : 1);
      return {d, r};
    }
  }
}

}  // namespace gradloop
