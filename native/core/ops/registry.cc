// Maps an op name from the binding to its implementation.
#include "../op.h"
#include "ops.h"

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
std::string NodeSpec::string(const std::string& key, const std::string& fallback) const {
  auto it = strings.find(key);
  return it == strings.end() ? fallback : it->second;
}

std::unique_ptr<Op> createOp(const NodeSpec& spec) {
  if (spec.op == "dense") return makeDense(spec);
  if (spec.op == "activation") return makeActivation(spec);
  if (spec.op == "softmax") return makeSoftmax(spec);
  if (spec.op == "dropout") return makeDropout(spec);
  if (spec.op == "flatten") return makeFlatten(spec);
  if (spec.op == "embedding") return makeEmbedding(spec);
  throw TypeError("layer '" + spec.name + "': unknown op '" + spec.op + "'");
}

}  // namespace gradloop
