// Module entry: exports the Dataset and Program classes and a few facts
// about the native build (BLAS, threads) plus the sgemm ceiling benchmark.
#include <napi.h>

#include "../core/float_mode.h"
#include "../core/memory_check.h"
#include "../cpu/cpu_backend.h"
#include "convert.h"
#include "distributed.h"
#include "objects.h"
#include "sgemm_rate.h"

namespace gradloop::binding {

Backend& activeBackend() {
  static CpuBackend backend;
  return backend;
}

namespace {

Napi::Value Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("backend", "cpu");
  o.Set("blas", blasConfig());
  o.Set("blasCore", blasCoreName());
  o.Set("threads", blasThreads());
  o.Set("flushDenormals", flushDenormals());
  o.Set("memoryCheck", memoryCheck());
  o.Set("maxThreads", maxBlasThreads());
  return o;
}

// setFlushDenormals(on): flush-to-zero and denormals-are-zero in every later native call.
void SetFlushDenormals(const Napi::CallbackInfo& info) {
  runOrThrow(info.Env(), [&] {
    if (info.Length() < 1 || !info[0].IsBoolean()) throw TypeError("setFlushDenormals: on must be a boolean");
    setFlushDenormals(info[0].As<Napi::Boolean>().Value());
  });
}

void SetThreads(const Napi::CallbackInfo& info) {
  runOrThrow(info.Env(), [&] {
    openblasSetThreads(static_cast<int>(integerArg(info, 0, "threads", 1, maxBlasThreads())));
  });
}

// sgemmGflops(M, N, K, seconds, transA?, transB?): repeated C[M,N] = op(A) op(B) for about `seconds`;
// returns GFLOP/s. The transposes let the benchmark time a workload's backward products as they run.
Napi::Value SgemmGflops(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  double gflops = 0;
  runOrThrow(env, [&] {
    const bool ta = info.Length() > 4 && info[4].ToBoolean(), tb = info.Length() > 5 && info[5].ToBoolean();
    gflops = sgemmGflops(activeBackend(), static_cast<int64_t>(numberArg(info, 0, "M")),
                         static_cast<int64_t>(numberArg(info, 1, "N")), static_cast<int64_t>(numberArg(info, 2, "K")),
                         numberArg(info, 3, "seconds"), ta, tb);
  });
  return Napi::Number::New(env, gflops);
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("Dataset", DatasetWrap::Define(env));
  exports.Set("Program", ProgramWrap::Define(env));
  registerDistributed(env, exports);
  exports.Set("info", Napi::Function::New(env, Info));
  exports.Set("setThreads", Napi::Function::New(env, SetThreads));
  exports.Set("setFlushDenormals", Napi::Function::New(env, SetFlushDenormals));
  exports.Set("setMemoryCheck", Napi::Function::New(env, SetMemoryCheck));
  exports.Set("sgemmGflops", Napi::Function::New(env, SgemmGflops));
  return exports;
}

}  // namespace
}  // namespace gradloop::binding

// NODE_API_MODULE pastes tokens onto the function name, so it needs an unqualified one.
static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) { return gradloop::binding::Init(env, exports); }
NODE_API_MODULE(gradloop, InitAddon)
