// One AsyncWorker per native step (as sharp's PipelineWorker): Execute runs
// on a libuv worker thread with no N-API calls, OnOK/OnError settle a Promise.
#pragma once
#include <napi.h>

#include <functional>
#include <vector>

#include "../core/program.h"
#include "convert.h"
#include "objects.h"

namespace gradloop::binding {

Napi::Object stepResult(Napi::Env env, const StepResult& r);

// Runs one job (a step, a run of consecutive steps, or an evaluation) and settles a Promise
// with one { loss, correct, count, gradNorm, nonFinite } object, or a Float64Array of
// [loss, correct, count, gradNorm, nonFinite, gradSquares[P], weightSquares[P], then per loss of a
// model with several {loss, correct, count}] per step for P
// parameters (a run stops after a non-finite step).
constexpr size_t kPerStep = 5;  // the fixed fields before the per-parameter ones
class StepWorker : public Napi::AsyncWorker {
 public:
  using Job = std::function<std::vector<StepResult>()>;
  enum class Shape { Single, PerStep };
  // Queues job; keeps the program and dataset objects alive until it settles.
  static Napi::Promise Start(Napi::Env env, ProgramWrap* owner, Napi::Object program, Napi::Object dataset, Job job,
                             Shape shape = Shape::Single);

 protected:
  void Execute() override;
  void OnOK() override;
  void OnError(const Napi::Error& e) override;

 private:
  StepWorker(Napi::Env env, ProgramWrap* owner, Napi::Object program, Napi::Object dataset, Job job, Shape shape);
  Napi::Promise::Deferred deferred_;
  ProgramWrap* owner_;
  Napi::ObjectReference programRef_, datasetRef_;
  Job job_;
  Shape shape_;
  std::vector<StepResult> results_;
  CaughtError caught_;
};

}  // namespace gradloop::binding
