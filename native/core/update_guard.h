// Whether an optimizer update of finite gradients could still leave float32's range. A step's
// gradients are checked for NaN/Inf before the update (Program::trainStep), but finite inputs can
// still overflow: w - lr * g with lr * g near 3.4e38, or Adam's g * g above 1.8e19. The guard
// judges that from norms the step already has (the weights' and gradients' sums of squares, and
// bounds on the optimizer state it carries from step to step), so no pass over the data is spent.
// When an update could overflow, the program takes the careful path: it backs the weights and
// state up, updates, checks every sum, and restores everything if anything is not finite.
#pragma once
#include <cstdint>
#include <vector>

#include "optimizer.h"

namespace gradloop {

class UpdateGuard {
 public:
  // The state norms are 0 (fresh slots, at compile) or unknown (state set from a checkpoint).
  void reset(size_t params, bool stateIsZero);
  bool stateKnown() const { return known_; }
  // Exact state sums of squares per parameter, slot by slot (Optimizer::slotNames' order; 0 for a
  // slot the optimizer lacks), e.g. measured after a load.
  void setStateSquares(const double* slot0, const double* slot1, const double* slot2);

  // Could any parameter's update at this step leave float32's range? weightSquares and
  // gradSquares are per-parameter sums of squares (their roots bound every element's magnitude);
  // a non-finite or unknown one says yes. Also works out the state bounds after the update, which
  // commit() keeps once the update is applied (without a second pass over the parameters).
  // sizes: each parameter's element count.
  bool mightOverflow(const Optimizer& optimizer, const std::vector<double>& weightSquares, const std::vector<double>& gradSquares,
                     const std::vector<int64_t>& sizes, float lr, int64_t step);
  void commit() {
    for (int s = 0; s < kMaxOptimizerSlots; ++s) slot_[s].swap(next_[s]);
  }

 private:
  // The bound on one parameter's update norm under one of the rules (optimizer_rules.h), with
  // the slots' bounds after it into next_[s][k].
  double ruleDelta(const Optimizer& optimizer, size_t k, double w, double g, int64_t n, float lr, int64_t step);
  // Bounds on the L2 norms of each parameter's state slots now, and after this step's update.
  std::vector<double> slot_[kMaxOptimizerSlots], next_[kMaxOptimizerSlots];
  bool known_ = true;
};

}  // namespace gradloop
