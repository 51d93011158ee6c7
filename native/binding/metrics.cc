#include "metrics.h"

#include <climits>
#include <string>

#include "convert.h"

namespace gradloop::binding {

namespace {

std::vector<double> numbers(const Napi::Object& o, const char* key, const std::string& what) {
  std::vector<double> out;
  Napi::Value v = o.Get(key);
  if (v.IsUndefined()) return out;
  if (!v.IsArray()) throw TypeError(what + "." + key + " must be an array of numbers");
  Napi::Array a = v.As<Napi::Array>();
  for (uint32_t i = 0; i < a.Length(); ++i) {
    Napi::Value x = a.Get(i);
    if (!x.IsNumber()) throw TypeError(what + "." + key + "[" + std::to_string(i) + "] must be a number");
    out.push_back(x.As<Napi::Number>().DoubleValue());
  }
  return out;
}

int64_t count(const Napi::Object& o, const char* key, const std::string& what, int64_t min) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined()) return min;
  const double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : -1;
  if (!(d >= static_cast<double>(min) && d <= static_cast<double>(kMaxElements)) || d != static_cast<double>(static_cast<int64_t>(d)))
    throw RangeError(what + "." + key + " must be an integer >= " + std::to_string(min));
  return static_cast<int64_t>(d);
}

Napi::Float64Array array(Napi::Env env, const std::vector<double>& values) {
  Napi::Float64Array a = Napi::Float64Array::New(env, values.size());
  std::copy(values.begin(), values.end(), a.Data());
  return a;
}

Napi::Object fromTally(Napi::Env env, const MetricTally& t) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("count", t.count);
  o.Set("confusion", array(env, t.confusion));
  o.Set("thresholdCounts", array(env, t.thresholdCounts));
  o.Set("topKHits", array(env, t.topKHits));
  o.Set("moments", array(env, t.moments));
  return o;
}

Napi::Object fromCurves(Napi::Env env, const CurveScores& c) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("rocAuc", array(env, c.rocAuc));
  o.Set("averagePrecision", array(env, c.averagePrecision));
  o.Set("positives", array(env, c.positives));
  return o;
}

}  // namespace

MetricPlan toMetricPlan(const Napi::Value& v, const std::string& what) {
  MetricPlan plan;
  if (v.IsNull() || v.IsUndefined()) return plan;
  if (!v.IsObject()) throw TypeError(what + " must be a metric plan or null");
  Napi::Object o = v.As<Napi::Object>();
  const std::string kind = o.Get("kind").ToString().Utf8Value();
  if (kind == "classes") plan.kind = PredictionKind::Classes;
  else if (kind == "oneHot") plan.kind = PredictionKind::OneHot;
  else if (kind == "binary") plan.kind = PredictionKind::Binary;
  else if (kind == "values") plan.kind = PredictionKind::Values;
  else throw TypeError(what + ".kind must be 'classes', 'oneHot', 'binary' or 'values', got '" + kind + "'");
  plan.columns = count(o, "columns", what, 1);
  plan.positions = count(o, "positions", what, 1);
  if (o.Has("ignoreIndex") && !o.Get("ignoreIndex").IsUndefined()) {
    const Napi::Value i = o.Get("ignoreIndex");
    const double d = i.IsNumber() ? i.As<Napi::Number>().DoubleValue() : 0.5;
    if (!(d >= INT32_MIN && d <= INT32_MAX) || d != static_cast<double>(static_cast<int64_t>(d)))
      throw RangeError(what + ".ignoreIndex must be a 32-bit integer");
    plan.ignoreIndex = static_cast<int32_t>(d);
  }
  plan.link = o.Get("link").ToBoolean();
  plan.confusion = o.Get("confusion").ToBoolean();
  for (double t : numbers(o, "thresholds", what)) plan.thresholds.push_back(static_cast<float>(t));
  for (double k : numbers(o, "topK", what)) {
    if (!(k >= 1 && k <= static_cast<double>(plan.columns)) || k != static_cast<double>(static_cast<int64_t>(k)))
      throw RangeError(what + ".topK: k must be an integer from 1 to " + std::to_string(plan.columns));
    plan.topK.push_back(static_cast<int64_t>(k));
  }
  plan.moments = o.Get("moments").ToBoolean();
  plan.scores = o.Get("scores").ToBoolean();
  plan.weighted = o.Get("weighted").ToBoolean();
  if ((plan.confusion || !plan.topK.empty()) && plan.kind != PredictionKind::Classes && plan.kind != PredictionKind::OneHot)
    throw TypeError(what + ": confusion and topK need class predictions");
  if (!plan.thresholds.empty() && plan.kind != PredictionKind::Binary) throw TypeError(what + ": thresholds need binary predictions");
  if (plan.scores && plan.kind == PredictionKind::Values) throw TypeError(what + ": scores (AUC) need class or binary predictions");
  if (plan.moments && plan.kind == PredictionKind::Classes) throw TypeError(what + ": moments need float targets");
  return plan;
}

Napi::Object fromMetricTotals(Napi::Env env, const MetricTotals& totals) {
  Napi::Object o = fromTally(env, totals.plain());
  if (totals.plan().scores) o.Set("curves", fromCurves(env, totals.curves(false)));
  if (totals.plan().weighted) {
    Napi::Object w = fromTally(env, totals.weighted());
    if (totals.plan().scores) w.Set("curves", fromCurves(env, totals.curves(true)));
    o.Set("weighted", w);
  }
  return o;
}

}  // namespace gradloop::binding
