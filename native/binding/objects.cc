#include "objects.h"

#include "distributed.h"
#include "metrics.h"

#include "../core/memory_check.h"

#include <cmath>
#include <string>
#include <vector>

#include "convert.h"
#include "workers.h"

namespace gradloop::binding {

void SetMemoryCheck(const Napi::CallbackInfo& info) {
  runOrThrow(info.Env(), [&] {
    if (info.Length() < 1 || !info[0].IsBoolean()) throw TypeError("setMemoryCheck: on must be a boolean");
    setMemoryCheck(info[0].As<Napi::Boolean>().Value());
  });
}

Napi::Object stepResult(Napi::Env env, const StepResult& r) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("loss", r.loss);
  o.Set("correct", static_cast<double>(r.correct));
  o.Set("count", static_cast<double>(r.accuracyUnits));
  o.Set("gradNorm", r.gradNorm);
  o.Set("nonFinite", r.nonFinite);
  auto squares = [&](const std::vector<double>& v) {
    Napi::Float64Array a = Napi::Float64Array::New(env, v.size());
    for (size_t i = 0; i < v.size(); ++i) a[i] = v[i];
    return a;
  };
  o.Set("gradSquares", squares(r.gradSquares));
  o.Set("weightSquares", squares(r.weightSquares));
  if (!r.headLoss.empty()) {  // a model with several losses: each one's loss, correct count and count
    Napi::Array heads = Napi::Array::New(env, r.headLoss.size());
    for (size_t h = 0; h < r.headLoss.size(); ++h) {
      Napi::Object e = Napi::Object::New(env);
      e.Set("loss", r.headLoss[h]);
      e.Set("correct", static_cast<double>(r.headCorrect[h]));
      e.Set("count", static_cast<double>(r.headUnits[h]));
      heads.Set(static_cast<uint32_t>(h), e);
    }
    o.Set("heads", heads);
  }
  return o;
}

namespace {
Napi::Float32Array copyOut(Napi::Env env, Backend& backend, const float* src, int64_t n) {
  Napi::Float32Array a = Napi::Float32Array::New(env, static_cast<size_t>(n));
  backend.copyToHost(a.Data(), src, static_cast<size_t>(n) * sizeof(float));
  return a;
}
}  // namespace

// ---- Dataset ----

Napi::FunctionReference DatasetWrap::constructor;

Napi::Function DatasetWrap::Define(Napi::Env env) {
  Napi::Function f = DefineClass(env, "Dataset",
                                 {InstanceAccessor<&DatasetWrap::Rows>("rows"), InstanceMethod<&DatasetWrap::Dispose>("dispose")});
  constructor = Napi::Persistent(f);
  return f;
}

// new Dataset(x: Float32Array | Int32Array, xShape, y?: Float32Array | Int32Array, yShape?, weights?: Float32Array)
DatasetWrap::DatasetWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<DatasetWrap>(info) {
  Napi::Env env = info.Env();
  runOrThrow(env, [&] {
    auto columns = [&](size_t i, const char* what, int64_t* rows) {
      Columns c;
      if (!info[i].IsTypedArray()) throw TypeError(std::string(what) + " must be a Float32Array or Int32Array");
      Napi::TypedArray a = info[i].As<Napi::TypedArray>();
      if (a.TypedArrayType() == napi_float32_array) c.dtype = DType::Float32;
      else if (a.TypedArrayType() == napi_int32_array) c.dtype = DType::Int32;
      else throw TypeError(std::string(what) + " must be a Float32Array or Int32Array");
      c.shape = toShape(info[i + 1], std::string(what) + " shape");
      int64_t per = numElements(c.shape, std::string(what) + " shape");  // checked: a shape from the caller
      int64_t len = static_cast<int64_t>(a.ElementLength());
      if (len % per != 0)
        throw TypeError(std::string(what) + " has " + std::to_string(len) + " values, not a multiple of the " +
                        std::to_string(per) + " per sample");
      *rows = len / per;
      c.host = static_cast<const char*>(a.ArrayBuffer().Data()) + a.ByteOffset();
      return c;
    };
    int64_t rows = 0, yRows = 0;
    Columns x = columns(0, "x", &rows), y;
    if (info.Length() > 2 && info[2].IsTypedArray()) {
      y = columns(2, "y", &yRows);
      if (yRows != rows)
        throw TypeError("x has " + std::to_string(rows) + " samples but y has " + std::to_string(yRows));
    }
    // A fifth argument: a weight per sample (Float32Array).
    const float* weights = nullptr;
    if (info.Length() > 4 && info[4].IsTypedArray()) {
      Napi::TypedArray w = info[4].As<Napi::TypedArray>();
      if (w.TypedArrayType() != napi_float32_array || static_cast<int64_t>(w.ElementLength()) != rows)
        throw TypeError("sampleWeight must be a Float32Array of " + std::to_string(rows) + " weights, one per sample");
      weights = reinterpret_cast<const float*>(static_cast<const char*>(w.ArrayBuffer().Data()) + w.ByteOffset());
    }
    dataset_ = std::make_unique<Dataset>(activeBackend(), rows, x, y, weights);
  });
}

DatasetWrap* DatasetWrap::FromValue(const Napi::Value& v, const std::string& what) {
  if (!v.IsObject() || !v.As<Napi::Object>().InstanceOf(constructor.Value()))
    throw TypeError(what + " must be a native Dataset");
  return Napi::ObjectWrap<DatasetWrap>::Unwrap(v.As<Napi::Object>());
}

Napi::Value DatasetWrap::Rows(const Napi::CallbackInfo& info) {
  if (!dataset_) throw Napi::Error::New(info.Env(), "the data set was disposed");
  return Napi::Number::New(info.Env(), static_cast<double>(dataset_->rows()));
}

// ---- Program ----

Napi::Function ProgramWrap::Define(Napi::Env env) {
  return DefineClass(env, "Program",
                     {
                         InstanceMethod<&ProgramWrap::Compile>("compile"),
                         InstanceMethod<&ProgramWrap::Parameters>("parameters"),
                         InstanceMethod<&ProgramWrap::GetParameter>("getParameter"),
                         InstanceMethod<&ProgramWrap::SetParameter>("setParameter"),
                         InstanceMethod<&ProgramWrap::GetGradient>("getGradient"),
                         InstanceMethod<&ProgramWrap::TensorShapes>("tensorShapes"),
                         InstanceMethod<&ProgramWrap::TrainStep>("trainStep"),
                         InstanceMethod<&ProgramWrap::TrainSteps>("trainSteps"),
                         InstanceMethod<&ProgramWrap::Evaluate>("evaluate"),
                         InstanceMethod<&ProgramWrap::Predict>("predict"),
                         InstanceMethod<&ProgramWrap::Decode>("decode"),
                         InstanceMethod<&ProgramWrap::ComputeGradients>("computeGradients"),
                         InstanceMethod<&ProgramWrap::InputGradient>("inputGradient"),
                         InstanceMethod<&ProgramWrap::SetGradientControl>("setGradientControl"),
                         InstanceMethod<&ProgramWrap::SetTrainable>("setTrainable"),
                         InstanceMethod<&ProgramWrap::OptimizerSlots>("optimizerSlots"),
                         InstanceMethod<&ProgramWrap::GetOptimizerState>("getOptimizerState"),
                         InstanceMethod<&ProgramWrap::SetOptimizerState>("setOptimizerState"),
                         InstanceMethod<&ProgramWrap::SetMetrics>("setMetrics"),
                         InstanceMethod<&ProgramWrap::SetDistributed>("setDistributed"),
                         InstanceMethod<&ProgramWrap::BroadcastState>("broadcastState"),
                         InstanceMethod<&ProgramWrap::WeightsHash>("weightsHash"),
                         InstanceMethod<&ProgramWrap::CollectiveTime>("collectiveTime"),
                         InstanceMethod<&ProgramWrap::ReadMetrics>("readMetrics"),
                         InstanceMethod<&ProgramWrap::GetCounters>("getCounters"),
                         InstanceMethod<&ProgramWrap::SetCounters>("setCounters"),
                         InstanceMethod<&ProgramWrap::Dispose>("dispose"),
                     });
}

ProgramWrap::ProgramWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ProgramWrap>(info) {
  runOrThrow(info.Env(), [&] {
    if (!info[0].IsObject()) throw TypeError("Program needs a spec object");
    program_ = std::make_unique<Program>(activeBackend(), toProgramSpec(info[0].As<Napi::Object>()));
  });
}

void ProgramWrap::claim(Napi::Env env) {
  if (!program_) throw Napi::Error::New(env, "the model was disposed: its weights and buffers were freed by dispose()");
  if (busy_)
    throw Napi::Error::New(env, "model is busy: a fit() or evaluate() is still running on it; await it first");
}

void ProgramWrap::Compile(const Napi::CallbackInfo& info) {
  claim(info.Env());
  runOrThrow(info.Env(), [&] {
    if (!(info[0].IsString() || info[0].IsArray()) || !info[1].IsObject())
      throw TypeError("compile(loss | [{ loss, tensor, weight }], optimizer, lossTensor?)");
    if (info[0].IsArray()) {  // one loss per output: [{ loss, tensor, weight }]
      Napi::Array list = info[0].As<Napi::Array>();
      std::vector<LossHead> heads;
      for (uint32_t k = 0; k < list.Length(); ++k) {
        if (!list.Get(k).IsObject()) throw TypeError("compile: loss " + std::to_string(k) + " must be { loss, tensor, weight }");
        Napi::Object h = list.Get(k).As<Napi::Object>();
        const double tensor = h.Get("tensor").ToNumber().DoubleValue(), weight = h.Get("weight").ToNumber().DoubleValue();
        if (!(tensor >= 0 && tensor < static_cast<double>(program().tensorCount())) || tensor != std::floor(tensor))
          throw RangeError("compile: loss " + std::to_string(k) + " reads no tensor of the model");
        LossHead head{lossFromName(h.Get("loss").ToString().Utf8Value()), static_cast<int>(tensor), static_cast<float>(weight)};
        if (h.Has("param") && h.Get("param").IsNumber()) head.param = h.Get("param").As<Napi::Number>().FloatValue();
        if (h.Has("ignoreIndex") && !h.Get("ignoreIndex").IsUndefined()) {
          const double ignore = h.Get("ignoreIndex").ToNumber().DoubleValue();
          if (!(ignore >= -2147483647.0 && ignore <= 2147483647.0) || ignore != std::floor(ignore))
            throw RangeError("compile: ignoreIndex must be an int32 integer, got " + std::to_string(ignore));
          head.ignoreIndex = static_cast<int32_t>(ignore);
        }
        heads.push_back(head);
      }
      program().compile(heads, toOptimizerSpec(info[1].As<Napi::Object>()));
      return;
    }
    const int lossTensor = info.Length() > 2 && !info[2].IsUndefined()
                               ? static_cast<int>(integerArg(info, 2, "lossTensor", 0, static_cast<int64_t>(program().tensorCount()) - 1))
                               : -1;
    program().compile(lossFromName(info[0].As<Napi::String>().Utf8Value()), toOptimizerSpec(info[1].As<Napi::Object>()),
                      lossTensor);
  });
}

// setTrainable(flags): one boolean per parameter, model order.
void ProgramWrap::SetTrainable(const Napi::CallbackInfo& info) {
  claim(info.Env());
  runOrThrow(info.Env(), [&] {
    if (info.Length() < 1 || !info[0].IsArray()) throw TypeError("setTrainable(flags): expected an array of booleans");
    Napi::Array flags = info[0].As<Napi::Array>();
    std::vector<bool> trainable(flags.Length());
    for (uint32_t k = 0; k < flags.Length(); ++k) {
      Napi::Value v = flags.Get(k);
      if (!v.IsBoolean()) throw TypeError("setTrainable: flag " + std::to_string(k) + " is not a boolean");
      trainable[k] = v.As<Napi::Boolean>().Value();
    }
    program().setTrainable(trainable);
  });
}

// setGradientControl(clipNorm, clipValue, skipNonFinite)
void ProgramWrap::SetGradientControl(const Napi::CallbackInfo& info) {
  claim(info.Env());
  runOrThrow(info.Env(), [&] {
    GradientControl c;
    c.clipNorm = static_cast<float>(numberArg(info, 0, "clipNorm"));
    c.clipValue = static_cast<float>(numberArg(info, 1, "clipValue"));
    c.skipNonFinite = info[2].ToBoolean();
    if (!(c.clipNorm >= 0) || !(c.clipValue >= 0)) throw RangeError("clipNorm and clipValue must be >= 0");
    program().setGradientControl(c);
  });
}

Napi::Value ProgramWrap::Parameters(const Napi::CallbackInfo& info) {
  claim(info.Env());
  Napi::Env env = info.Env();
  auto& params = program().parameters();
  Napi::Array out = Napi::Array::New(env, params.size());
  for (size_t i = 0; i < params.size(); ++i) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("name", params[i].name);
    o.Set("shape", fromShape(env, params[i].shape));
    o.Set("trainable", params[i].learnable);  // false: updated by its op (batch norm's moving statistics)
    out.Set(static_cast<uint32_t>(i), o);
  }
  return out;
}

Parameter& ProgramWrap::parameterAt(const Napi::CallbackInfo& info) {
  double i = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().DoubleValue() : -1;
  auto& params = program().parameters();
  if (!(i >= 0 && i < static_cast<double>(params.size())))
    throw Napi::RangeError::New(info.Env(), "parameter index out of range");
  return params[static_cast<size_t>(i)];
}

Napi::Value ProgramWrap::GetParameter(const Napi::CallbackInfo& info) {
  claim(info.Env());
  Parameter& p = parameterAt(info);
  return copyOut(info.Env(), program().backend(), p.value, p.size);
}

Napi::Value ProgramWrap::GetGradient(const Napi::CallbackInfo& info) {
  claim(info.Env());
  Parameter& p = parameterAt(info);
  return copyOut(info.Env(), program().backend(), p.grad, p.size);
}

void ProgramWrap::SetParameter(const Napi::CallbackInfo& info) {
  claim(info.Env());
  Parameter& p = parameterAt(info);
  if (info.Length() < 2 || !info[1].IsTypedArray() ||
      info[1].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array ||
      static_cast<int64_t>(info[1].As<Napi::Float32Array>().ElementLength()) != p.size)
    throw Napi::TypeError::New(info.Env(), "setParameter: '" + p.name + "' needs a Float32Array of " +
                                               std::to_string(p.size) + " values");
  program().backend().copyFromHost(p.value, info[1].As<Napi::Float32Array>().Data(), p.size * sizeof(float));
  program().weightsChanged();
}

// ---- optimizer state and counters (checkpoints) ----

Napi::Value ProgramWrap::OptimizerSlots(const Napi::CallbackInfo& info) {
  claim(info.Env());
  Napi::Env env = info.Env();
  std::vector<std::string> names = program().optimizerSlotNames();
  Napi::Array out = Napi::Array::New(env, names.size());
  for (uint32_t i = 0; i < names.size(); ++i) out.Set(i, names[i]);
  return out;
}

// (parameterIndex, slot) -> the slot's buffer
float* ProgramWrap::optimizerSlotAt(const Napi::CallbackInfo& info, Parameter** param) {
  Parameter& p = parameterAt(info);
  double slot = info.Length() > 1 && info[1].IsNumber() ? info[1].As<Napi::Number>().DoubleValue() : -1;
  if (!(slot >= 0 && slot < program().optimizerSlots()))
    throw Napi::RangeError::New(info.Env(), "optimizer slot index out of range");
  *param = &p;
  return p.state[static_cast<int>(slot)];
}

Napi::Value ProgramWrap::GetOptimizerState(const Napi::CallbackInfo& info) {
  claim(info.Env());
  Parameter* p = nullptr;
  float* slot = optimizerSlotAt(info, &p);
  return copyOut(info.Env(), program().backend(), slot, p->size);
}

void ProgramWrap::SetOptimizerState(const Napi::CallbackInfo& info) {
  claim(info.Env());
  Parameter* p = nullptr;
  float* slot = optimizerSlotAt(info, &p);
  if (info.Length() < 3 || !info[2].IsTypedArray() ||
      info[2].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array ||
      static_cast<int64_t>(info[2].As<Napi::Float32Array>().ElementLength()) != p->size)
    throw Napi::TypeError::New(info.Env(), "setOptimizerState: '" + p->name + "' needs a Float32Array of " +
                                               std::to_string(p->size) + " values");
  // State that would turn the next update into NaN never enters: every value finite, and Adam's
  // second moment (slot "v") never negative (its square root is taken).
  const float* values = info[2].As<Napi::Float32Array>().Data();
  const std::vector<std::string> slots = program().optimizerSlotNames();
  const std::string slotName = slots[static_cast<size_t>(info[1].As<Napi::Number>().Int32Value())];
  for (int64_t i = 0; i < p->size; ++i)
    if (!std::isfinite(values[i]) || (slotName == "v" && values[i] < 0))
      throw Napi::RangeError::New(info.Env(), "setOptimizerState: '" + p->name + "/" + slotName + "' holds " +
                                                  std::to_string(values[i]) + " at index " + std::to_string(i) +
                                                  (slotName == "v" ? "; values must be finite and >= 0" : "; values must be finite"));
  program().backend().copyFromHost(slot, values, p->size * sizeof(float));
  program().optimizerStateChanged();
}

// setMetrics(plans: (plan | null)[]): one per loss (binding/metrics.h).
void ProgramWrap::SetMetrics(const Napi::CallbackInfo& info) {
  claim(info.Env());
  runOrThrow(info.Env(), [&] {
    if (info.Length() < 1 || !info[0].IsArray()) throw TypeError("setMetrics(plans): expected an array");
    Napi::Array list = info[0].As<Napi::Array>();
    std::vector<MetricPlan> plans;
    for (uint32_t k = 0; k < list.Length(); ++k) plans.push_back(toMetricPlan(list.Get(k), "metric plan " + std::to_string(k)));
    program().setMetrics(plans);
  });
}

// readMetrics(set: 0 training | 1 evaluation, reset: boolean, merge?: boolean) -> (totals | null)[],
// one per loss. evaluate() starts its set afresh; fit reads with reset at each epoch's end. merge
// (data parallel, every rank at once): the ranks' totals combined first; once per set's filling.
Napi::Value ProgramWrap::ReadMetrics(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  claim(env);
  Napi::Array out = Napi::Array::New(env);
  runOrThrow(env, [&] {
    const auto set = static_cast<Program::MetricSet>(integerArg(info, 0, "set", 0, 1));
    const bool reset = info[1].ToBoolean();
    if (info.Length() > 2 && info[2].ToBoolean()) program().mergeMetrics(set);
    for (size_t h = 0; h < program().headCount(); ++h) {
      const MetricTotals* totals = program().metricTotals(set, h);
      out.Set(static_cast<uint32_t>(h), totals ? Napi::Value(fromMetricTotals(env, *totals)) : env.Null());
    }
    if (reset) program().resetMetrics(set);
  });
  return out;
}

// setDistributed(on): train data-parallel over the process's collective engine (distributedInit).
void ProgramWrap::SetDistributed(const Napi::CallbackInfo& info) {
  claim(info.Env());
  runOrThrow(info.Env(), [&] {
    const bool on = info[0].ToBoolean();
    if (on && !processCollective()) throw TypeError("setDistributed: call distributedInit first");
    program().setCollective(on ? processCollective() : nullptr);
  });
}

// broadcastState(): rank 0's weights, optimizer state and counters to every rank.
void ProgramWrap::BroadcastState(const Napi::CallbackInfo& info) {
  claim(info.Env());
  runOrThrow(info.Env(), [&] { program().broadcastState(0); });
}

// collectiveTime() -> { seconds, steps }: time in the gradient all-reduce so far.
Napi::Value ProgramWrap::CollectiveTime(const Napi::CallbackInfo& info) {
  claim(info.Env());
  Napi::Object o = Napi::Object::New(info.Env());
  runOrThrow(info.Env(), [&] {
    const auto [seconds, steps] = program().collectiveTime();
    o.Set("seconds", seconds);
    o.Set("steps", static_cast<double>(steps));
  });
  return o;
}

// weightsHash() -> string (hex): equal on every rank while the replicas agree.
Napi::Value ProgramWrap::WeightsHash(const Napi::CallbackInfo& info) {
  claim(info.Env());
  std::string hex;
  runOrThrow(info.Env(), [&] {
    char text[17];
    snprintf(text, sizeof(text), "%016llx", static_cast<unsigned long long>(program().weightsHash()));
    hex = text;
  });
  return Napi::String::New(info.Env(), hex);
}

Napi::Value ProgramWrap::GetCounters(const Napi::CallbackInfo& info) {
  claim(info.Env());
  ProgramCounters c = program().counters();
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("optimizerStep", static_cast<double>(c.optimizerStep));
  o.Set("forwardCount", static_cast<double>(c.forwardCount));
  return o;
}

// setCounters({ optimizerStep, forwardCount }): non-negative integers below 2^53
void ProgramWrap::SetCounters(const Napi::CallbackInfo& info) {
  claim(info.Env());
  runOrThrow(info.Env(), [&] {
    if (!info[0].IsObject()) throw TypeError("setCounters({ optimizerStep, forwardCount })");
    Napi::Object o = info[0].As<Napi::Object>();
    auto count = [&](const char* key) {
      Napi::Value v = o.Get(key);
      double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : -1;
      if (!(d >= 0 && d <= 9007199254740991.0) || d != static_cast<double>(static_cast<int64_t>(d)))
        throw RangeError(std::string(key) + " must be a non-negative integer");
      return static_cast<int64_t>(d);
    };
    program().setCounters({count("optimizerStep"), static_cast<uint64_t>(count("forwardCount"))});
  });
}

Napi::Value ProgramWrap::TensorShapes(const Napi::CallbackInfo& info) {
  claim(info.Env());
  Napi::Env env = info.Env();
  Napi::Array out = Napi::Array::New(env, program().tensorCount());
  for (uint32_t t = 0; t < program().tensorCount(); ++t)
    out.Set(t, fromShape(env, program().tensorShape(static_cast<int>(t))));
  return out;
}

// The arguments every training call shares: the data set, the rows, the learning rate and the seed.
struct StepArgs {
  DatasetWrap* data = nullptr;
  std::vector<int32_t> rows;
  double learningRate = 0;
  uint64_t seed = 0;
};

// rateIndex: where learningRate (then seed) sits; with rateIsArray the caller reads the rates itself.
static StepArgs parseStepArgs(const Napi::CallbackInfo& info, Program& program, size_t rateIndex,
                              bool rateIsArray = false) {
  StepArgs a;
  runOrThrow(info.Env(), [&] {
    a.data = DatasetWrap::FromValue(info[0], "x");
    size_t n = 0;
    const int32_t* r = int32Data(info[1], "rows", &n);
    if (n == 0) throw RangeError("a training step needs at least one row");
    a.rows.assign(r, r + n);
    if (!rateIsArray) a.learningRate = numberArg(info, rateIndex, "learningRate");
    a.seed = seedArg(info, rateIndex + 1, "seed");
    program.checkDataset(a.data->dataset(), true, "x");
  });
  return a;
}

// Optional micro-batch size at argument i (0 or absent: no accumulation).
static int64_t microBatchArg(const Napi::CallbackInfo& info, size_t i) {
  if (info.Length() <= i || info[i].IsUndefined()) return 0;
  int64_t micro = 0;
  runOrThrow(info.Env(), [&] {
    micro = integerArg(info, i, "microBatch", 0, kMaxElements);
  });
  return micro;
}

// trainStep(dataset, rows: Int32Array, learningRate, seed, microBatch = 0)
//   -> Promise<{ loss, correct, count, gradNorm, nonFinite, gradSquares, weightSquares }>
Napi::Value ProgramWrap::TrainStep(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  claim(env);
  StepArgs a = parseStepArgs(info, program(), 2);
  int64_t micro = microBatchArg(info, 4);
  busy_ = true;
  Program* program = &this->program();
  Dataset* dataset = &a.data->dataset();
  auto job = [program, dataset, rows = std::move(a.rows), lr = a.learningRate, seed = a.seed, micro]() {
    std::vector<StepResult> results{program->trainStep(*dataset, rows.data(), static_cast<int64_t>(rows.size()),
                                                       static_cast<float>(lr), seed, micro)};
    results[0].weightSquares = program->readWeightSquares();
    return results;
  };
  return StepWorker::Start(env, this, info.This().As<Napi::Object>(), info[0].As<Napi::Object>(), job);
}

// trainSteps(dataset, rows: Int32Array, batchSize, learningRates: Float64Array, seed, microBatch = 0)
//   -> Promise<Float64Array>
// Consecutive steps over rows split into batches of batchSize (the last may be smaller), in one
// worker: the same steps as trainStep per batch, without a thread hand-off between them.
// learningRates holds one rate per step (schedules change it step by step).
// microBatch splits each step's batch for gradient accumulation (Program::trainStep).
// Resolves with [loss, correct, count, gradNorm, nonFinite, gradSquares[P], weightSquares[P]] per step.
Napi::Value ProgramWrap::TrainSteps(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  claim(env);
  int64_t batch = 0;
  std::vector<double> rates;
  runOrThrow(env, [&] {
    batch = integerArg(info, 2, "batchSize", 1, kMaxElements);
    if (!info[3].IsTypedArray() || info[3].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array)
      throw TypeError("learningRates must be a Float64Array with one rate per step");
    Napi::Float64Array r = info[3].As<Napi::Float64Array>();
    rates.assign(r.Data(), r.Data() + r.ElementLength());
  });
  StepArgs a = parseStepArgs(info, program(), 3, /*rateIsArray=*/true);
  int64_t micro = microBatchArg(info, 5);
  runOrThrow(env, [&] {
    const size_t steps = (a.rows.size() + static_cast<size_t>(batch) - 1) / static_cast<size_t>(batch);
    if (rates.size() != steps)
      throw RangeError("learningRates has " + std::to_string(rates.size()) + " rates for " + std::to_string(steps) + " steps");
  });
  busy_ = true;
  Program* program = &this->program();
  Dataset* dataset = &a.data->dataset();
  auto job = [program, dataset, rows = std::move(a.rows), batch, rates = std::move(rates), seed = a.seed, micro]() {
    std::vector<StepResult> results;
    const int64_t n = static_cast<int64_t>(rows.size());
    for (int64_t start = 0, step = 0; start < n; start += batch, ++step) {
      results.push_back(program->trainStep(*dataset, rows.data() + start, std::min(batch, n - start),
                                           static_cast<float>(rates[step]), seed, micro));
      // Each step's readback carries the previous update's weight sums: no extra wait per step.
      if (step > 0) results[static_cast<size_t>(step - 1)].weightSquares = program->previousWeightSquares();
      if (results.back().nonFinite != -2) break;  // the caller decides what a NaN means; no more steps
    }
    results.back().weightSquares = program->readWeightSquares();  // one wait per call for the last
    return results;
  };
  return StepWorker::Start(env, this, info.This().As<Napi::Object>(), info[0].As<Napi::Object>(), job,
                           StepWorker::Shape::PerStep);
}

// evaluate(dataset, rows: Int32Array, batchSize) -> Promise<{ loss, correct, count }> over all rows
Napi::Value ProgramWrap::Evaluate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  claim(env);
  DatasetWrap* data = nullptr;
  std::vector<int32_t> rows;
  int64_t batch = 0;
  runOrThrow(env, [&] {
    data = DatasetWrap::FromValue(info[0], "x");
    size_t n = 0;
    const int32_t* r = int32Data(info[1], "rows", &n);
    rows.assign(r, r + n);
    batch = integerArg(info, 2, "batchSize", 1, kMaxElements);
    if (rows.empty()) throw RangeError("evaluate needs at least one row");
    program().checkDataset(data->dataset(), true, "x");
  });
  busy_ = true;
  Program* program = &this->program();
  Dataset* dataset = &data->dataset();
  auto job = [program, dataset, rows = std::move(rows), batch]() {
    program->resetMetrics(Program::kEvaluationMetrics);
    StepResult total{0, 0, 0};
    const int64_t n = static_cast<int64_t>(rows.size());
    double weight = 0;
    for (int64_t start = 0; start < n; start += batch) {
      int64_t count = std::min(batch, n - start);
      StepResult r = program->evaluateBatch(*dataset, rows.data() + start, count);
      // Every loss's mean divides by a multiple of the batch's rows (or of its samples' weights).
      total.loss += r.loss * r.weight;
      weight += r.weight;
      total.correct += r.correct;
      total.accuracyUnits += r.accuracyUnits;
      total.headLoss.resize(r.headLoss.size()), total.headCorrect.resize(r.headLoss.size()), total.headUnits.resize(r.headLoss.size());
      for (size_t h = 0; h < r.headLoss.size(); ++h) {
        total.headLoss[h] += r.headLoss[h] * r.weight;
        total.headCorrect[h] += r.headCorrect[h];
        total.headUnits[h] += r.headUnits[h];
      }
    }
    const double divisor = weight > 0 ? weight : 1;  // every weight 0: the loss is 0
    total.loss /= divisor;
    for (double& l : total.headLoss) l /= divisor;
    return std::vector<StepResult>{total};
  };
  return StepWorker::Start(env, this, info.This().As<Napi::Object>(), info[0].As<Napi::Object>(), job);
}

// predict(dataset, batchSize) -> Float32Array [rows, outputElements], synchronous (as tfjs' predict);
// for a model with several outputs, an array of them, one per output.
Napi::Value ProgramWrap::Predict(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  claim(env);
  std::vector<Napi::Float32Array> outs;
  runOrThrow(env, [&] {
    Dataset& data = DatasetWrap::FromValue(info[0], "x")->dataset();
    int64_t batch = integerArg(info, 1, "batchSize", 1, kMaxElements);
    program().checkDataset(data, false, "x");
    const int64_t n = data.rows();
    std::vector<int64_t> per;
    int64_t total = 0;
    for (int t : program().outputs()) {
      per.push_back(numElements(program().tensorShape(t)));
      total = checkedAdd(total, checkedMultiply(n, per.back(), "predict"), "predict");
    }
    checkHostResult(checkedMultiply(total, 4, "predict"), "predict");
    for (int64_t e : per) outs.push_back(Napi::Float32Array::New(env, static_cast<size_t>(n * e)));
    std::vector<int32_t> rows(static_cast<size_t>(std::min(batch, n)));
    std::vector<float*> at(outs.size());
    for (int64_t start = 0; start < n; start += batch) {
      int64_t count = std::min(batch, n - start);
      for (int64_t i = 0; i < count; ++i) rows[i] = static_cast<int32_t>(start + i);
      for (size_t k = 0; k < outs.size(); ++k) at[k] = outs[k].Data() + start * per[k];
      program().predictBatch(data, rows.data(), count, at);
    }
  });
  if (outs.size() == 1) return outs[0];
  Napi::Array list = Napi::Array::New(env, outs.size());
  for (size_t k = 0; k < outs.size(); ++k) list.Set(static_cast<uint32_t>(k), outs[k]);
  return list;
}

// decode(input: Int32Array | Float32Array, batch, position) -> Float32Array [batch, first output's
// elements], synchronous: one position of every sample through a decoding program.
Napi::Value ProgramWrap::Decode(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  claim(env);
  Napi::Float32Array out;
  runOrThrow(env, [&] {
    Program& p = program();
    const int64_t batch = integerArg(info, 1, "batch", 1, kMaxElements);
    const int64_t position = integerArg(info, 2, "position", 0, kMaxElements);
    const bool ints = p.inputType() == DType::Int32;
    if (!info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != (ints ? napi_int32_array : napi_float32_array))
      throw TypeError(std::string("decode: input must be an ") + (ints ? "Int32Array" : "Float32Array"));
    Napi::TypedArray input = info[0].As<Napi::TypedArray>();
    const int64_t per = numElements(p.inputShape());
    if (static_cast<int64_t>(input.ElementLength()) != checkedMultiply(batch, per, "decode"))
      throw TypeError("decode: input has " + std::to_string(input.ElementLength()) + " values, expected batch * " + std::to_string(per));
    const int64_t n = checkedMultiply(batch, numElements(p.tensorShape(p.outputs()[0])), "decode");
    checkHostResult(checkedMultiply(n, 4, "decode"), "decode");
    out = Napi::Float32Array::New(env, static_cast<size_t>(n));
    const auto* bytes = static_cast<const char*>(input.ArrayBuffer().Data()) + input.ByteOffset();
    p.decode(bytes, batch, position, out.Data());
  });
  return out;
}

// computeGradients(dataset, rows, training, seed) -> { loss, correct, count }; gradients stay readable.
Napi::Value ProgramWrap::ComputeGradients(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  claim(env);
  StepResult result{};
  runOrThrow(env, [&] {
    Dataset& data = DatasetWrap::FromValue(info[0], "x")->dataset();
    size_t n = 0;
    const int32_t* rows = int32Data(info[1], "rows", &n);
    result = program().computeGradients(data, rows, static_cast<int64_t>(n), info[2].ToBoolean(),
                                        seedArg(info, 3, "seed"));
  });
  return stepResult(env, result);
}

Napi::Value ProgramWrap::InputGradient(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  claim(env);
  Napi::Float32Array out;
  runOrThrow(env, [&] {
    int64_t count = integerArg(info, 0, "count", 0, kMaxElements);
    checkHostResult(checkedMultiply(checkedMultiply(count, numElements(program().inputShape()), "inputGradient"), 4, "inputGradient"), "inputGradient");
    out = Napi::Float32Array::New(env, static_cast<size_t>(count * numElements(program().inputShape())));
    program().copyInputGradient(out.Data(), count);
  });
  return out;
}

}  // namespace gradloop::binding

namespace gradloop::binding {

// Frees the program's memory (weights, gradients, activations, optimizer state) now rather than
// when the garbage collector gets to it: on a GPU that memory is scarce.
void ProgramWrap::Dispose(const Napi::CallbackInfo& info) {
  if (busy_) throw Napi::Error::New(info.Env(), "model is busy: await the running fit() or evaluate() before dispose()");
  program_.reset();
}

void DatasetWrap::Dispose(const Napi::CallbackInfo&) { dataset_.reset(); }

}  // namespace gradloop::binding
