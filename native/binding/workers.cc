#include "workers.h"

namespace gradloop::binding {

StepWorker::StepWorker(Napi::Env env, ProgramWrap* owner, Napi::Object program, Napi::Object dataset, Job job)
    : Napi::AsyncWorker(env, "gradloop:step"),
      deferred_(Napi::Promise::Deferred::New(env)),
      owner_(owner),
      programRef_(Napi::Persistent(program)),
      datasetRef_(Napi::Persistent(dataset)),
      job_(std::move(job)) {}

Napi::Promise StepWorker::Start(Napi::Env env, ProgramWrap* owner, Napi::Object program, Napi::Object dataset,
                                Job job) {
  auto* worker = new StepWorker(env, owner, program, dataset, std::move(job));  // deletes itself when done
  Napi::Promise promise = worker->deferred_.Promise();
  worker->Queue();
  return promise;
}

void StepWorker::Execute() {
  if (!catchNative([this] { result_ = job_(); }, &caught_)) SetError(caught_.message);
}

void StepWorker::OnOK() {
  owner_->release();
  deferred_.Resolve(stepResult(Env(), result_));
}

void StepWorker::OnError(const Napi::Error&) {
  owner_->release();
  deferred_.Reject(toJsError(Env(), caught_).Value());
}

}  // namespace gradloop::binding
