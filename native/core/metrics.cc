#include "metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "tensor.h"

namespace gradloop {

namespace {

// Zeroed sums of the sizes the plan asks for.
void sizeTally(MetricTally& t, const MetricPlan& p) {
  const int64_t C = p.columns;
  t.count = 0;
  t.confusion.assign(p.confusion ? static_cast<size_t>(C * C) : 0, 0.0);
  t.thresholdCounts.assign(p.thresholds.size() * static_cast<size_t>(C) * 4, 0.0);
  t.topKHits.assign(p.topK.size(), 0.0);
  t.moments.assign(p.moments ? static_cast<size_t>(C) * 5 : 0, 0.0);
}

void softmaxRow(const float* logits, float* out, int64_t n) {
  const float top = *std::max_element(logits, logits + n);
  double sum = 0;
  for (int64_t j = 0; j < n; ++j) sum += out[j] = std::exp(logits[j] - top);
  const float inverse = static_cast<float>(1.0 / sum);
  for (int64_t j = 0; j < n; ++j) out[j] *= inverse;
}

// Chan et al.'s merge of (weight, mean, squared deviations, sum |e|, sum e²) per column.
void mergeMoments(double* into, const double* from, int64_t columns) {
  for (int64_t j = 0; j < columns; ++j) {
    double* m = into + j * 5;
    const double* o = from + j * 5;
    if (o[0] <= 0) continue;
    const double total = m[0] + o[0], delta = o[1] - m[1];
    m[2] += o[2] + delta * delta * m[0] * o[0] / total;
    m[1] += delta * o[0] / total;
    m[0] = total;
    m[3] += o[3], m[4] += o[4];
  }
}

template <class T>
std::vector<T> gatherAll(Collective& c, const std::vector<T>& mine, const std::string& what) {
  double count = static_cast<double>(mine.size());
  std::vector<double> counts(static_cast<size_t>(c.size()));
  c.allgather(&count, std::vector<int64_t>(counts.size(), sizeof(double)), counts.data(), what);
  std::vector<int64_t> bytes;
  int64_t total = 0;
  for (double n : counts) bytes.push_back(static_cast<int64_t>(n) * static_cast<int64_t>(sizeof(T))), total += static_cast<int64_t>(n);
  std::vector<T> out(static_cast<size_t>(total));
  c.allgather(mine.data(), bytes, out.data(), what);
  return out;
}


float sigmoid(float x) { return x >= 0 ? 1.0f / (1.0f + std::exp(-x)) : std::exp(x) / (1.0f + std::exp(x)); }

}  // namespace

MetricTotals::MetricTotals(const MetricPlan& plan) : plan_(plan) {
  if (plan_.columns < 1 || plan_.positions < 1) throw RangeError("metrics: a plan needs columns and positions >= 1");
  for (int64_t k : plan_.topK)
    if (k < 1) throw RangeError("metrics: topK's k must be >= 1, got " + std::to_string(k));
  reset();
}

void MetricTotals::reset() {
  sizeTally(plain_, plan_);
  sizeTally(weighted_, plan_);
  scores_.clear(), truth_.clear(), positive_.clear(), scoreWeights_.clear();
}

void MetricTotals::add(const float* values, const void* labels, const float* sampleWeights, int64_t samples) {
  if (plan_.empty() || samples <= 0) return;
  const int64_t C = plan_.columns, n = samples * plan_.positions * C;
  // The link first, so every metric reads probabilities as predict() returns them.
  const float* probabilities = values;
  if (plan_.link) {
    probabilities_.resize(static_cast<size_t>(n));
    if (plan_.kind == PredictionKind::Binary)
      for (int64_t i = 0; i < n; ++i) probabilities_[i] = sigmoid(values[i]);
    else
      for (int64_t r = 0; r < n / C; ++r) softmaxRow(values + r * C, probabilities_.data() + r * C, C);
    probabilities = probabilities_.data();
  }
  if (plan_.kind == PredictionKind::Classes || plan_.kind == PredictionKind::OneHot) addClasses(probabilities, labels, sampleWeights, samples);
  if (plan_.kind == PredictionKind::Binary) addBinary(probabilities, static_cast<const float*>(labels), sampleWeights, samples);
  if (plan_.moments && plan_.kind != PredictionKind::Classes) {
    addMoments(probabilities, static_cast<const float*>(labels), sampleWeights, samples, false, plain_);
    if (plan_.weighted) addMoments(probabilities, static_cast<const float*>(labels), sampleWeights, samples, true, weighted_);
  }
}

void MetricTotals::keep(int64_t scores) {
  if (static_cast<int64_t>(scores_.size()) + scores > kMaxKeptScores)
    throw RangeError("metrics: AUC keeps every score of the epoch, and this one passed " + std::to_string(kMaxKeptScores) +
                     " scores (1 GiB); compute AUC on a sample of the data with evaluate(), or leave 'auc' out of the metrics");
}

void MetricTotals::addClasses(const float* probabilities, const void* labels, const float* sampleWeights, int64_t samples) {
  const int64_t C = plan_.columns, P = plan_.positions;
  const auto* ids = static_cast<const int32_t*>(labels);
  const auto* targets = static_cast<const float*>(labels);
  if (plan_.scores) keep(samples * P * C);
  for (int64_t s = 0; s < samples; ++s) {
    const double w = sampleWeights ? sampleWeights[s] : 1.0;
    for (int64_t p = 0; p < P; ++p) {
      const float* row = probabilities + (s * P + p) * C;
      int64_t truth;
      if (plan_.kind == PredictionKind::Classes) {
        if (ids[s * P + p] == plan_.ignoreIndex) continue;
        truth = ids[s * P + p];
        if (truth < 0 || truth >= C) throw RangeError("metrics: label " + std::to_string(truth) + " is not a class of " + std::to_string(C));
      } else {
        const float* target = targets + (s * P + p) * C;
        truth = std::max_element(target, target + C) - target;
      }
      plain_.count += 1;
      if (plan_.weighted) weighted_.count += w;
      if (plan_.confusion) {
        const int64_t predicted = std::max_element(row, row + C) - row;  // the first of tied maxima, as numpy's argmax
        plain_.confusion[truth * C + predicted] += 1;
        if (plan_.weighted) weighted_.confusion[truth * C + predicted] += w;
      }
      if (!plan_.topK.empty()) {
        // In the top k when fewer than k classes score strictly higher (ties at the edge count, as tf.math.in_top_k).
        int64_t higher = 0;
        for (int64_t j = 0; j < C; ++j) higher += row[j] > row[truth];
        for (size_t k = 0; k < plan_.topK.size(); ++k)
          if (higher < plan_.topK[k]) {
            plain_.topKHits[k] += 1;
            if (plan_.weighted) weighted_.topKHits[k] += w;
          }
      }
      if (plan_.scores) {
        scores_.insert(scores_.end(), row, row + C);
        truth_.push_back(static_cast<int32_t>(truth));
        if (plan_.weighted) scoreWeights_.push_back(static_cast<float>(w));
      }
    }
  }
}

void MetricTotals::addBinary(const float* probabilities, const float* targets, const float* sampleWeights, int64_t samples) {
  const int64_t C = plan_.columns, T = static_cast<int64_t>(plan_.thresholds.size());
  if (plan_.scores) keep(samples * C);
  for (int64_t s = 0; s < samples; ++s) {
    const double w = sampleWeights ? sampleWeights[s] : 1.0;
    plain_.count += static_cast<double>(C);
    if (plan_.weighted) weighted_.count += w * static_cast<double>(C);
    for (int64_t j = 0; j < C; ++j) {
      const float p = probabilities[s * C + j];
      const bool positive = targets[s * C + j] > 0.5f;
      for (int64_t t = 0; t < T; ++t) {
        const bool predicted = p > plan_.thresholds[t];
        // tp, fp, fn, tn
        const int64_t at = (t * C + j) * 4 + (positive ? (predicted ? 0 : 2) : (predicted ? 1 : 3));
        plain_.thresholdCounts[at] += 1;
        if (plan_.weighted) weighted_.thresholdCounts[at] += w;
      }
      if (plan_.scores) {
        scores_.push_back(p);
        positive_.push_back(positive);
      }
    }
    if (plan_.scores && plan_.weighted) scoreWeights_.push_back(static_cast<float>(w));
  }
}

void MetricTotals::addMoments(const float* values, const float* targets, const float* sampleWeights, int64_t samples, bool weighted,
                              MetricTally& t) {
  const int64_t C = plan_.columns;
  for (int64_t j = 0; j < C; ++j) {
    // The batch's weight, target mean and squared deviations, then merged into the epoch's.
    double W = 0, mean = 0, absolute = 0, squared = 0;
    for (int64_t s = 0; s < samples; ++s) {
      const double w = weighted && sampleWeights ? sampleWeights[s] : 1.0;
      const double y = targets[s * C + j], e = static_cast<double>(values[s * C + j]) - y;
      W += w, mean += w * y, absolute += w * std::fabs(e), squared += w * e * e;
    }
    if (W <= 0) continue;
    mean /= W;
    double m2 = 0;
    for (int64_t s = 0; s < samples; ++s) {
      const double w = weighted && sampleWeights ? sampleWeights[s] : 1.0, d = targets[s * C + j] - mean;
      m2 += w * d * d;
    }
    const double batch[5] = {W, mean, m2, absolute, squared};
    mergeMoments(&t.moments[static_cast<size_t>(j) * 5], batch, 1);
  }
}


void MetricTotals::mergeAcrossRanks(Collective& collective) {
  const std::string what = "metrics: combining the ranks' totals";
  for (MetricTally* t : {&plain_, &weighted_}) {
    std::vector<double> sums{t->count};
    for (const auto* v : {&t->confusion, &t->thresholdCounts, &t->topKHits}) sums.insert(sums.end(), v->begin(), v->end());
    collective.allreduceSum(sums.data(), static_cast<int64_t>(sums.size()), what);
    size_t at = 0;
    t->count = sums[at++];
    for (auto* v : {&t->confusion, &t->thresholdCounts, &t->topKHits})
      for (double& x : *v) x = sums[at++];
    if (!t->moments.empty()) {
      const std::vector<double> all = gatherAll(collective, t->moments, what);
      std::fill(t->moments.begin(), t->moments.end(), 0.0);
      for (int r = 0; r < collective.size(); ++r) mergeMoments(t->moments.data(), all.data() + static_cast<size_t>(r) * t->moments.size(), plan_.columns);
    }
  }
  if (plan_.scores) {
    scores_ = gatherAll(collective, scores_, what);
    truth_ = gatherAll(collective, truth_, what);
    positive_ = gatherAll(collective, positive_, what);
    scoreWeights_ = gatherAll(collective, scoreWeights_, what);
  }
}

CurveScores MetricTotals::curves(bool weighted) const {
  const int64_t C = plan_.columns;
  const bool binary = plan_.kind == PredictionKind::Binary;
  const int64_t n = static_cast<int64_t>(binary ? positive_.size() / static_cast<size_t>(C) : truth_.size());
  CurveScores out;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  // One column's predictions side by side (score, weight, truth), so the sort moves 12-byte records
  // instead of chasing indices into the [n, C] scores.
  struct Point {
    float score, weight;
    bool positive;
  };
  std::vector<Point> points(static_cast<size_t>(n));
  for (int64_t j = 0; j < C; ++j) {
    for (int64_t i = 0; i < n; ++i)
      points[static_cast<size_t>(i)] = {scores_[static_cast<size_t>(i * C + j)],
                                         weighted && !scoreWeights_.empty() ? scoreWeights_[static_cast<size_t>(i)] : 1.0f,
                                         binary ? positive_[static_cast<size_t>(i * C + j)] != 0 : truth_[static_cast<size_t>(i)] == j};
    std::sort(points.begin(), points.end(), [](const Point& a, const Point& b) { return a.score > b.score; });
    // Walk the thresholds from the highest score down; tied scores form one threshold (one point of
    // the curve), as scikit-learn's _binary_clf_curve.
    double tp = 0, fp = 0, tpBefore = 0, fpBefore = 0, area = 0, precisionSum = 0;
    for (int64_t k = 0; k < n; ++k) {
      const Point& p = points[static_cast<size_t>(k)];
      (p.positive ? tp : fp) += p.weight;
      if (k + 1 < n && points[static_cast<size_t>(k + 1)].score == p.score) continue;
      area += (fp - fpBefore) * (tp + tpBefore) / 2;  // trapezoid under the ROC curve (unnormalised)
      if (tp + fp > 0) precisionSum += (tp - tpBefore) * (tp / (tp + fp));  // average precision: recall step times precision
      tpBefore = tp, fpBefore = fp;
    }
    out.positives.push_back(tp);
    out.rocAuc.push_back(tp > 0 && fp > 0 ? area / (tp * fp) : nan);
    out.averagePrecision.push_back(tp > 0 ? precisionSum / tp : nan);
  }
  return out;
}

}  // namespace gradloop
