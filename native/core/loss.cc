#include "loss.h"

#include <algorithm>

namespace gradloop {

LossKind lossFromName(const std::string& name) {
  if (name == "softmaxCrossEntropy") return LossKind::SoftmaxCrossEntropy;
  if (name == "mse" || name == "meanSquaredError") return LossKind::MeanSquaredError;
  if (name == "binaryCrossEntropy") return LossKind::BinaryCrossEntropy;
  throw TypeError("loss: unknown loss '" + name + "'; expected 'softmaxCrossEntropy', 'mse' or 'binaryCrossEntropy'");
}

const char* lossName(LossKind kind) {
  switch (kind) {
    case LossKind::SoftmaxCrossEntropy: return "softmaxCrossEntropy";
    case LossKind::MeanSquaredError: return "mse";
    case LossKind::BinaryCrossEntropy: return "binaryCrossEntropy";
  }
  return "?";
}

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
  }
  throw TypeError("unknown loss");
}

LossTerms computeLoss(Backend& backend, LossKind kind, const float* output, const void* labels, float* dOutput, int64_t rows,
                      const Shape& outputShape, const LossShape& labelShape, double* lossSum, int64_t* correct,
                      int32_t ignoreIndex) {
  const int64_t cols = numElements(outputShape);
  switch (kind) {
    case LossKind::SoftmaxCrossEntropy: {  // mean over samples, or over every position of a sequence
      const int64_t classes = outputShape.back(), terms = rows * (cols / classes);
      const auto* ids = static_cast<const int32_t*>(labels);
      const int64_t counted = ignoreIndex == kNoIgnoreIndex ? terms : backend.countNotEqual(ids, terms, ignoreIndex);
      backend.softmaxCrossEntropy(output, ids, dOutput, terms, classes, 1.0f / static_cast<float>(std::max<int64_t>(counted, 1)),
                                  lossSum, correct, ignoreIndex);
      return {static_cast<double>(std::max<int64_t>(counted, 1)), counted};
    }
    case LossKind::MeanSquaredError:  // mean over every element, as Keras and PyTorch
      backend.meanSquaredError(output, static_cast<const float*>(labels), dOutput, rows, cols,
                               1.0f / static_cast<float>(rows * cols), lossSum, correct);
      return {static_cast<double>(rows * cols), rows * labelShape.accuracyUnitsPerRow};
    case LossKind::BinaryCrossEntropy:
      backend.binaryCrossEntropy(output, static_cast<const float*>(labels), dOutput, rows, cols,
                                 1.0f / static_cast<float>(rows * cols), lossSum, correct);
      return {static_cast<double>(rows * cols), rows * labelShape.accuracyUnitsPerRow};
  }
  return {1, 0};
}

}  // namespace gradloop
