// A data set held in backend memory for the length of a fit (or a predict):
// copied in once, then every step gathers its batch from it by row index.
#pragma once
#include <cmath>
#include <string>
#include <vector>

#include "buffer.h"
#include "tensor.h"

namespace gradloop {

struct Columns {
  DType dtype = DType::Float32;
  Shape shape;      // per sample
  const void* host = nullptr;
  int64_t rowBytes() const { return numElements(shape) * 4; }  // float32 and int32 are both 4 bytes
};

class Dataset {
 public:
  // y may have host == nullptr (inputs only, for predict). weights (host, may be null): a finite,
  // non-negative weight per row (fit's sampleWeight and classWeight), kept on the host as well, where
  // a step adds up its batch's.
  Dataset(Backend& backend, int64_t rows, const Columns& x, const Columns& y, const float* weights = nullptr)
      : backend_(backend), rows_(rows), x_(x), y_(y),
        xData_(backend, rows * x.rowBytes()),
        yData_(backend, y.host ? rows * y.rowBytes() : 0),
        wData_(backend, weights ? rows * 4 : 0) {
    if (rows < 1) throw RangeError("data set is empty: it needs at least one row");
    backend.copyFromHost(xData_.get(), x.host, rows * x.rowBytes());
    if (y.host) backend.copyFromHost(yData_.get(), y.host, rows * y.rowBytes());
    if (weights) {
      for (int64_t i = 0; i < rows; ++i)
        if (!(weights[i] >= 0) || !std::isfinite(weights[i]))
          throw RangeError("sampleWeight: weight " + std::to_string(weights[i]) + " at sample " + std::to_string(i) + " must be finite and >= 0");
      hostWeights_.assign(weights, weights + rows);
      backend.copyFromHost(wData_.get(), weights, rows * 4);
    }
    x_.host = y_.host = nullptr;  // the caller's memory may go away
  }
  bool hasWeights() const { return !hostWeights_.empty(); }
  const float* weightsData() const { return static_cast<const float*>(wData_.get()); }
  const std::vector<float>& hostWeights() const { return hostWeights_; }

  Backend& backend() const { return backend_; }
  int64_t rows() const { return rows_; }
  bool hasLabels() const { return yData_.get() != nullptr; }
  const Columns& x() const { return x_; }
  const Columns& y() const { return y_; }
  const void* xData() const { return xData_.get(); }
  const void* yData() const { return yData_.get(); }

 private:
  Backend& backend_;
  int64_t rows_;
  Columns x_, y_;
  DeviceBuffer xData_, yData_, wData_;
  std::vector<float> hostWeights_;
};

}  // namespace gradloop
