// One AsyncWorker per native step (as sharp's PipelineWorker): Execute runs
// on a libuv worker thread with no N-API calls, OnOK/OnError settle a Promise.
#pragma once
#include <napi.h>

#include <functional>

#include "../core/program.h"
#include "convert.h"
#include "objects.h"

namespace gradloop::binding {

Napi::Object stepResult(Napi::Env env, const StepResult& r);

class StepWorker : public Napi::AsyncWorker {
 public:
  using Job = std::function<StepResult()>;
  // Queues job; keeps the program and dataset objects alive until it settles.
  static Napi::Promise Start(Napi::Env env, ProgramWrap* owner, Napi::Object program, Napi::Object dataset, Job job);

 protected:
  void Execute() override;
  void OnOK() override;
  void OnError(const Napi::Error& e) override;

 private:
  StepWorker(Napi::Env env, ProgramWrap* owner, Napi::Object program, Napi::Object dataset, Job job);
  Napi::Promise::Deferred deferred_;
  ProgramWrap* owner_;
  Napi::ObjectReference programRef_, datasetRef_;
  Job job_;
  StepResult result_{};
  CaughtError caught_;
};

}  // namespace gradloop::binding
