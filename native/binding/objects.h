// The JS classes the addon exports: Dataset (data in native memory) and
// Program (a compiled model). Methods convert arguments and call the core;
// training and evaluation run in AsyncWorkers off the main thread.
#pragma once
#include <napi.h>

#include <memory>

#include "../core/dataset.h"
#include "../core/program.h"

namespace gradloop::binding {

// The backend this addon's objects are created on: the CPU backend in the main addon, the
// selected GPU in the CUDA addon (native/cuda/addon.cc). Each addon defines it.
Backend& activeBackend();

// setMemoryCheck(on), exported by both addons: each .node file links its own copy of the core, so
// each has its own setting, and the JavaScript side sets both.
void SetMemoryCheck(const Napi::CallbackInfo& info);

class DatasetWrap : public Napi::ObjectWrap<DatasetWrap> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit DatasetWrap(const Napi::CallbackInfo& info);
  // Throws once dispose() has freed the data (its device memory).
  Dataset& dataset() {
    if (!dataset_) throw TypeError("the data set was disposed");
    return *dataset_;
  }
  static DatasetWrap* FromValue(const Napi::Value& v, const std::string& what);
  static Napi::FunctionReference constructor;

 private:
  Napi::Value Rows(const Napi::CallbackInfo& info);
  void Dispose(const Napi::CallbackInfo& info);
  std::unique_ptr<Dataset> dataset_;
};

class ProgramWrap : public Napi::ObjectWrap<ProgramWrap> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit ProgramWrap(const Napi::CallbackInfo& info);
  // Throws once dispose() has freed the program (weights, activations, optimizer state).
  Program& program() {
    if (!program_) throw TypeError("the model was disposed");
    return *program_;
  }
  void release() { busy_ = false; }

 private:
  void Compile(const Napi::CallbackInfo& info);
  Napi::Value Parameters(const Napi::CallbackInfo& info);
  Napi::Value GetParameter(const Napi::CallbackInfo& info);
  void SetParameter(const Napi::CallbackInfo& info);
  Napi::Value GetGradient(const Napi::CallbackInfo& info);
  Napi::Value TensorShapes(const Napi::CallbackInfo& info);
  Napi::Value TrainStep(const Napi::CallbackInfo& info);
  Napi::Value TrainSteps(const Napi::CallbackInfo& info);
  Napi::Value Evaluate(const Napi::CallbackInfo& info);
  Napi::Value Predict(const Napi::CallbackInfo& info);
  Napi::Value Decode(const Napi::CallbackInfo& info);
  Napi::Value ComputeGradients(const Napi::CallbackInfo& info);
  Napi::Value InputGradient(const Napi::CallbackInfo& info);
  void SetGradientControl(const Napi::CallbackInfo& info);
  void SetTrainable(const Napi::CallbackInfo& info);
  Napi::Value OptimizerSlots(const Napi::CallbackInfo& info);
  Napi::Value GetOptimizerState(const Napi::CallbackInfo& info);
  void SetOptimizerState(const Napi::CallbackInfo& info);
  void SetMetrics(const Napi::CallbackInfo& info);
  void SetDistributed(const Napi::CallbackInfo& info);
  void BroadcastState(const Napi::CallbackInfo& info);
  Napi::Value WeightsHash(const Napi::CallbackInfo& info);
  Napi::Value CollectiveTime(const Napi::CallbackInfo& info);
  Napi::Value ReadMetrics(const Napi::CallbackInfo& info);
  Napi::Value GetCounters(const Napi::CallbackInfo& info);
  void SetCounters(const Napi::CallbackInfo& info);
  void Dispose(const Napi::CallbackInfo& info);

  Parameter& parameterAt(const Napi::CallbackInfo& info);
  float* optimizerSlotAt(const Napi::CallbackInfo& info, Parameter** param);
  void claim(Napi::Env env);  // throws while an async step is running

  std::unique_ptr<Program> program_;
  bool busy_ = false;
};

}  // namespace gradloop::binding
