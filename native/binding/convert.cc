#include "convert.h"

#include <cmath>
#include <new>

namespace gradloop::binding {

Shape toShape(const Napi::Value& v, const std::string& what) {
  if (!v.IsArray()) throw TypeError(what + " must be an array of positive integers");
  Napi::Array a = v.As<Napi::Array>();
  Shape shape;
  for (uint32_t i = 0; i < a.Length(); ++i) {
    Napi::Value d = a.Get(i);
    double x = d.IsNumber() ? d.As<Napi::Number>().DoubleValue() : -1;
    // Bounded before the cast: a double beyond int64 must never reach static_cast.
    if (!(x >= 1 && x <= static_cast<double>(kMaxElements)) || std::floor(x) != x)
      throw TypeError(what + " must be an array of positive integers up to 2^31 - 1");
    shape.push_back(static_cast<int64_t>(x));
  }
  return shape;
}

Napi::Array fromShape(Napi::Env env, const Shape& shape) {
  Napi::Array a = Napi::Array::New(env, shape.size());
  for (size_t i = 0; i < shape.size(); ++i) a.Set(static_cast<uint32_t>(i), Napi::Number::New(env, double(shape[i])));
  return a;
}

DType toDType(const Napi::Value& v, const std::string& what) {
  std::string s = v.IsString() ? v.As<Napi::String>().Utf8Value() : "";
  if (s == "float32") return DType::Float32;
  if (s == "int32") return DType::Int32;
  throw TypeError(what + " must be 'float32' or 'int32'");
}

ProgramSpec toProgramSpec(const Napi::Object& obj) {
  ProgramSpec spec;
  spec.inputShape = toShape(obj.Get("inputShape"), "inputShape");
  spec.inputType = toDType(obj.Get("inputDtype"), "inputDtype");
  spec.inputGradient = obj.Get("inputGradient").ToBoolean();
  if (Napi::Value d = obj.Get("decodePositions"); d.IsNumber()) {
    const double v = d.As<Napi::Number>().DoubleValue();
    if (!(v >= 1 && v <= static_cast<double>(kMaxElements)) || v != std::floor(v)) throw RangeError("decodePositions must be a positive integer");
    spec.decodePositions = static_cast<int64_t>(v);
  }
  if (Napi::Value outputs = obj.Get("outputs"); outputs.IsArray()) {  // a model's several outputs (tensor ids)
    Napi::Array list = outputs.As<Napi::Array>();
    for (uint32_t k = 0; k < list.Length(); ++k) spec.outputs.push_back(list.Get(k).ToNumber().Int32Value());
  }
  Napi::Value nodes = obj.Get("nodes");
  if (!nodes.IsArray()) throw TypeError("nodes must be an array");
  Napi::Array arr = nodes.As<Napi::Array>();
  for (uint32_t i = 0; i < arr.Length(); ++i) {
    Napi::Object n = arr.Get(i).As<Napi::Object>();
    NodeSpec ns;
    ns.op = n.Get("op").ToString().Utf8Value();
    ns.name = n.Get("name").ToString().Utf8Value();
    Napi::Array inputs = n.Get("inputs").As<Napi::Array>();
    for (uint32_t k = 0; k < inputs.Length(); ++k) ns.inputs.push_back(inputs.Get(k).ToNumber().Int32Value());
    if (Napi::Value share = n.Get("shareParamsWith"); share.IsNumber()) ns.shareParamsWith = share.ToNumber().Int32Value();
    auto readMap = [&](const char* key, auto&& put) {
      Napi::Value m = n.Get(key);
      if (!m.IsObject()) return;
      Napi::Object o = m.As<Napi::Object>();
      Napi::Array keys = o.GetPropertyNames();
      for (uint32_t k = 0; k < keys.Length(); ++k) {
        std::string name = keys.Get(k).ToString().Utf8Value();
        put(name, o.Get(name));
      }
    };
    readMap("numbers", [&](const std::string& k, Napi::Value v) { ns.numbers[k] = v.ToNumber().DoubleValue(); });
    readMap("strings", [&](const std::string& k, Napi::Value v) { ns.strings[k] = v.ToString().Utf8Value(); });
    spec.nodes.push_back(std::move(ns));
  }
  return spec;
}

OptimizerSpec toOptimizerSpec(const Napi::Object& o) {
  OptimizerSpec spec;
  auto num = [&](const char* key, float fallback) {
    Napi::Value v = o.Get(key);
    return v.IsNumber() ? v.As<Napi::Number>().FloatValue() : fallback;
  };
  spec.type = o.Get("type").ToString().Utf8Value();
  spec.sgd.momentum = num("momentum", 0);
  spec.sgd.nesterov = o.Get("nesterov").ToBoolean();
  spec.sgd.weightDecay = spec.adam.weightDecay = num("weightDecay", 0);
  spec.adam.beta1 = num("beta1", 0.9f);
  spec.adam.beta2 = num("beta2", 0.999f);
  spec.adam.epsilon = num("epsilon", 1e-8f);
  spec.amsgrad = o.Get("amsgrad").ToBoolean();
  RuleScalars& r = spec.rule;
  r.weightDecay = spec.adam.weightDecay;
  r.beta1 = spec.adam.beta1;
  r.beta2 = num("alpha", num("rho", spec.adam.beta2));  // RMSprop's alpha and Adadelta's rho are the rules' beta2
  r.epsilon = spec.adam.epsilon;
  r.momentum = spec.sgd.momentum;
  r.centered = o.Get("centered").ToBoolean();
  r.initial = num("initialAccumulatorValue", 0);
  spec.lrDecay = num("lrDecay", 0);
  spec.momentumDecay = num("momentumDecay", 0);
  return spec;
}

const int32_t* int32Data(const Napi::Value& v, const std::string& what, size_t* length) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array)
    throw TypeError(what + " must be an Int32Array");
  Napi::Int32Array a = v.As<Napi::Int32Array>();
  *length = a.ElementLength();
  return a.Data();
}

double numberArg(const Napi::CallbackInfo& info, size_t i, const std::string& what) {
  if (info.Length() <= i || !info[i].IsNumber()) throw TypeError(what + " must be a number");
  return info[i].As<Napi::Number>().DoubleValue();
}

int64_t integerArg(const Napi::CallbackInfo& info, size_t i, const std::string& what, int64_t min, int64_t max) {
  const double d = numberArg(info, i, what);
  if (!(d >= static_cast<double>(min) && d <= static_cast<double>(max)) || d != std::floor(d))
    throw RangeError(what + " must be an integer from " + std::to_string(min) + " to " + std::to_string(max));
  return static_cast<int64_t>(d);
}

uint64_t seedArg(const Napi::CallbackInfo& info, size_t i, const std::string& what) {
  return static_cast<uint64_t>(integerArg(info, i, what, 0, kMaxSafeInteger));
}

bool catchNative(const std::function<void()>& fn, CaughtError* caught) {
  try {
    fn();
    return true;
  } catch (const TypeError& e) {
    *caught = {ErrorKind::TypeError, e.what()};
  } catch (const RangeError& e) {
    *caught = {ErrorKind::RangeError, e.what()};
  } catch (const std::bad_alloc&) {
    *caught = {ErrorKind::RangeError, "out of memory; use a smaller batchSize or model"};
  } catch (const std::exception& e) {
    *caught = {ErrorKind::Error, e.what()};
  } catch (...) {
    *caught = {ErrorKind::Error, "unknown native error"};
  }
  return false;
}

Napi::Error toJsError(Napi::Env env, const CaughtError& e) {
  switch (e.kind) {
    case ErrorKind::TypeError: return Napi::TypeError::New(env, e.message);
    case ErrorKind::RangeError: return Napi::RangeError::New(env, e.message);
    default: return Napi::Error::New(env, e.message);
  }
}

void runOrThrow(Napi::Env env, const std::function<void()>& fn) {
  CaughtError caught;
  if (!catchNative(fn, &caught)) throw toJsError(env, caught);
}

}  // namespace gradloop::binding
