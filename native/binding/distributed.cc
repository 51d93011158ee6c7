#include "distributed.h"

#include <memory>
#include <string>

#include "../collective/mpi.h"
#include "convert.h"

namespace gradloop::binding {

namespace {

std::unique_ptr<Collective> engine, deviceEngine;
DeviceEngineFactory deviceFactory = nullptr;
std::string deviceNote;

// distributedInit(timeoutSeconds) -> { rank, size, engine }: opens MPI (once per process).
Napi::Value DistributedInit(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  runOrThrow(env, [&] {
    const double timeout = numberArg(info, 0, "timeoutSeconds");
    if (!(timeout > 0)) throw RangeError("distributed: timeout must be > 0 seconds");
    if (engine) return;
    std::string tried;
    try {
      engine = openMpi(timeout, &tried);
    } catch (const CollectiveError& e) {
      throw std::runtime_error(std::string("distributed: ") + e.what());
    }
    if (!engine)
      throw std::runtime_error("distributed: no MPI library could be loaded (" + tried +
                               "); install Open MPI (Debian/Ubuntu: apt-get install openmpi-bin) or MPICH, or set GRADLOOP_MPI_LIBRARY to the cluster's libmpi.so");
    // MPI_Finalize when Node exits (a rank that leaves without it makes mpirun report a failure).
    napi_add_env_cleanup_hook(env, [](void*) { deviceEngine.reset(); engine.reset(); }, nullptr);
    if (deviceFactory) {
      try {
        deviceEngine = deviceFactory(*engine, timeout, &deviceNote);
      } catch (const CollectiveError& e) {
        throw std::runtime_error(e.what());
      }
    }
  });
  Napi::Object o = Napi::Object::New(env);
  o.Set("rank", engine->rank());
  o.Set("size", engine->size());
  o.Set("engine", processCollective()->engine());
  if (deviceFactory) o.Set("deviceNote", deviceEngine ? std::string("gradients all-reduced on the GPU by ") + deviceEngine->engine()
                                                      : "gradients all-reduced through host memory: " + deviceNote);
  return o;
}

// distributedAllgather(Float64Array, what) -> Float64Array of size * length: every rank's values, rank
// order (all ranks pass the same length). Small agreements: seeds, weight hashes, positions.
Napi::Value DistributedAllgather(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Float64Array out;
  runOrThrow(env, [&] {
    if (!engine) throw std::runtime_error("distributed: call distributedInit first");
    if (!info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array)
      throw TypeError("distributedAllgather: expected a Float64Array");
    Napi::Float64Array mine = info[0].As<Napi::Float64Array>();
    const int64_t bytes = static_cast<int64_t>(mine.ElementLength() * sizeof(double));
    out = Napi::Float64Array::New(env, mine.ElementLength() * static_cast<size_t>(engine->size()));
    try {
      const std::string what = info[1].IsString() ? info[1].As<Napi::String>().Utf8Value() : "distributed: allgather";
      engine->allgather(mine.Data(), std::vector<int64_t>(static_cast<size_t>(engine->size()), bytes), out.Data(), what);
    } catch (const CollectiveError& e) {
      throw std::runtime_error(e.what());
    }
  });
  return out;
}

// distributedAbort(code): ends the whole job now (a rank exiting with an error).
void DistributedAbort(const Napi::CallbackInfo& info) {
  if (engine) engine->abort(info[0].IsNumber() ? info[0].As<Napi::Number>().Int32Value() : 1);
}

}  // namespace

Collective* processCollective() { return deviceEngine ? deviceEngine.get() : engine.get(); }

void setDeviceEngineFactory(DeviceEngineFactory factory) { deviceFactory = factory; }

void registerDistributed(Napi::Env env, Napi::Object exports) {
  exports.Set("distributedInit", Napi::Function::New(env, DistributedInit));
  exports.Set("distributedAllgather", Napi::Function::New(env, DistributedAllgather));
  exports.Set("distributedAbort", Napi::Function::New(env, DistributedAbort));
}

}  // namespace gradloop::binding
