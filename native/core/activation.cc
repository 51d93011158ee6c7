#include "backend.h"
#include "tensor.h"

namespace gradloop {

Activation activationFromName(const std::string& name) {
  if (name == "linear" || name.empty()) return Activation::Linear;
  if (name == "relu") return Activation::Relu;
  if (name == "leakyRelu") return Activation::LeakyRelu;
  if (name == "sigmoid") return Activation::Sigmoid;
  if (name == "tanh") return Activation::Tanh;
  if (name == "gelu") return Activation::Gelu;
  throw TypeError("unknown activation '" + name + "'; expected one of linear, relu, leakyRelu, sigmoid, tanh, gelu");
}


}  // namespace gradloop
