// NCCL for the gradients of a model on NVIDIA GPUs: libnccl.so.2 opened at run time (as cuBLAS is,
// so the addon needs no NCCL to build or load), its communicator made from a unique id rank 0 draws
// and the host engine (MPI) broadcasts. The gradient buckets (device memory) go through NCCL on the
// backend's stream; everything else (small host-memory sums, broadcasts, gathers) through the host
// engine.
#pragma once
#include <memory>
#include <string>

#include "../core/collective.h"

namespace gradloop::cuda {

// Null, with *why, when NCCL cannot be loaded or its communicator not made (the caller then sends
// the gradients through host memory and the host engine).
std::unique_ptr<Collective> openNccl(Collective& host, void* stream, double timeoutSeconds, std::string* why);

}  // namespace gradloop::cuda
