// Where output element o of a permuted sample comes from in the input sample.
#pragma once
#include "../../core/host_device.h"
#include "kernels.h"

namespace gradloop::permute {

GRADLOOP_HOST_DEVICE inline int64_t source(const PermuteLayout& l, int64_t o) {
  int64_t in = 0;
  for (int a = l.rank - 1; a >= 0; --a) {
    in += (o % l.outDims[a]) * l.inStrides[a];
    o /= l.outDims[a];
  }
  return in;
}

}  // namespace gradloop::permute
