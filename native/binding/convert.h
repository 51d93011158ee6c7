// Conversions between JS values and the core's plain structs, and the one
// place where C++ exceptions become JS errors. TypeScript has already
// validated every argument; the checks here only keep a bad call from crashing.
#pragma once
#include <napi.h>

#include <functional>
#include <string>

#include "../core/optimizer.h"
#include "../core/program.h"

namespace gradloop::binding {

Shape toShape(const Napi::Value& v, const std::string& what);
Napi::Array fromShape(Napi::Env env, const Shape& shape);
DType toDType(const Napi::Value& v, const std::string& what);
ProgramSpec toProgramSpec(const Napi::Object& spec);
OptimizerSpec toOptimizerSpec(const Napi::Object& spec);
// Typed arrays: the element pointer plus a check of the element type.
const int32_t* int32Data(const Napi::Value& v, const std::string& what, size_t* length);
double numberArg(const Napi::CallbackInfo& info, size_t i, const std::string& what);
// An integer argument in [min, max], checked before the cast (never static_cast an out-of-range double).
int64_t integerArg(const Napi::CallbackInfo& info, size_t i, const std::string& what, int64_t min, int64_t max);
// A seed: an integer from 0 to 2^53 - 1, as JavaScript numbers hold exactly.
uint64_t seedArg(const Napi::CallbackInfo& info, size_t i, const std::string& what);

// Which JS error class a message becomes.
enum class ErrorKind { Error, TypeError, RangeError };
struct CaughtError {
  ErrorKind kind = ErrorKind::Error;
  std::string message;
};
// Runs fn, converting any C++ exception into a CaughtError (returns false then).
bool catchNative(const std::function<void()>& fn, CaughtError* caught);
Napi::Error toJsError(Napi::Env env, const CaughtError& e);
// For synchronous methods: runs fn and throws the JS error on failure.
void runOrThrow(Napi::Env env, const std::function<void()>& fn);

}  // namespace gradloop::binding
