// Shapes and element types shared by every layer of the native core.
// A "sample shape" never includes the batch dimension: the program owns
// batch sizes, so the same graph runs any batch up to its capacity.
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace gradloop {

enum class DType { Float32, Int32 };

using Shape = std::vector<int64_t>;

inline int64_t numElements(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

inline std::string shapeToString(const Shape& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

// Errors the binding turns into JS errors of the matching class.
struct TypeError : std::runtime_error { using std::runtime_error::runtime_error; };
struct RangeError : std::runtime_error { using std::runtime_error::runtime_error; };

}  // namespace gradloop
