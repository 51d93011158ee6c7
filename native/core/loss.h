// Training losses. Each computes the mean loss over its terms, its gradient
// with respect to the model output, and the count of correct predictions.
#pragma once
#include <string>

#include "backend.h"
#include "tensor.h"

namespace gradloop {

// The first three have kernels of their own in each backend; the rest are loss_rules.h's rules
// (Backend::ruleLoss), in that enum's order.
enum class LossKind { SoftmaxCrossEntropy, MeanSquaredError, BinaryCrossEntropy, Mae, LogCosh, Hinge, Poisson, Kld, CategoricalCrossEntropy, CosineSimilarity, Huber };

struct LossShape {
  DType labelType;
  int64_t labelElements;       // per sample
  int64_t accuracyUnitsPerRow; // how many predictions per sample "accuracy" counts
};

LossKind lossFromName(const std::string& name);  // throws TypeError
const char* lossName(LossKind kind);
// Checks the model output shape suits the loss; returns what the labels must look like.
LossShape lossShape(LossKind kind, const Shape& outputShape);

// What a loss computed over a batch divides by: its mean's divisor, and the predictions its
// accuracy counts (both exclude the positions whose label is the ignoreIndex).
struct LossTerms {
  double divisor;
  int64_t accuracyUnits;
};

// output/dOutput [rows, outputElements]; labels [rows, labelElements]. Writes the summed loss and
// correct count into device scalars. softmaxCrossEntropy with an ignoreIndex (kNoIgnoreIndex: none)
// skips those labels and takes the mean over the others (as PyTorch's ignore_index and Keras'
// ignore_class), counting them first (on a GPU, one wait).
// `labelShape` is lossShape(kind, outputShape), which the program works out once at compile.
// param: Huber's delta, or the cross-entropies' label smoothing (0: none). weights (may be null):
// a weight per sample (backend memory) summing to weightSum; the loss is then the weighted mean,
// sum(w loss) / sum(w) over the samples' terms (PyTorch's weighted mean: a weight of 2 counts a
// sample twice).
LossTerms computeLoss(Backend& backend, LossKind kind, const float* output, const void* labels, float* dOutput, int64_t rows,
                      const Shape& outputShape, const LossShape& labelShape, double* lossSum, int64_t* correct,
                      int32_t ignoreIndex = kNoIgnoreIndex, float param = 0, const float* weights = nullptr, double weightSum = 0);
// Checks a loss's parameter: Huber's delta > 0, label smoothing in [0, 1] for the cross-entropies, 0 for the rest.
void checkLossParam(LossKind kind, float param);

}  // namespace gradloop
