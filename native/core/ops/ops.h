// Factories for the op types, one per file in this folder.
#pragma once
#include <memory>

#include "../op.h"

namespace gradloop {
std::unique_ptr<Op> makeDense(const NodeSpec& spec);
std::unique_ptr<Op> makeActivation(const NodeSpec& spec);
std::unique_ptr<Op> makeSoftmax(const NodeSpec& spec);
std::unique_ptr<Op> makeDropout(const NodeSpec& spec);
std::unique_ptr<Op> makeFlatten(const NodeSpec& spec);
std::unique_ptr<Op> makeEmbedding(const NodeSpec& spec);
}  // namespace gradloop
