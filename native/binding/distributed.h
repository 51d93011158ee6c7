// The process's collective engine (native/collective) for data-parallel training: created by
// distributedInit(), shared by every program of the process, finalized when Node exits.
#pragma once
#include <napi.h>

#include "../core/collective.h"

namespace gradloop::binding {

// The engine, or null before distributedInit().
Collective* processCollective();
// distributedInit, distributedAllgather on `exports`.
void registerDistributed(Napi::Env env, Napi::Object exports);

}  // namespace gradloop::binding
