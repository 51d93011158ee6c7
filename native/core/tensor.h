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

// Errors the binding turns into JS errors of the matching class.
struct TypeError : std::runtime_error { using std::runtime_error::runtime_error; };
struct RangeError : std::runtime_error { using std::runtime_error::runtime_error; };

inline std::string shapeToString(const Shape& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

// The most elements one sample of a tensor, or one parameter, may have: BLAS takes its sizes as
// 32-bit ints, and no model that fits in memory comes near it.
constexpr int64_t kMaxElements = 2147483647;
// The largest integer a JavaScript number holds exactly (seeds, counters): 2^53 - 1.
constexpr int64_t kMaxSafeInteger = 9007199254740991;

// a * b, or a RangeError naming `what` when the product leaves int64 (sizes are never negative).
inline int64_t checkedMultiply(int64_t a, int64_t b, const std::string& what) {
  int64_t out;
  if (__builtin_mul_overflow(a, b, &out))
    throw RangeError(what + ": the size " + std::to_string(a) + " x " + std::to_string(b) + " overflows 64 bits");
  return out;
}
inline int64_t checkedAdd(int64_t a, int64_t b, const std::string& what) {
  int64_t out;
  if (__builtin_add_overflow(a, b, &out))
    throw RangeError(what + ": the size " + std::to_string(a) + " + " + std::to_string(b) + " overflows 64 bits");
  return out;
}

// Elements of a shape; every dimension must be >= 1 and the product at most kMaxElements,
// else a RangeError naming `what` (a layer, a parameter, an argument) and the shape.
inline int64_t numElements(const Shape& shape, const std::string& what) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 1) throw RangeError(what + ": every dimension must be >= 1, got shape " + shapeToString(shape));
    if (__builtin_mul_overflow(n, d, &n) || n > kMaxElements)
      throw RangeError(what + ": shape " + shapeToString(shape) + " has more than 2^31 - 1 elements");
  }
  return n;
}
// For shapes already checked (the program checks every shape once, when it is built): the plain
// product, as every op's forward and backward ask for it on each step.
inline int64_t numElements(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

}  // namespace gradloop
