// The CUDA addon (build/cuda/gradloop_cuda.node): the same Dataset and Program classes as the
// main addon (native/binding/, compiled again here) over the CUDA backend, plus device facts.
// The CUDA runtime is linked statically, so this loads on any Linux machine and simply lists
// no devices where there is no GPU or driver; cuBLAS is opened when a device is first used.
#include <napi.h>

#include <map>
#include <memory>

#include "../binding/convert.h"
#include "../binding/distributed.h"
#include "../binding/objects.h"
#include "../binding/sgemm_rate.h"
#include "cublas_loader.h"
#include "nccl.h"
#include "cuda_backend.h"

namespace gradloop::binding {
namespace {

// One backend per (device, precision), created on first use and kept for the process.
std::map<std::pair<int, bool>, std::unique_ptr<cuda::CudaBackend>> backends;
cuda::CudaBackend* selected = nullptr;

Napi::Value Devices(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const cuda::DeviceList list = cuda::listDevices();
  Napi::Object o = Napi::Object::New(env);
  Napi::Array devices = Napi::Array::New(env, list.devices.size());
  for (size_t i = 0; i < list.devices.size(); ++i) {
    const cuda::DeviceInfo& d = list.devices[i];
    Napi::Object e = Napi::Object::New(env);
    e.Set("index", d.index);
    e.Set("name", d.name);
    e.Set("memory", static_cast<double>(d.totalMemory));
    e.Set("computeCapability", std::to_string(d.major) + "." + std::to_string(d.minor));
    e.Set("multiprocessors", d.multiprocessors);
    devices[i] = e;
  }
  o.Set("devices", devices);
  o.Set("reason", list.reason);
  o.Set("runtimeVersion", list.runtimeVersion);
  o.Set("driverVersion", list.driverVersion);
  return o;
}

cuda::CudaBackend& backendFor(int index, bool tf32) {
  // useDevice runs before every Dataset a fit creates (each streamed batch, each staged piece):
  // an existing backend is returned without asking the driver about every device again.
  if (auto found = backends.find({index, tf32}); found != backends.end()) return *found->second;
  const cuda::DeviceList list = cuda::listDevices();
  if (index < 0 || index >= static_cast<int>(list.devices.size()))
    throw RangeError("there is no CUDA device cuda:" + std::to_string(index) + " (" +
                     (list.devices.empty() ? "no devices: " + list.reason
                                           : std::to_string(list.devices.size()) + " device(s), cuda:0 to cuda:" +
                                                 std::to_string(list.devices.size() - 1)) + ")");
  // Constructed before it is stored: a failure (no cuBLAS) leaves no empty entry behind.
  auto backend = std::make_unique<cuda::CudaBackend>(index, tf32);
  return *(backends[{index, tf32}] = std::move(backend));
}

// useDevice(index, tf32): the device (and matmul precision) the next Dataset/Program is created on.
void UseDevice(const Napi::CallbackInfo& info) {
  runOrThrow(info.Env(), [&] {
    const int index = static_cast<int>(numberArg(info, 0, "device"));
    const bool tf32 = info.Length() > 1 && info[1].ToBoolean();
    selected = &backendFor(index, tf32);
  });
}

Napi::Value MemoryInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  runOrThrow(env, [&] {
    uint64_t freeBytes = 0, totalBytes = 0;
    cuda::memoryInfo(static_cast<int>(numberArg(info, 0, "device")), &freeBytes, &totalBytes);
    o.Set("free", static_cast<double>(freeBytes));
    o.Set("total", static_cast<double>(totalBytes));
  });
  return o;
}

// sgemmGflops(index, M, N, K, seconds): cublasSgemm alone (float32): the benchmark's ceiling.
Napi::Value SgemmGflops(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  double gflops = 0;
  runOrThrow(env, [&] {
    gflops = sgemmGflops(backendFor(static_cast<int>(numberArg(info, 0, "device")), false),
                         static_cast<int64_t>(numberArg(info, 1, "M")), static_cast<int64_t>(numberArg(info, 2, "N")),
                         static_cast<int64_t>(numberArg(info, 3, "K")), numberArg(info, 4, "seconds"), false, false);
  });
  return Napi::Number::New(env, gflops);
}

Napi::Value CublasPath(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path;
  runOrThrow(env, [&] { path = cuda::cublas().path; });
  return Napi::String::New(env, path);
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("Dataset", DatasetWrap::Define(env));
  exports.Set("Program", ProgramWrap::Define(env));
  registerDistributed(env, exports);
  // Data parallel: NCCL for the gradients of the device selected last (the model's: fit joins after compile).
  setDeviceEngineFactory([](Collective& host, double timeout, std::string* why) -> std::unique_ptr<Collective> {
    if (!selected) {
      *why = "no GPU selected";
      return nullptr;
    }
    return cuda::openNccl(host, selected->stream(), timeout, why);
  });
  exports.Set("devices", Napi::Function::New(env, Devices));
  exports.Set("useDevice", Napi::Function::New(env, UseDevice));
  exports.Set("memoryInfo", Napi::Function::New(env, MemoryInfo));
  exports.Set("cublasPath", Napi::Function::New(env, CublasPath));
  exports.Set("sgemmGflops", Napi::Function::New(env, SgemmGflops));
  exports.Set("setMemoryCheck", Napi::Function::New(env, SetMemoryCheck));
  return exports;
}

}  // namespace

Backend& activeBackend() {
  if (!selected) throw TypeError("no CUDA device selected: call useDevice(index) first");
  return *selected;
}

}  // namespace gradloop::binding

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) { return gradloop::binding::Init(env, exports); }
NODE_API_MODULE(gradloop_cuda, InitAddon)
