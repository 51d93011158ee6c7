// Maps an op name from the binding to its implementation (native/ops/<op>/op.cc), and the
// NodeSpec accessors ops read their attributes with.
#include <cmath>

#include "../core/op.h"

namespace gradloop {

double NodeSpec::number(const std::string& key) const {
  auto it = numbers.find(key);
  if (it == numbers.end()) throw TypeError("layer '" + name + "': missing numeric attribute '" + key + "'");
  return it->second;
}
double NodeSpec::number(const std::string& key, double fallback) const {
  auto it = numbers.find(key);
  return it == numbers.end() ? fallback : it->second;
}
int64_t NodeSpec::integer(const std::string& key, int64_t min, int64_t max) const {
  const double d = number(key);
  if (!(d >= static_cast<double>(min) && d <= static_cast<double>(max)) || d != std::floor(d))
    throw RangeError("layer '" + name + "': " + key + " must be an integer from " + std::to_string(min) + " to " +
                     std::to_string(max) + ", got " + std::to_string(d));
  return static_cast<int64_t>(d);
}
int64_t NodeSpec::integer(const std::string& key, int64_t min, int64_t max, int64_t fallback) const {
  return numbers.count(key) ? integer(key, min, max) : fallback;
}
std::string NodeSpec::string(const std::string& key, const std::string& fallback) const {
  auto it = strings.find(key);
  return it == strings.end() ? fallback : it->second;
}

// The factories, declared and dispatched from the one list of ops.
#define GRADLOOP_OP(name) std::unique_ptr<Op> make_##name(const NodeSpec& spec);
#define GRADLOOP_OP_WITHOUT_KERNELS(name) GRADLOOP_OP(name)
#include "ops.def"
#undef GRADLOOP_OP
#undef GRADLOOP_OP_WITHOUT_KERNELS

std::unique_ptr<Op> createOp(const NodeSpec& spec) {
#define GRADLOOP_OP(name) \
  if (spec.op == #name) return make_##name(spec);
#define GRADLOOP_OP_WITHOUT_KERNELS(name) GRADLOOP_OP(name)
#include "ops.def"
#undef GRADLOOP_OP
#undef GRADLOOP_OP_WITHOUT_KERNELS
  throw TypeError("layer '" + spec.name + "': unknown op '" + spec.op + "'");
}

}  // namespace gradloop
