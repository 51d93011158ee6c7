#include "workers.h"

namespace gradloop::binding {

StepWorker::StepWorker(Napi::Env env, ProgramWrap* owner, Napi::Object program, Napi::Object dataset, Job job,
                       Shape shape)
    : Napi::AsyncWorker(env, "gradloop:step"),
      deferred_(Napi::Promise::Deferred::New(env)),
      owner_(owner),
      programRef_(Napi::Persistent(program)),
      datasetRef_(Napi::Persistent(dataset)),
      job_(std::move(job)),
      shape_(shape) {}

Napi::Promise StepWorker::Start(Napi::Env env, ProgramWrap* owner, Napi::Object program, Napi::Object dataset,
                                Job job, Shape shape) {
  auto* worker = new StepWorker(env, owner, program, dataset, std::move(job), shape);  // deletes itself when done
  Napi::Promise promise = worker->deferred_.Promise();
  worker->Queue();
  return promise;
}

void StepWorker::Execute() {
  if (!catchNative([this] { results_ = job_(); }, &caught_)) SetError(caught_.message);
}

void StepWorker::OnOK() {
  owner_->release();
  if (shape_ == Shape::Single) {
    deferred_.Resolve(stepResult(Env(), results_.at(0)));
    return;
  }
  const size_t params = results_.empty() ? 0 : results_[0].gradSquares.size();
  const size_t heads = results_.empty() ? 0 : results_[0].headLoss.size();  // several losses: 3 values each
  const size_t stride = kPerStep + 2 * params + 3 * heads;
  Napi::Float64Array out = Napi::Float64Array::New(Env(), results_.size() * stride);
  for (size_t i = 0; i < results_.size(); ++i) {
    const StepResult& r = results_[i];
    double* at = out.Data() + stride * i;
    at[0] = r.loss;
    at[1] = static_cast<double>(r.correct);
    at[2] = static_cast<double>(r.accuracyUnits);
    at[3] = r.gradNorm;
    at[4] = r.nonFinite;
    for (size_t k = 0; k < params; ++k) {
      at[kPerStep + k] = r.gradSquares[k];
      at[kPerStep + params + k] = r.weightSquares[k];
    }
    for (size_t h = 0; h < heads && h < r.headLoss.size(); ++h) {
      at[kPerStep + 2 * params + 3 * h] = r.headLoss[h];
      at[kPerStep + 2 * params + 3 * h + 1] = static_cast<double>(r.headCorrect[h]);
      at[kPerStep + 2 * params + 3 * h + 2] = static_cast<double>(r.headUnits[h]);
    }
  }
  deferred_.Resolve(out);
}

void StepWorker::OnError(const Napi::Error&) {
  owner_->release();
  deferred_.Reject(toJsError(Env(), caught_).Value());
}

}  // namespace gradloop::binding
