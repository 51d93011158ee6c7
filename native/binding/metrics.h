// The whole-epoch metrics' plans in, and their totals out (core/metrics.h).
#pragma once
#include <napi.h>

#include "../core/metrics.h"

namespace gradloop::binding {

// { kind: 'classes' | 'oneHot' | 'binary' | 'values', columns, positions, ignoreIndex?, link,
//   confusion, thresholds: number[], topK: number[], moments, scores, weighted }, or null (nothing).
MetricPlan toMetricPlan(const Napi::Value& v, const std::string& what);
// { count, confusion, thresholdCounts, topKHits, moments (Float64Arrays), curves?: { rocAuc,
//   averagePrecision, positives } } for the plain tally, and `weighted` the same when planned.
Napi::Object fromMetricTotals(Napi::Env env, const MetricTotals& totals);

}  // namespace gradloop::binding
