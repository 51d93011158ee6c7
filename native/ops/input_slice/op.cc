// input_slice: one of a model's several inputs. The data set holds each row as the inputs side
// by side (4-byte values: float32, or int32 token ids as their bits), so a step gathers all of them
// with one row copy; each input's node copies its columns out into a tensor of its own shape and
// type (the backend's copyBlocks; no kernels of its own).
#include <sstream>

#include "../../core/op.h"

namespace gradloop {
namespace {

class InputSlice final : public Op {
 public:
  explicit InputSlice(const NodeSpec& spec)
      : Op(spec), offset_(spec.integer("offset", 0, kMaxElements)), type_(spec.string("dtype", "float32") == "int32" ? DType::Int32 : DType::Float32) {
    std::stringstream text(spec.string("shape", ""));
    std::string item;
    while (std::getline(text, item, ',')) shape_.push_back(std::strtoll(item.c_str(), nullptr, 10));
    for (int64_t d : shape_)
      if (d < 1) throw TypeError("layer '" + name_ + "': input shape " + shapeToString(shape_) + " has an empty dimension");
    if (shape_.empty()) throw TypeError("layer '" + name_ + "': input shape is empty");
  }
  const char* type() const override { return "input_slice"; }

  Shape outputShape(const std::vector<Shape>& in, const std::vector<DType>&) override {
    width_ = numElements(shape_, "layer '" + name_ + "': input shape");
    rowWidth_ = numElements(in[0]);
    if (offset_ + width_ > rowWidth_)
      throw TypeError("layer '" + name_ + "': columns " + std::to_string(offset_) + " to " + std::to_string(offset_ + width_) +
                      " lie outside the packed input row of " + std::to_string(rowWidth_));
    return shape_;
  }
  DType outputType(const std::vector<DType>&) const override { return type_; }

  void forward(const OpRun& r) override {
    r.backend.copyBlocks(r.output->value, width_, static_cast<const char*>(r.inputs[0]->value) + offset_ * 4, rowWidth_,
                         r.batch, width_, false);
  }

  void backward(const OpRun& r) override {  // only where input gradients were asked for (tests)
    if (float* dx = r.inputs[0]->grad)
      if (type_ == DType::Float32)
        // Its columns are its alone (the other inputs' nodes write theirs): always written, never added.
        r.backend.copyBlocks(dx + offset_, rowWidth_, r.output->grad, width_, r.batch, width_, false);
  }

 private:
  int64_t offset_, width_ = 0, rowWidth_ = 0;
  DType type_;
  Shape shape_;
};

}  // namespace

std::unique_ptr<Op> make_input_slice(const NodeSpec& spec) { return std::make_unique<InputSlice>(spec); }

}  // namespace gradloop
