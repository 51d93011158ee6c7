// The process's collective engine (native/collective) for data-parallel training: created by
// distributedInit(), shared by every program of the process, finalized when Node exits.
#pragma once
#include <napi.h>

#include <memory>
#include <string>

#include "../core/collective.h"

namespace gradloop::binding {

// The engine programs use (the device engine where there is one), or null before distributedInit().
Collective* processCollective();
// A device engine made from the host one (the CUDA addon's NCCL), or null with *why.
using DeviceEngineFactory = std::unique_ptr<Collective> (*)(Collective& host, double timeoutSeconds, std::string* why);
void setDeviceEngineFactory(DeviceEngineFactory factory);
// distributedInit, distributedAllgather on `exports`.
void registerDistributed(Napi::Env env, Napi::Object exports);

}  // namespace gradloop::binding
