// Whole-epoch metric statistics: what precision, recall, F1, AUC, R² and confusion matrices need,
// gathered batch by batch from the values each loss read and its labels, so the scores are exact
// over the epoch rather than a mean of per-batch scores. Sums stay sums (confusion counts, top-k
// hits, per-column error sums and target moments); only AUC needs every score, and keeps the
// epoch's probabilities and truths (4 bytes a score, 1 or 4 for its truth, 4 with sample weights).
// Host memory only: the program copies the batch's values and labels here (a few KB a step).
#pragma once
#include <climits>
#include <cstdint>
#include <vector>

#include "collective.h"

namespace gradloop {

// How a loss's predictions read.
enum class PredictionKind {
  Classes,  // class scores [..., C] against int32 class ids (softmaxCrossEntropy): one prediction per position
  OneHot,   // class scores [C] against one-hot or soft float rows (categoricalCrossEntropy): true class = argmax
  Binary,   // independent probabilities against float targets, positive when > 0.5 (binaryCrossEntropy)
  Values,   // numbers against float targets (the regression losses)
};

// What one loss's metrics need collected. Built once from the compiled metrics (TypeScript checks
// which metric suits which loss); empty plans collect nothing.
struct MetricPlan {
  PredictionKind kind = PredictionKind::Values;
  int64_t columns = 0;            // classes (Classes, OneHot) or values per sample (Binary, Values)
  int64_t positions = 1;          // Classes, OneHot: predictions per sample (a sequence output)
  int32_t ignoreIndex = INT32_MIN;  // Classes: a padding label that counts for nothing
  bool link = false;              // the values are logits: softmax (classes) or sigmoid (binary) first
  bool confusion = false;         // Classes, OneHot: C x C counts, true class by predicted (argmax) class
  std::vector<float> thresholds;  // Binary: tp, fp, fn, tn per column at each threshold (positive: p > t)
  std::vector<int64_t> topK;      // Classes, OneHot: predictions whose class is among the k highest scores
  bool moments = false;           // per column: error sums, and the targets' weighted mean and spread (R²)
  bool scores = false;            // keep every probability and truth (AUC)
  bool weighted = false;          // also keep everything weighted by the samples' weights
  bool empty() const { return !confusion && thresholds.empty() && topK.empty() && !moments && !scores; }
};

// One set of sums; the totals keep one unweighted and, when asked, one weighted by the samples.
struct MetricTally {
  double count = 0;                     // class or binary predictions seen (weighted: their weights' sum)
  std::vector<double> confusion;        // [C, C]
  std::vector<double> thresholdCounts;  // [thresholds, columns, 4]: tp, fp, fn, tn
  std::vector<double> topKHits;         // [topK]
  // [columns, 5]: weight, the targets' mean, their squared deviations from it (merged batch by
  // batch as Chan et al., so no cancellation), sum |error|, sum error².
  std::vector<double> moments;
};

// Per column (a binary output's value, or one class against the rest): the exact ROC AUC and average
// precision as scikit-learn computes them (tied scores form one threshold), and the positives.
// NaN when the column has no positive or no negative.
struct CurveScores {
  std::vector<double> rocAuc, averagePrecision, positives;
};

class MetricTotals {
 public:
  explicit MetricTotals(const MetricPlan& plan);
  const MetricPlan& plan() const { return plan_; }

  // One batch: values [samples, positions * columns] (host), labels as the loss takes them (host:
  // int32 class ids [samples, positions] or floats shaped like the values), sampleWeights (host, may
  // be null) one per sample. Binary and Values have one position of `columns` values.
  void add(const float* values, const void* labels, const float* sampleWeights, int64_t samples);
  void reset();
  // Data parallel: every rank's totals combined, on every rank (sums added, target moments merged
  // in rank order, kept scores gathered in rank order), so each rank reads the global metrics.
  void mergeAcrossRanks(Collective& collective);

  const MetricTally& plain() const { return plain_; }
  const MetricTally& weighted() const { return weighted_; }
  // The AUC scores from the kept probabilities (plan().scores), unweighted or weighted.
  CurveScores curves(bool weighted) const;

 private:
  void addClasses(const float* probabilities, const void* labels, const float* sampleWeights, int64_t samples);
  void addBinary(const float* probabilities, const float* targets, const float* sampleWeights, int64_t samples);
  void addMoments(const float* values, const float* targets, const float* sampleWeights, int64_t samples, bool weighted, MetricTally& t);
  void keep(int64_t scores);

  MetricPlan plan_;
  MetricTally plain_, weighted_;
  // Kept for AUC: probabilities [predictions, columns], truth per prediction (Classes, OneHot: the
  // class; Binary: one 0/1 per column), and each prediction's weight when weighted.
  std::vector<float> scores_;
  std::vector<int32_t> truth_;      // Classes, OneHot
  std::vector<uint8_t> positive_;   // Binary
  std::vector<float> scoreWeights_;
  std::vector<float> probabilities_;  // the batch's values after the link
};

// The most scores a set of totals keeps for AUC (1 GiB of them): more raises a RangeError saying so.
constexpr int64_t kMaxKeptScores = int64_t{1} << 28;

}  // namespace gradloop
