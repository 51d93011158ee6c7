// reshape: the per-sample shape becomes `targetShape` (same number of values, the layout kept),
// so forward and backward are copies, as flatten's; no kernels of its own.
#include <sstream>

#include "../../core/op.h"

namespace gradloop {
namespace {

Shape parseShape(const NodeSpec& spec) {
  Shape shape;
  std::stringstream text(spec.string("targetShape", ""));
  std::string item;
  while (std::getline(text, item, ',')) {
    char* end = nullptr;
    const long long d = std::strtoll(item.c_str(), &end, 10);
    if (item.empty() || *end != '\0' || d < 1 || d > kMaxElements)
      throw TypeError("layer '" + spec.name + "': targetShape holds '" + item + "', not a dimension of 1 or more");
    shape.push_back(d);
  }
  if (shape.empty()) throw TypeError("layer '" + spec.name + "': targetShape is empty");
  return shape;
}

class Reshape final : public Op {
 public:
  explicit Reshape(const NodeSpec& spec) : Op(spec), target_(parseShape(spec)) {}
  const char* type() const override { return "reshape"; }

  Shape outputShape(const std::vector<Shape>& in, const std::vector<DType>&) override {
    if (numElements(target_, "layer '" + name_ + "': targetShape") != numElements(in[0]))
      throw TypeError("layer '" + name_ + "': cannot reshape " + shapeToString(in[0]) + " (" +
                      std::to_string(numElements(in[0])) + " values) to " + shapeToString(target_) + " (" +
                      std::to_string(numElements(target_)) + " values)");
    return target_;
  }
  DType outputType(const std::vector<DType>& types) const override { return types[0]; }

  void forward(const OpRun& r) override {
    r.backend.copy(r.output->value, r.inputs[0]->value, r.batch * r.output->elements() * 4);
  }

  void backward(const OpRun& r) override {
    if (float* dx = r.inputs[0]->grad)
      passGradient(r.backend, r.output->grad, dx, r.batch * r.output->elements(), r.accumulateInputGrad[0]);
  }

 private:
  Shape target_;
};

}  // namespace

std::unique_ptr<Op> make_reshape(const NodeSpec& spec) { return std::make_unique<Reshape>(spec); }

}  // namespace gradloop
